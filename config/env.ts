/**
 * The one schema for all configuration. Parsed once at boot and frozen; a bad value stops
 * start-up with every bad key listed. Defaults work on a developer machine with local
 * Postgres and Redis.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';

/** How a clock of days is counted (an agency's contact clock): the settings' own words, which the kernel's clocks use. */
export const CLOCK_KINDS = ['calendar_days', 'working_days'] as const;
/** How the hub's forward clock (T1) is counted. */
export const FORWARD_CLOCKS = ['hours', 'next_working_day'] as const;

/** 'HH:MM' (00:01 to 24:00) as minutes past midnight; undefined when it is not such a time. */
export function parseDayEnd(hhmm: string): number | undefined {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(hhmm);
  if (!m) return undefined;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return minutes >= 1 && minutes <= 1440 ? minutes : undefined;
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

/** An empty value (`KEY=` in a .env file) means the setting is not set. */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);

/** The names Express's 'trust proxy' knows for the private ranges. */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];
const isProxyEntry = (x: string) => {
  if (PROXY_RANGES.includes(x)) return true;
  const [address, bits, more] = x.split('/');
  const family = isIP(address ?? '');
  if (!family || more !== undefined) return false;
  return bits === undefined || (/^[0-9]{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
};

/**
 * TRUST_PROXY, as Express's 'trust proxy': which proxies in front of the app may say, in
 * X-Forwarded-For, which address a request came from. `false` (the default): none, the address is
 * the connection's. A number: that many proxies in front. Otherwise the proxies' addresses and
 * subnets, and the names loopback, linklocal, uniquelocal, separated by commas. `true` is refused:
 * every client could then choose the address it is counted under.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((v, ctx): false | number | string[] => {
    if (/^(false|off|no|0)?$/i.test(v)) return false;
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (/^[0-9]+$/.test(v)) return Number(v) <= 10 ? Number(v) : fail('must be at most 10 proxies');
    if (/^(true|yes|on)$/i.test(v)) return fail('must not be true (any client could then choose its address): give the number of proxies in front of the app, or their addresses');
    const entries = v.split(',').map((x) => x.trim());
    const bad = entries.find((x) => !isProxyEntry(x));
    if (bad !== undefined) return fail(`"${bad}" is not an address, a subnet (address/bits), loopback, linklocal or uniquelocal`);
    return entries;
  });

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.url().default('http://localhost:3000'),
  DATABASE_URL: z.string().startsWith('postgres').default('postgres://postgres@127.0.0.1:5432/signpost'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: z.string().startsWith('redis').default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z.string().min(1).default('signpost'),
  // HTTP: a request (headers and body) must arrive within these; connections beyond the cap are refused
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(30_000),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100_000).default(1_000),
  // which proxies in front may name the client's address (X-Forwarded-For); off by default
  TRUST_PROXY: trustProxy.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Clocks (docs/clocks.md). Lengths are policy: tests move the clock instead.
  // T1: `hours` (FORWARD_WITHIN_HOURS after receipt) or `next_working_day` (closing time on the next working day)
  FORWARD_CLOCK: z.enum(FORWARD_CLOCKS).default('hours'),
  FORWARD_WITHIN_HOURS: z.coerce.number().positive().default(24),
  CONTACT_WITHIN_DAYS: z.coerce.number().int().positive().default(14),
  // the contact clock kind a new agency gets (each agency has its own)
  CONTACT_CLOCK: z.enum(CLOCK_KINDS).default('calendar_days'),
  // T3: the hub's call falls due this many working days after the day the agency's contact
  // deadline closes (src/kernel/promise.ts), so it never comes before the date the person was given
  FOLLOW_UP_WORKING_DAYS_AFTER_CONTACT: z.coerce.number().int().min(1).max(20).default(1),
  // when a working day ends, London time ('HH:MM', up to 24:00 for midnight): working-day deadlines fall then
  WORKING_DAY_ENDS_AT: z.string().refine((v) => parseDayEnd(v) !== undefined, 'must be a time from 00:01 to 24:00, HH:MM').default('17:00'),
  // warnings: what falls due within this many hours is shown on the dashboard and marked in reminders
  SLA_WARN_WITHIN_HOURS: z.coerce.number().positive().max(24 * 14).default(24),
  REMINDER_DAYS_BEFORE: z.coerce.number().int().min(0).default(4),
  /** outside the hub, counts from 1 to this minus 1 show as "<N" (reports/agency performance) */
  SMALL_NUMBER_THRESHOLD: z.coerce.number().int().min(2).max(100).default(5),
  IDEMPOTENCY_KEY_TTL_HOURS: z.coerce.number().positive().min(24).default(48),
  AUTH_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  // Agency capacity: unconfirmed after this many days; a process's cached read lives this long
  CAPACITY_UNCONFIRMED_AFTER_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  CAPACITY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(30_000),
  // how far ahead an agency may say it is closed until (the API, its page, its mail link)
  CAPACITY_CLOSED_MAX_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  // Mail
  SMTP_URL: z.string().startsWith('smtp').default('smtp://127.0.0.1:2525'),
  // TLS to the relay (docs/ops/mail-relay.md): required, never sent in clear (unset: true in
  // production, false otherwise); a PEM file of the CA(s) that signed the relay's certificate,
  // trusted besides the system's; the name its certificate carries, when SMTP_URL reaches it by
  // an address or an alias
  SMTP_REQUIRE_TLS: unsetIfEmpty(bool.optional()),
  SMTP_CA_FILE: unsetIfEmpty(z.string().min(1).optional()),
  SMTP_TLS_SERVERNAME: unsetIfEmpty(z.string().trim().toLowerCase().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'must be a host name, such as relay.example.org').max(253).optional()),
  // DKIM signing of every mail (all three, or none): the signing domain, the selector whose DNS
  // TXT record holds the public key, and the private key's PEM file
  DKIM_DOMAIN: unsetIfEmpty(z.string().trim().toLowerCase().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'must be a domain, such as example.org').optional()),
  DKIM_SELECTOR: unsetIfEmpty(z.string().trim().regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, 'must be a DNS label (letters, digits, dots, hyphens), such as signpost2026').max(63).optional()),
  DKIM_PRIVATE_KEY_FILE: unsetIfEmpty(z.string().min(1).optional()),
  MAIL_FROM: z.string().min(3).default('Signpost hub <hub@signpost.example.org>'),
  MAIL_REPLY_TO: z.string().min(3).default('hub@signpost.example.org'),
  COORDINATOR_ALERT_EMAIL: z.string().min(3).default('coordinators@signpost.example.org'),
  FORWARD_EMAIL_CONTENT: z.enum(['full', 'minimal']).default('minimal'),
  // The hub as people meet it: on every mail and on the record left with the person
  HUB_NAME: z.string().trim().min(2).max(100).default('Signpost hub'),
  HUB_PHONE: z.string().trim().regex(/^\+?[0-9 ()-]{7,20}$/, 'must be a telephone number').default('020 7946 0000'),
  HUB_HOURS: z.string().trim().min(2).max(100).default('Monday to Friday, 9am to 5pm'),
  // the hub's postal address, on the printable blank checklist (lines separated by commas)
  HUB_ADDRESS: z.string().trim().min(5).max(300).default('Signpost hub, 1 Example Street, London SE1 7PB'),
  // Ways in: how old a paper or phone checklist's receipt may be when the hub keys it in, and the
  // public self-referral page's limits per address and for everyone (per hour; docs/ways-in.md,
  // docs/security.md)
  HUB_ENTRY_MAX_AGE_DAYS: z.coerce.number().int().min(1).max(365).default(60),
  SELF_REFERRAL_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(5),
  SELF_REFERRAL_GLOBAL_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(200),
  // where the pages ask the ONS4 wellbeing questions: the checklist, the hub's follow-up call, or
  // both (the JSON API takes them at either whatever this says; docs/configuration.md)
  WELLBEING_ASKED_AT: z.enum(['checklist', 'call', 'both'], 'must be checklist, call or both').default('call'),
  // Workers
  // queue names, or `all`; checked against the job registry when the workers start
  WORKER_QUEUES: csv.pipe(z.array(z.string().regex(/^[a-z-]+$/, 'must be queue names separated by commas, or all')).min(1)).default(['all']),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(5),
  SLA_SWEEP_EVERY_MS: z.coerce.number().int().min(1000).default(60_000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  // a worker process's /healthz and /readyz (0: off)
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  WORKER_HEALTH_HOST: z.string().default('127.0.0.1'),
  // Metrics (docs/ops/metrics.md): GET /metrics on the API and each worker's health port answers
  // only with `Authorization: Bearer <METRICS_TOKEN>`; unset, there is no /metrics (404)
  METRICS_TOKEN: unsetIfEmpty(z.string().min(24, 'must be at least 24 characters (a random token)').max(500).regex(/^[\x21-\x7e]+$/, 'must be printable characters without spaces').optional()),
  // the hub admin's queue view (/hub/queues): read-only unless this allows retrying failed jobs
  QUEUE_VIEW_ALLOW_RETRIES: bool.default(false),
  // `npm run demo`: the page listing the mail its embedded SMTP sink received
  DEMO_MAIL_PORT: z.coerce.number().int().min(0).max(65535).default(8025),
  // `npm run demo`: every demo user's web password
  DEMO_PASSWORD: z.string().min(10).max(200).default('signpost-demo'),
  // The person's data: how long it is kept after their last checklist closes (months; at least 1),
  // and how often new audit rows are sealed into the hash chain
  RETENTION_MONTHS_AFTER_CLOSE: z.coerce.number().int().min(1).max(240).default(24),
  AUDIT_SEAL_EVERY_MS: z.coerce.number().int().min(1000).max(3_600_000).default(15_000),
  // how often the workers add the people of new checklists to the person search's name index
  // (a misspelt name finds a new person this long after their checklist; the beginning of a name at once)
  PERSON_SEARCH_INDEX_EVERY_MS: z.coerce.number().int().min(500).max(600_000).default(2_000),
  // Web sessions and signed agency links
  SESSION_SECRET: z.string().min(32).default('dev-only-session-secret-change-me-0123456789'),
  SECURE_COOKIES: bool.default(false),
  AGENCY_LINK_TTL_DAYS: z.coerce.number().int().positive().default(28),
  SESSION_IDLE_HOURS: z.coerce.number().positive().max(24 * 7).default(8),
  // however busy, a web session ends this long after sign-in; never shorter than the idle time
  SESSION_ABSOLUTE_HOURS: z.coerce.number().positive().max(24 * 30).default(12),
  // Single sign-on through the hub's own identity provider (OpenID Connect; docs/configuration.md):
  // off unless the issuer, the client id and the secret are all set
  OIDC_ISSUER: unsetIfEmpty(z.url({ protocol: /^https?$/, error: 'must be the provider\'s issuer, an http(s) URL' }).optional()),
  OIDC_CLIENT_ID: unsetIfEmpty(z.string().trim().min(1).max(500).optional()),
  OIDC_CLIENT_SECRET: unsetIfEmpty(z.string().min(1).max(2000).optional()),
  // the words on the sign-in page's button
  OIDC_LABEL: z.string().trim().min(2).max(60).default('Sign in with your organisation’s account'),
  // when set, only emails at these domains may sign in this way (comma-separated)
  OIDC_ALLOWED_DOMAINS: csv.pipe(z.array(z.string().toLowerCase().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'must be domains separated by commas, such as example.org'))).default([]),
  // the provider's second factor (its ID token's amr) counts as Signpost's own
  OIDC_TRUST_MFA: bool.default(false),
  // how long a request to the provider may take before the sign-in is refused (discovery, token, userinfo)
  OIDC_TIMEOUT_MS: z.coerce.number().int().min(500).max(60_000).default(10_000),
  // A second factor (docs/security.md#a-second-factor): the key that encrypts the authenticator
  // secrets (AES-256-GCM) and keys the recovery codes' hashes, and the roles that must have one
  MFA_KEY: z.string().min(32).default('dev-only-mfa-key-change-me-0123456789abcdef'),
  MFA_REQUIRED_ROLES: csv.pipe(z.array(z.enum(['link_worker', 'agency', 'coordinator', 'admin'], 'must be roles separated by commas: link_worker, agency, coordinator, admin'))).default(['admin', 'coordinator']),
  // Signed webhooks (docs/webhooks.md): the key that seals the endpoints' signing secrets
  // (AES-256-GCM; unset: a key derived from MFA_KEY), whether endpoints may be private, loopback
  // or link-local addresses (development and tests only), and how long one delivery may take
  WEBHOOK_KEY: unsetIfEmpty(z.string().min(32).optional()),
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(1000).max(60_000).default(15_000),
  // Traces (docs/ops/tracing.md): OpenTelemetry's own settings. Off unless OTEL_TRACES_EXPORTER
  // or an OTLP endpoint is set; then every process exports its spans (the exporter itself also
  // reads OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT and the like)
  OTEL_SDK_DISABLED: bool.default(false),
  OTEL_TRACES_EXPORTER: unsetIfEmpty(z.enum(['otlp', 'console', 'none'], 'must be otlp, console or none').optional()),
  OTEL_EXPORTER_OTLP_ENDPOINT: unsetIfEmpty(z.url({ protocol: /^https?$/, error: 'must be the collector\'s OTLP/HTTP address, an http(s) URL' }).optional()),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: unsetIfEmpty(z.url({ protocol: /^https?$/, error: 'must be the collector\'s OTLP/HTTP traces address, an http(s) URL' }).optional()),
  OTEL_SERVICE_NAME: unsetIfEmpty(z.string().trim().min(1).max(100).optional()),
  // the share of new traces kept (a trace continued from a job keeps its parent's decision)
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
});

