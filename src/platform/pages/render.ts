/**
 * Nunjucks over our views and the nhsuk-frontend component macros. Autoescaping is on: every
 * value is HTML-escaped unless a template says otherwise. Dates are shown in UK time.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import type { Response } from 'express';
import { ukDeadlineDate, ukDeadlineTime } from '../../kernel/uk-dates.js';

// The page kit's own views (the layout, the error page) and static files sit beside this module,
// and each feature module keeps its views in its pages/views folder: in src/ when run from the
// sources, in dist/src/ once `npm run build` has compiled them and copied the views there. View
// names are one flat namespace across them (a module's view may extend the layout or include
// another module's partial by name). The NHS.UK frontend is found the way Node finds the
// package, wherever node_modules is.
const KIT_VIEWS_DIR = fileURLToPath(new URL('./views', import.meta.url));
const MODULES_DIR = fileURLToPath(new URL('../../modules', import.meta.url));
export const VIEW_DIRS = [
  KIT_VIEWS_DIR,
  ...readdirSync(MODULES_DIR)
    .sort()
    .map((m) => join(MODULES_DIR, m, 'pages', 'views'))
    .filter((d) => existsSync(d)),
];
export const STATIC_DIR = fileURLToPath(new URL('./static', import.meta.url));
export const NHSUK_DIST_DIR = join(dirname(createRequire(import.meta.url).resolve('nhsuk-frontend/package.json')), 'dist');
/** @simplewebauthn/browser's ES modules (the package's require entry is script/index.js; its esm/ sits beside it). */
export const WEBAUTHN_BROWSER_DIR = join(dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser')), '..', 'esm');

const UK = 'Europe/London';
const dateFmt = new Intl.DateTimeFormat('en-GB', { timeZone: UK, day: 'numeric', month: 'long', year: 'numeric' });
const dateTimeFmt = new Intl.DateTimeFormat('en-GB', { timeZone: UK, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

const asDate = (v: unknown): Date | undefined => {
  if (v === null || v === undefined || v === '') return undefined;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? undefined : d;
};

export const STATUS_LABELS: Record<string, string> = {
  pending: 'Waiting to be sent',
  forward_failed: 'Sending failed',
  forwarded: 'Sent to agency',
  acknowledged: 'Acknowledged',
  accepted: 'Accepted',
  contacted: 'Person contacted',
  on_hold: 'On hold',
  completed: 'Completed',
  unable_to_contact: 'Unable to contact',
  declined: 'Person declined',
  rejected: 'Rejected by agency',
  rerouted: 'Re-routed',
  cancelled: 'Cancelled',
  open: 'Open',
  no_needs_identified: 'No needs identified',
  closed: 'Closed',
};

const STATUS_COLOURS: Record<string, string> = {
  pending: 'grey',
  forward_failed: 'red',
  forwarded: 'blue',
  acknowledged: 'blue',
  accepted: 'aqua-green',
  contacted: 'green',
  on_hold: 'yellow',
  completed: 'green',
  unable_to_contact: 'orange',
  declined: 'grey',
  rejected: 'red',
  rerouted: 'purple',
  cancelled: 'grey',
};

/** What an audit row records, in words: "Opened: referral", "Exported everything held". */
const AUDIT_ACTIONS: Record<string, string> = {
  read: 'Opened',
  list: 'Saw in a list',
  'person.export': 'Exported everything held (subject access)',
  'person.consent_withdrawn': 'Recorded that consent was withdrawn',
  'person.erase': 'Erased the personal details',
  'person.retention_erase': 'Erased the personal details at the end of retention',
  'person.merge': 'Merged another record of the person into this one',
  'person.merged_into': 'Merged this record into another',
  'person.match_dismissed': 'Marked a likely duplicate as another person',
  'person.legal_hold': 'Set a legal hold',
  'person.legal_hold_lifted': 'Lifted a legal hold',
  'audit.read': 'Read the audit log',
  'report.referrals_csv': 'Exported the referrals of a period as CSV (no names or contact details)',
  'report.summary': 'Read the summary report of a period (figures only)',
  'report.agency_performance': 'Read an agency’s performance figures',
  'agency_link.view': 'Opened the referral through the agency’s emailed link',
  'self_referral.released': 'Released a self-referral after the call (referrals made)',
  'self_referral.closed': 'Closed a self-referral with a reason',
  'self_referral.retention_erase': 'Removed the notes of a closed self-referral (retention)',
  'agency_link.act': 'Updated the referral through the agency’s emailed link',
  'agency_link.revoke': 'Revoked the email links',
  'user.create': 'Created the account',
  'user.disable': 'Disabled the account',
  'user.password': 'Set the password',
  'session.end': 'Ended one of their own sessions',
  'session.end_others': 'Signed out everywhere else (ended their other sessions)',
  'session.end_all': 'Ended all the account’s sessions',
  'token.create': 'Made an API token',
  'token.revoke': 'Revoked an API token',
  'user.sso_sign_in': 'Signed in by single sign-on (the provider’s second factor not counted: Signpost’s own applies)',
  'user.sso_sign_in_mfa': 'Signed in by single sign-on, the provider’s second factor counted (OIDC_TRUST_MFA)',
  'sso.refused.no_account': 'Refused a single sign-on: no active account has the provider’s email',
  'sso.refused.email_unverified': 'Refused a single sign-on: the provider did not say the email is verified',
  'sso.refused.domain_not_allowed': 'Refused a single sign-on: the email’s domain is not one the hub allows',
  'sso.refused.state_mismatch': 'Refused a single sign-on: the answer matched no sign-in this browser started (expired, used twice or forged)',
  'sso.refused.cancelled': 'Refused a single sign-on: cancelled at the provider',
  'sso.refused.provider_error': 'Refused a single sign-on: the provider answered with an error',
  'sso.refused.provider_unreachable': 'Refused a single sign-on: the provider could not be reached in time',
  'user.two_factor_enrolled': 'Turned on two-factor sign-in (an authenticator app)',
  'user.two_factor_code_refused': 'Refused a wrong two-factor code',
  'user.two_factor_code_reused': 'Refused a two-factor code that had been used already',
  'user.two_factor_recovery_used': 'Signed in with a recovery code ({n} left)',
  'user.two_factor_recovery_codes_renewed': 'Made new recovery codes (the old ones stopped working)',
  'user.two_factor_turned_off': 'Turned off two-factor sign-in',
  'user.two_factor_reset': 'Reset the two-factor sign-in (their sessions ended)',
  'user.passkey_added': 'Added a passkey for two-factor sign-in',
  'user.passkey_removed': 'Removed a passkey',
  'user.passkey_used': 'Signed in with a passkey',
  'user.passkey_refused': 'Refused a passkey at sign-in',
  'webhook.register': 'Registered a webhook endpoint (its signing secret shown once)',
  'webhook.remove': 'Removed a webhook endpoint',
  'webhook.rotate_secret': 'Made a new signing secret for a webhook endpoint (the old one signs beside it for a day)',
  'webhook.resend': 'Sent a webhook delivery again',
};
const AUDIT_ENTITIES: Record<string, string> = { person: 'person record', referral: 'referral', submission: 'checklist', user: 'user account', api_token: 'API token', audit_log: 'audit log', self_referral: 'self-referral', sign_in: 'sign-in', webhook_endpoint: 'webhook endpoint' };

export function auditWhat(action: string, entity: string): string {
  // an action may carry a count after a colon ('user.two_factor_recovery_used:7'): its words say {n}
  const count = /^([^:]+):(\d{1,6})$/.exec(action);
  if (count && AUDIT_ACTIONS[count[1]!]?.includes('{n}')) return AUDIT_ACTIONS[count[1]!]!.replace('{n}', count[2]!);
  const words = AUDIT_ACTIONS[action] ?? action.replace(/[._]/g, ' ').replace(/^./, (c) => c.toUpperCase());
  const thing = AUDIT_ENTITIES[entity] ?? entity.replace(/_/g, ' ');
  return action.includes('.') ? words : `${words}: ${thing}`;
}

/**
 * A phone number as a link a phone can ring: its text as written, its tel: address the digits
 * (and a leading +) alone, without the (0) some write after +44. Something with no digits stays plain text.
 */
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

export function telLink(v: unknown): nunjucks.runtime.SafeString {
  const text = String(v ?? '').trim();
  const digits = text.replace(/\(0\)/g, '').replace(/[^\d+]/g, '').replace(/(?!^)\+/g, '');
  if (!/\d/.test(digits)) return new nunjucks.runtime.SafeString(escapeHtml(text));
  return new nunjucks.runtime.SafeString(`<a href="tel:${digits}">${escapeHtml(text)}</a>`);
}

export function createViews(): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader([...VIEW_DIRS, NHSUK_DIST_DIR]), {
    autoescape: true,
    throwOnUndefined: false,
  });
  env.addFilter('ukDate', (v: unknown) => {
    const d = asDate(v);
    return d ? dateFmt.format(d) : '';
  });
  env.addFilter('ukDateTime', (v: unknown) => {
    const d = asDate(v);
    return d ? dateTimeFmt.format(d) : '';
  });
  // a deadline's day: one at midnight (WORKING_DAY_ENDS_AT=24:00) is the end of the day before
  env.addFilter('ukDeadline', (v: unknown) => {
    const d = asDate(v);
    return d ? ukDeadlineDate(d) : '';
  });
  env.addFilter('ukDeadlineTime', (v: unknown) => {
    const d = asDate(v);
    return d ? ukDeadlineTime(d) : '';
  });
  env.addFilter('statusLabel', (s: string) => STATUS_LABELS[s] ?? s);
  env.addFilter('statusColour', (s: string) => STATUS_COLOURS[s] ?? 'grey');
  env.addFilter('contactWords', (s: unknown) => ({ phone: 'By phone', email: 'By email', post: 'By letter', visit: 'A home visit' })[String(s)] ?? s);
  // nunjucks's own trim is `replace(/^\s*|\s*$/g, '')`, whose `\s*$` is retried from every
  // whitespace position: quadratic in a block's whitespace. nhsuk-frontend trims every html block
  // a macro is given, which cost the referral page about 14 ms a request. Same characters, linear.
  env.addFilter('trim', (s: unknown) => {
    const trimmed = String(s ?? '').trim();
    return s instanceof nunjucks.runtime.SafeString ? new nunjucks.runtime.SafeString(trimmed) : trimmed;
  });
  // as printed on NHS letters: 943 476 5919
  env.addFilter('nhsNumber', (v: unknown) => String(v ?? '').replace(/^(\d{3})(\d{3})(\d{4})$/, '$1 $2 $3'));
  env.addFilter('telLink', telLink);
  env.addFilter('auditWhat', (action: unknown, entity: unknown) => auditWhat(String(action ?? ''), String(entity ?? '')));
  env.addFilter('humanise', (s: unknown) => (typeof s === 'string' ? s.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()) : s));
  return env;
}

