/**
 * When a failed delivery is tried again: the Standard Webhooks schedule (seconds, then minutes,
 * then hours), carried on so that the last attempt falls about three days after the first, each
 * delay spread by up to a fifth either way (a receiver that comes back is not hit by every
 * sender at once), and never sooner than the receiver's own `Retry-After`. Pure: the worker
 * hands in the random number and the header.
 */
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The delay before attempt n+2, after n+1 attempts have failed (11 attempts in all). */
export const RETRY_DELAYS_MS: readonly number[] = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR, 14 * HOUR, 14 * HOUR, 14 * HOUR];

/** A Retry-After longer than this is capped: the schedule's longest step. */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;
const JITTER = 0.2;

/**
 * Parses a Retry-After header (seconds, or an HTTP date read against `now`) into milliseconds;
 * undefined when absent or unreadable.
 */
export function retryAfterMs(header: string | undefined, now: Date): number | undefined {
  if (!header) return undefined;
  const v = header.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v) * SECOND;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/**
 * The delay before the next attempt, after `failedAttempts` attempts have failed; null when the
 * schedule is spent (the delivery has failed for good). `random` is in [0, 1).
 */
export function nextRetryDelayMs(failedAttempts: number, random: number, retryAfter?: number): number | null {
  const base = RETRY_DELAYS_MS[failedAttempts - 1];
  if (failedAttempts < 1 || base === undefined) return null;
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random));
  return Math.max(jittered, Math.min(retryAfter ?? 0, MAX_RETRY_AFTER_MS));
}