/** The settings of traces alone: read before anything else loads (src/instrument.ts), so that the instrumentations come first. */
export const tracingSchema = envSchema.pick({
  OTEL_SDK_DISABLED: true,
  OTEL_TRACES_EXPORTER: true,
  OTEL_EXPORTER_OTLP_ENDPOINT: true,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: true,
  OTEL_SERVICE_NAME: true,
  OTEL_TRACES_SAMPLER_ARG: true,
});
export type TracingSettings = z.infer<typeof tracingSchema>;

/** Whether these settings ask for traces: an exporter named (not none), or an OTLP endpoint given, and the SDK not disabled. */
export function tracingWanted(s: TracingSettings): 'otlp' | 'console' | undefined {
  if (s.OTEL_SDK_DISABLED || s.OTEL_TRACES_EXPORTER === 'none') return undefined;
  if (s.OTEL_TRACES_EXPORTER) return s.OTEL_TRACES_EXPORTER;
  return s.OTEL_EXPORTER_OTLP_ENDPOINT || s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'otlp' : undefined;
}

export type Env = Readonly<Omit<z.infer<typeof envSchema>, 'SMTP_REQUIRE_TLS'> & { SMTP_REQUIRE_TLS: boolean }>;

/** Keys that no longer mean anything, and what replaced them. */
const RETIRED_KEYS: Record<string, string> = {
  FOLLOW_UP_AFTER_DAYS:
    "no longer used: the hub's call now falls due after the agency's contact deadline (FOLLOW_UP_WORKING_DAYS_AFTER_CONTACT working days after it, default 1); remove this setting",
  FOLLOW_UP_CLOCK: 'no longer used: the hub\'s call is counted in working days after the agency\'s contact deadline (FOLLOW_UP_WORKING_DAYS_AFTER_CONTACT); remove this setting',
};

