/** The small error family services throw; the error middleware turns them into replies. */
export interface ErrorDetail {
  path?: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (message: string, details?: ErrorDetail[]) => new AppError(400, 'invalid_request', message, details);
export const unauthorized = (message = 'a valid bearer token is required') => new AppError(401, 'unauthenticated', message);
export const forbidden = (message = 'your role cannot do this') => new AppError(403, 'forbidden', message);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (code: string, message: string, details?: unknown) => new AppError(409, code, message, details);
export const unprocessable = (code: string, message: string, details?: unknown) => new AppError(422, code, message, details);

// Postgres restarting or unreachable, or Redis down where a request needed it: the request did
// nothing (every write is one transaction) and a retry will succeed. Said as 503 + Retry-After.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

export function isServiceUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed/.test(message);
}

/** Postgres refused the text itself (a NUL character, an invalid byte sequence): the caller's input. */
export function isUnstorableText(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '22021' || code === '22P05' || code === '22P02';
}
