import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadEnv, tracingSchema, tracingWanted } from './env.js';

describe('configuration', () => {
  it('has defaults that work on a developer machine', () => {
    const env = loadEnv({});
    expect(env.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/signpost');
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env.PORT).toBe(3000);
    expect(env.FORWARD_WITHIN_HOURS).toBe(24);
    expect(Object.isFrozen(env)).toBe(true);
  });
  it('lists every bad key at once', () => {
    try {
      loadEnv({ PORT: 'abc', DATABASE_URL: 'mysql://x', FORWARD_EMAIL_CONTENT: 'everything' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.map((i) => i.key).sort()).toEqual(['DATABASE_URL', 'FORWARD_EMAIL_CONTENT', 'PORT']);
    }
  });
  it('refuses the development session secret, and the example hub phone number, in production', () => {
    expect(() => loadEnv({ NODE_ENV: 'production' })).toThrow(/SESSION_SECRET/);
    expect(() => loadEnv({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40) })).toThrow(/HUB_PHONE/);
  });
  it('refuses the development MFA key in production, and reads the roles that need a second factor', () => {
    expect(() => loadEnv({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), HUB_PHONE: '0161 496 0000' })).toThrow(/MFA_KEY/);
    expect(loadEnv({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), HUB_PHONE: '0161 496 0000', MFA_KEY: 'y'.repeat(40) }).MFA_KEY).toBe('y'.repeat(40));
    expect(loadEnv({}).MFA_REQUIRED_ROLES).toEqual(['admin', 'coordinator']);
    expect(loadEnv({ MFA_REQUIRED_ROLES: '' }).MFA_REQUIRED_ROLES).toEqual([]);
    expect(loadEnv({ MFA_REQUIRED_ROLES: 'admin, agency' }).MFA_REQUIRED_ROLES).toEqual(['admin', 'agency']);
    expect(() => loadEnv({ MFA_REQUIRED_ROLES: 'admin,boss' })).toThrow(/MFA_REQUIRED_ROLES/);
    expect(() => loadEnv({ MFA_KEY: 'short' })).toThrow(/MFA_KEY/);
  });
  it('refuses insecure cookies behind an https address in production', () => {
    const secret = 'x'.repeat(40);
    const hub = { HUB_PHONE: '0161 496 0000', MFA_KEY: 'y'.repeat(40) };
    expect(() => loadEnv({ NODE_ENV: 'production', SESSION_SECRET: secret, PUBLIC_URL: 'https://hub.example.org', ...hub })).toThrow(/SECURE_COOKIES/);
    expect(loadEnv({ NODE_ENV: 'production', SESSION_SECRET: secret, PUBLIC_URL: 'https://hub.example.org', SECURE_COOKIES: 'true', ...hub }).SECURE_COOKIES).toBe(true);
  });
  it('reads the demo password and the HTTP bounds through the schema', () => {
    expect(loadEnv({}).DEMO_PASSWORD).toBe('signpost-demo');
    expect(() => loadEnv({ DEMO_PASSWORD: 'short' })).toThrow(/DEMO_PASSWORD/);
    expect(() => loadEnv({ HTTP_HEADERS_TIMEOUT_MS: '40000', HTTP_REQUEST_TIMEOUT_MS: '30000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
  });
  it('refuses a session lifetime shorter than its idle time, at start-up', () => {
    expect(loadEnv({}).SESSION_ABSOLUTE_HOURS).toBe(12);
    expect(loadEnv({ SESSION_IDLE_HOURS: '12', SESSION_ABSOLUTE_HOURS: '12' }).SESSION_ABSOLUTE_HOURS).toBe(12);
    expect(() => loadEnv({ SESSION_IDLE_HOURS: '24' })).toThrow(/SESSION_ABSOLUTE_HOURS: must be at least SESSION_IDLE_HOURS \(24\)/);
    expect(() => loadEnv({ SESSION_ABSOLUTE_HOURS: '4' })).toThrow(/SESSION_ABSOLUTE_HOURS/);
  });
  it('reads METRICS_TOKEN (unset by default, empty as unset, refused when short or with spaces) and the queue view\'s retries switch', () => {
    expect(loadEnv({}).METRICS_TOKEN).toBeUndefined();
    expect(loadEnv({ METRICS_TOKEN: '' }).METRICS_TOKEN).toBeUndefined();
    expect(loadEnv({ METRICS_TOKEN: 'm'.repeat(32) }).METRICS_TOKEN).toBe('m'.repeat(32));
    expect(() => loadEnv({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 24/);
    expect(() => loadEnv({ METRICS_TOKEN: `${'m'.repeat(24)} x` })).toThrow(/METRICS_TOKEN: must be printable/);
    expect(loadEnv({}).QUEUE_VIEW_ALLOW_RETRIES).toBe(false);
    expect(loadEnv({ QUEUE_VIEW_ALLOW_RETRIES: 'true' }).QUEUE_VIEW_ALLOW_RETRIES).toBe(true);
    expect(() => loadEnv({ QUEUE_VIEW_ALLOW_RETRIES: 'maybe' })).toThrow(/QUEUE_VIEW_ALLOW_RETRIES/);
  });

  it('asks the wellbeing questions at the call unless the hub says otherwise', () => {
    expect(loadEnv({}).WELLBEING_ASKED_AT).toBe('call');
    for (const v of ['checklist', 'call', 'both'] as const) expect(loadEnv({ WELLBEING_ASKED_AT: v }).WELLBEING_ASKED_AT).toBe(v);
    expect(() => loadEnv({ WELLBEING_ASKED_AT: 'never' })).toThrow(/WELLBEING_ASKED_AT: must be checklist, call or both/);
  });

  it('reads TRUST_PROXY as Express takes it, off by default, naming the key when it is bad', () => {
    expect(loadEnv({}).TRUST_PROXY).toBe(false);
    expect(loadEnv({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(loadEnv({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(loadEnv({ TRUST_PROXY: 'loopback, 10.0.0.0/8,2001:db8::/32 ,192.0.2.7' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8', '2001:db8::/32', '192.0.2.7']);
    for (const bad of ['true', 'loopbak', '10.0.0.0/33', '2001:db8::/129', '10.0.0.0/8/1', 'loopback,', '11']) {
      expect(() => loadEnv({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY: /);
    }
  });
  it('takes single sign-on as all three of issuer, client id and secret, or none; https only in production', () => {
    const sso = { OIDC_ISSUER: 'https://login.example.org/tenant/v2.0', OIDC_CLIENT_ID: 'signpost', OIDC_CLIENT_SECRET: 's3cret' };
    expect(loadEnv({}).OIDC_ISSUER).toBeUndefined();
    expect(loadEnv({ OIDC_ISSUER: '', OIDC_CLIENT_ID: '', OIDC_CLIENT_SECRET: '' }).OIDC_ISSUER).toBeUndefined();
    const on = loadEnv({ ...sso, OIDC_ALLOWED_DOMAINS: 'Example.org, hub.example.net' });
    expect(on.OIDC_ISSUER).toBe(sso.OIDC_ISSUER);
    expect(on.OIDC_ALLOWED_DOMAINS).toEqual(['example.org', 'hub.example.net']);
    expect(on.OIDC_TRUST_MFA).toBe(false);
    try {
      loadEnv({ OIDC_ISSUER: sso.OIDC_ISSUER });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.key)).toEqual(['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET']);
      expect((err as ConfigError).message).toMatch(/set all three/);
    }
    expect(() => loadEnv({ ...sso, OIDC_ISSUER: 'ftp://login.example.org' })).toThrow(/OIDC_ISSUER/);
    expect(() => loadEnv({ ...sso, OIDC_ALLOWED_DOMAINS: 'example' })).toThrow(/OIDC_ALLOWED_DOMAINS/);
    const prod = { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), MFA_KEY: 'k'.repeat(40), HUB_PHONE: '0161 496 0000' };
    expect(() => loadEnv({ ...prod, ...sso, OIDC_ISSUER: 'http://login.example.org' })).toThrow(/OIDC_ISSUER: must be https in production/);
    expect(loadEnv({ ...prod, ...sso }).OIDC_CLIENT_ID).toBe('signpost');
  });

  it('turns traces on only when an exporter or an OTLP endpoint is set, and refuses a bad one naming the key', () => {
    const wanted = (source: Record<string, string>) => tracingWanted(tracingSchema.parse(source));
    expect(wanted({})).toBeUndefined();
    expect(wanted({ OTEL_SERVICE_NAME: 'signpost-api' })).toBeUndefined();
    expect(wanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('otlp');
    expect(wanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example.org/v1/traces' })).toBe('otlp');
    expect(wanted({ OTEL_TRACES_EXPORTER: 'console' })).toBe('console');
    expect(wanted({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeUndefined();
    expect(wanted({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBeUndefined();
    expect(wanted({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBeUndefined();
    expect(loadEnv({}).OTEL_TRACES_SAMPLER_ARG).toBe(1);
    expect(() => loadEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER: must be otlp, console or none/);
    expect(() => loadEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => loadEnv({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
  });
});

describe('mail through a real relay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signpost-env-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  // any real CA certificate will do: Node's first bundled root
  const ca = file('ca.pem', `${getCACertificates('bundled')[0]}\n`);
  const rsa = file('dkim.pem', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const ed = file('ed.pem', generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const prod = { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), MFA_KEY: 'k'.repeat(40), HUB_PHONE: '0161 496 0000' };
  const keysOf = (source: Record<string, string>) => {
    try {
      loadEnv(source);
    } catch (err) {
      return (err as ConfigError).issues.map((i) => `${i.key}: ${i.message}`);
    }
    return [];
  };

  it('requires TLS by default in production only, and takes an explicit setting either way', () => {
    expect(loadEnv({}).SMTP_REQUIRE_TLS).toBe(false);
    expect(loadEnv({ NODE_ENV: 'test' }).SMTP_REQUIRE_TLS).toBe(false);
    expect(loadEnv(prod).SMTP_REQUIRE_TLS).toBe(true);
    expect(loadEnv({ ...prod, SMTP_REQUIRE_TLS: 'false' }).SMTP_REQUIRE_TLS).toBe(false);
    expect(loadEnv({ SMTP_REQUIRE_TLS: 'true' }).SMTP_REQUIRE_TLS).toBe(true);
    expect(loadEnv({ SMTP_REQUIRE_TLS: '' }).SMTP_REQUIRE_TLS).toBe(false);
    expect(() => loadEnv({ SMTP_REQUIRE_TLS: 'sometimes' })).toThrow(/SMTP_REQUIRE_TLS/);
  });

  it("refuses an SMTP_URL whose query would undo the requirement, and leaves other query keys alone", () => {
    for (const q of ['ignoreTLS=true', 'requireTLS=false', 'tls.rejectUnauthorized=false', 'secure=false', 'opportunisticTLS=true']) {
      expect(keysOf({ SMTP_REQUIRE_TLS: 'true', SMTP_URL: `smtp://relay.example.org:587/?${q}` }), q).toEqual([expect.stringMatching(/^SMTP_URL: must not set .* while SMTP_REQUIRE_TLS is true/)]);
      expect(keysOf({ SMTP_URL: `smtp://relay.example.org:587/?${q}` }), q).toEqual([]);
    }
    expect(loadEnv({ ...prod, SMTP_URL: 'smtp://relay.example.org:587/?name=hub.example.org' }).SMTP_URL).toContain('name=');
  });

  it('reads the CA file at start-up: a missing or non-certificate file stops it, naming the key and the file', () => {
    expect(loadEnv({ SMTP_CA_FILE: ca }).SMTP_CA_FILE).toBe(ca);
    expect(keysOf({ SMTP_CA_FILE: join(dir, 'missing.pem') })).toEqual([`SMTP_CA_FILE: cannot read ${join(dir, 'missing.pem')} (ENOENT)`]);
    expect(keysOf({ SMTP_CA_FILE: rsa })).toEqual([expect.stringMatching(/^SMTP_CA_FILE: .* must hold one or more PEM certificates/)]);
    expect(keysOf({ SMTP_CA_FILE: file('broken.pem', '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n') })).toEqual([expect.stringMatching(/^SMTP_CA_FILE: /)]);
    expect(loadEnv({ SMTP_TLS_SERVERNAME: 'Relay.Example.org' }).SMTP_TLS_SERVERNAME).toBe('relay.example.org');
    expect(() => loadEnv({ SMTP_TLS_SERVERNAME: 'relay example' })).toThrow(/SMTP_TLS_SERVERNAME/);
  });

  it('takes DKIM as all three settings or none, with an RSA key that can be read', () => {
    const dkim = { DKIM_DOMAIN: 'Signpost.example.org', DKIM_SELECTOR: 'hub2026', DKIM_PRIVATE_KEY_FILE: rsa };
    const on = loadEnv(dkim);
    expect([on.DKIM_DOMAIN, on.DKIM_SELECTOR, on.DKIM_PRIVATE_KEY_FILE]).toEqual(['signpost.example.org', 'hub2026', rsa]);
    expect(loadEnv({}).DKIM_DOMAIN).toBeUndefined();
    expect(keysOf({ DKIM_DOMAIN: 'signpost.example.org' }).map((k) => k.split(':')[0])).toEqual(['DKIM_SELECTOR', 'DKIM_PRIVATE_KEY_FILE']);
    expect(keysOf({ DKIM_DOMAIN: 'signpost.example.org' })[0]).toMatch(/set all three/);
    expect(keysOf({ ...dkim, DKIM_PRIVATE_KEY_FILE: join(dir, 'none.pem') })).toEqual([`DKIM_PRIVATE_KEY_FILE: cannot read ${join(dir, 'none.pem')} (ENOENT)`]);
    expect(keysOf({ ...dkim, DKIM_PRIVATE_KEY_FILE: ed })).toEqual([expect.stringMatching(/must hold an RSA private key/)]);
    expect(keysOf({ ...dkim, DKIM_PRIVATE_KEY_FILE: ca })).toEqual([expect.stringMatching(/must hold an RSA private key/)]);
    expect(() => loadEnv({ ...dkim, DKIM_SELECTOR: 'a b' })).toThrow(/DKIM_SELECTOR/);
    expect(() => loadEnv({ ...dkim, DKIM_DOMAIN: 'localhost' })).toThrow(/DKIM_DOMAIN/);
  });
});