export class ConfigError extends Error {
  constructor(readonly issues: { key: string; message: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.key}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (process.env by default); throws ConfigError naming every bad key. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => ({ key: i.path.join('.') || '(root)', message: i.message })),
    );
  }
  // settings that were replaced: a hub that set one must learn it no longer applies
  const retired = Object.entries(RETIRED_KEYS).filter(([key]) => source[key] !== undefined);
  if (retired.length) throw new ConfigError(retired.map(([key, message]) => ({ key, message })));
  if (result.data.HTTP_HEADERS_TIMEOUT_MS > result.data.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError([{ key: 'HTTP_HEADERS_TIMEOUT_MS', message: 'must not be longer than HTTP_REQUEST_TIMEOUT_MS' }]);
  }
  if (result.data.SESSION_ABSOLUTE_HOURS < result.data.SESSION_IDLE_HOURS) {
    throw new ConfigError([{ key: 'SESSION_ABSOLUTE_HOURS', message: `must be at least SESSION_IDLE_HOURS (${result.data.SESSION_IDLE_HOURS}): a session cannot outlast its own lifetime by lying idle` }]);
  }
  const sso = [['OIDC_ISSUER', result.data.OIDC_ISSUER], ['OIDC_CLIENT_ID', result.data.OIDC_CLIENT_ID], ['OIDC_CLIENT_SECRET', result.data.OIDC_CLIENT_SECRET]] as const;
  const ssoSet = sso.filter(([, v]) => v !== undefined);
  if (ssoSet.length > 0 && ssoSet.length < sso.length) {
    const missing = sso.filter(([, v]) => v === undefined).map(([k]) => k);
    throw new ConfigError(missing.map((key) => ({ key, message: `must be set for single sign-on, with ${ssoSet.map(([k]) => k).join(' and ')} (set all three of OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, or none)` })));
  }
  const mailProblems = checkMailFiles(result.data);
  if (mailProblems.length) throw new ConfigError(mailProblems);
  if (result.data.NODE_ENV === 'production') {
    const problems: { key: string; message: string }[] = [];
    if (result.data.SESSION_SECRET.startsWith('dev-only')) problems.push({ key: 'SESSION_SECRET', message: 'must be set in production' });
    if (result.data.MFA_KEY.startsWith('dev-only')) problems.push({ key: 'MFA_KEY', message: 'must be set in production (it encrypts the authenticator secrets)' });
    // the default is a number reserved for drama: people must never be told to ring it
    if (source.HUB_PHONE === undefined) problems.push({ key: 'HUB_PHONE', message: "must be set in production (the hub's phone number, printed on every record and mail)" });
    if (result.data.PUBLIC_URL.startsWith('https:') && !result.data.SECURE_COOKIES) {
      problems.push({ key: 'SECURE_COOKIES', message: 'must be true when PUBLIC_URL is https (session cookies would travel in clear)' });
    }
    if (result.data.WEBHOOK_ALLOW_PRIVATE) problems.push({ key: 'WEBHOOK_ALLOW_PRIVATE', message: 'must not be true in production (an endpoint could reach the hub\'s own network)' });
    if (result.data.OIDC_ISSUER?.startsWith('http:')) problems.push({ key: 'OIDC_ISSUER', message: 'must be https in production (the ID token and the secret would travel in clear)' });
    if (problems.length) throw new ConfigError(problems);
  }
  // TLS to the relay is required in production unless a hub says otherwise
  const requireTls = result.data.SMTP_REQUIRE_TLS ?? result.data.NODE_ENV === 'production';
  // nodemailer lets SMTP_URL's query override the transport's options: none may undo the requirement
  const weakening = requireTls ? smtpUrlTlsKeys(result.data.SMTP_URL) : [];
  if (weakening.length) {
    throw new ConfigError([{ key: 'SMTP_URL', message: `must not set ${weakening.join(', ')} while SMTP_REQUIRE_TLS is true (TLS is set by SMTP_REQUIRE_TLS, SMTP_CA_FILE and SMTP_TLS_SERVERNAME)` }]);
  }
  return Object.freeze({ ...result.data, SMTP_REQUIRE_TLS: requireTls });
}

