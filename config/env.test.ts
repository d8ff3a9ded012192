import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnv } from './env.js';

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
});
