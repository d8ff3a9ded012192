/**
 * pino, with personal data redacted at the logger: whatever a log call is handed, these paths
 * never reach the output. Request bodies are never logged.
 */
import { pino, type Logger } from 'pino';

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

export function errorSerializer(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  for (const k of DATA_BEARING_ERROR_FIELDS) delete out[k];
  const cause = out.cause as Record<string, unknown> | undefined;
  if (cause && typeof cause === 'object') for (const k of DATA_BEARING_ERROR_FIELDS) delete cause[k];
  return out;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, serializers: { err: errorSerializer }, base: { service: 'signpost' } },
    destination,
  );
}

export type { Logger };
