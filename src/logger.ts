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
  '*.givenName',
  '*.familyName',
  '*.dateOfBirth',
  '*.postcode',
  '*.phone',
  '*.email',
  '*.addressLine',
  'password',
  '*.password',
  'token',
  '*.token',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'signpost' } }, destination);
}

export type { Logger };