/**
 * The NHS.UK stylesheet as Signpost serves it: its @font-face rules load the NHS typeface from
 * assets.nhs.uk, another host (which would learn who opens which page, and fails offline), and
 * Signpost is not an NHS service. Without them the same font stack falls back to Arial.
 */
export function nhsukCssWithoutWebFonts(): { text: string; etag: string } {
  const text = readFileSync(join(NHSUK_DIST_DIR, 'nhsuk', 'nhsuk-frontend.min.css'), 'utf8').replace(/@font-face\{[^}]*\}/g, '');
  return { text, etag: `"${createHash('sha256').update(text).digest('base64url').slice(0, 16)}"` };
}

let shared: nunjucks.Environment | undefined;
function views(): nunjucks.Environment {
  return (shared ??= createViews());
}

/**
 * Compiles every view (and the NHS.UK macros they import) once, in the background, so that the
 * first person to open each page does not pay for it (about 100 ms a template on a small
 * machine). Rendering with an empty context is enough to compile; errors are ignored.
 */
export function warmViews(): void {
  const names = VIEW_DIRS.flatMap((d) => readdirSync(d).filter((n) => n.endsWith('.njk')));
  let i = 0;
  const next = () => {
    const name = names[i++];
    if (!name) return;
    try {
      views().render(name, { fieldErrors: {}, values: {}, errors: [] });
    } catch {
      /* an empty context cannot fill every view: compiling is what counts */
    }
    setImmediate(next);
  };
  setImmediate(next);
}

/** Renders a view with the page's shared locals (user, csrf token, navigation) and sends it. */
export function page(res: Response, view: string, context: Record<string, unknown> = {}, status = 200): void {
  const html = views().render(view, { ...res.locals, ...context });
  res.status(status).type('html').send(html);
}