/** The query keys of an SMTP URL that would change how (or whether) TLS is used. */
function smtpUrlTlsKeys(url: string): string[] {
  let keys: string[];
  try {
    keys = [...new URL(url).searchParams.keys()];
  } catch {
    return [];
  }
  return keys.filter((k) => /^(ignoretls|requiretls|opportunistictls|secure|tls\..*)$/i.test(k));
}

/** The PEM blocks of a file, or why it cannot be read (the message names the file, never its content). */
function readPem(path: string): { text: string } | { problem: string } {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (err) {
    return { problem: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
}

/**
 * The mail settings that name files are read now, at start-up, so that a missing or wrong file
 * stops the process with the key's name rather than failing every send later. DKIM is all three
 * settings or none.
 */
function checkMailFiles(env: z.infer<typeof envSchema>): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  if (env.SMTP_CA_FILE !== undefined) {
    const pem = readPem(env.SMTP_CA_FILE);
    if ('problem' in pem) problems.push({ key: 'SMTP_CA_FILE', message: pem.problem });
    else {
      const blocks = pem.text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
      const bad = blocks.length === 0 || blocks.some((b) => {
        try {
          new X509Certificate(b);
          return false;
        } catch {
          return true;
        }
      });
      if (bad) problems.push({ key: 'SMTP_CA_FILE', message: `${env.SMTP_CA_FILE} must hold one or more PEM certificates (-----BEGIN CERTIFICATE-----)` });
    }
  }
  const dkim = [['DKIM_DOMAIN', env.DKIM_DOMAIN], ['DKIM_SELECTOR', env.DKIM_SELECTOR], ['DKIM_PRIVATE_KEY_FILE', env.DKIM_PRIVATE_KEY_FILE]] as const;
  const dkimSet = dkim.filter(([, v]) => v !== undefined);
  if (dkimSet.length > 0 && dkimSet.length < dkim.length) {
    for (const [key] of dkim.filter(([, v]) => v === undefined)) {
      problems.push({ key, message: `must be set for DKIM signing, with ${dkimSet.map(([k]) => k).join(' and ')} (set all three of DKIM_DOMAIN, DKIM_SELECTOR, DKIM_PRIVATE_KEY_FILE, or none)` });
    }
  }
  if (env.DKIM_PRIVATE_KEY_FILE !== undefined) {
    const pem = readPem(env.DKIM_PRIVATE_KEY_FILE);
    if ('problem' in pem) problems.push({ key: 'DKIM_PRIVATE_KEY_FILE', message: pem.problem });
    else {
      let type: string | undefined;
      try {
        type = createPrivateKey(pem.text).asymmetricKeyType;
      } catch {
        type = undefined;
      }
      // nodemailer signs rsa-sha256 only
      if (type !== 'rsa') problems.push({ key: 'DKIM_PRIVATE_KEY_FILE', message: `${env.DKIM_PRIVATE_KEY_FILE} must hold an RSA private key in PEM (nodemailer signs with rsa-sha256)` });
    }
  }
  return problems;
}
