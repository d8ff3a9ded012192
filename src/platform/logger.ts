/**
 * pino, with personal data redacted at the logger: whatever a log call is handed, these paths
 * never reach the output. Request bodies are never logged.
 */
import { pino, type Logger } from 'pino';
import { redactAddresses } from '../kernel/mail-redaction.js';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'person',
  '*.person',
  'givenName',
  'familyName',
  'dateOfBirth',
  'postcode',
  'phone',
  'email',
  'addressLine',
  'nhsNumber',
  'accessNeeds',
  'language',
  'representativeName',
  'representativeRelationship',
  // ONS4 answers: health data
  'wellbeing',
  '*.givenName',
  '*.familyName',
  '*.dateOfBirth',
  '*.postcode',
  '*.phone',
  '*.email',
  '*.addressLine',
  '*.nhsNumber',
  '*.accessNeeds',
  '*.language',
  '*.representativeName',
  '*.representativeRelationship',
  '*.wellbeing',
  // a self-referral's filler, the referrer named on a paper checklist, triage notes
  'fillerName',
  '*.fillerName',
  'fillerRelationship',
  '*.fillerRelationship',
  'confirmEmail',
  '*.confirmEmail',
  'referrer',
  '*.referrer',
  'callNote',
  '*.callNote',
  'closeNote',
  '*.closeNote',
  'password',
  '*.password',
  'token',
  '*.token',
];

/**
 * Fields of a Postgres error that quote the data it was handed: `detail` ("Key (email)=(...)"),
 * `where` (the PL/pgSQL context, with the JSON the intake function received), `hint`, and the
 * internal query. An error is logged with its code, constraint, table and column instead.
 */
const DATA_BEARING_ERROR_FIELDS = ['detail', 'where', 'hint', 'internalQuery', 'internalPosition', 'position', 'parameters'];

/**
 * Fields of an error whose text may quote a mail address: a mail server's reply ("550 5.1.1
 * <edna@example.org>") is in nodemailer's `message`, `response` and `stack`, its recipients in
 * `rejected` and `accepted`. Addresses in them are redacted (kernel/mail-redaction.ts), whatever
 * the error and wherever it is logged, as the `err` of a log line (an Error or its message).
 */
const ADDRESS_BEARING_ERROR_FIELDS = ['message', 'stack', 'response', 'rejected', 'accepted', 'rejectedErrors', 'envelope'];

function scrub(v: unknown): unknown {
  if (typeof v === 'string') return redactAddresses(v);
  if (Array.isArray(v)) return v.map(scrub);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x)]));
  return v;
}

function clean(out: Record<string, unknown>): void {
  for (const k of DATA_BEARING_ERROR_FIELDS) delete out[k];
  for (const k of ADDRESS_BEARING_ERROR_FIELDS) if (k in out) out[k] = scrub(out[k]);
}

export function errorSerializer(err: unknown): unknown {
  if (typeof err === 'string') return redactAddresses(err);
  if (!(err instanceof Error)) return err;
  const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  clean(out);
  const cause = out.cause as Record<string, unknown> | undefined;
  if (cause && typeof cause === 'object') clean(cause);
  return out;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, serializers: { err: errorSerializer }, base: { service: 'signpost' } },
    destination,
  );
}

export type { Logger };
