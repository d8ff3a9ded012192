/**
 * What answered a form POST, read from the answer alone: a CSRF check, the body checks that
 * run before any route (unreadable or unstorable input), the sign-in redirect or role guard of a
 * lost session, an expired link, or the route's own handler. The fuzz counts these to show its
 * cases got past the guards to the code they are meant to try.
 */
import type { WebResponse } from './web-client.js';

export type FormAnswer = 'csrf' | 'body-check' | 'signed-out' | 'role' | 'link-expired' | 'handler';

/**
 * The texts of the guards' pages: src/platform/pages/guards.ts, the sign-in, self-referral,
 * agency-link and capacity routes' own, src/pages.ts and src/platform/http/body-shape.ts.
 */
const CSRF_REFUSAL = /<h1>Your form has expired<\/h1>|Your sign-in form expired\. Try again\.|This form had expired\. Check your answers and send it again\./;
const BODY_REFUSAL = /the request is not valid|the body nests deeper than|the body holds more than|The form could not be read/;
const LINK_EXPIRED = /<h1>This link has (expired or been withdrawn|expired)<\/h1>/;

export function formAnswer(res: WebResponse): FormAnswer {
  if (res.status === 403 && CSRF_REFUSAL.test(res.text)) return 'csrf';
  if ((res.status === 400 || res.status === 413 || res.status === 415) && BODY_REFUSAL.test(res.text)) return 'body-check';
  if (res.status === 303 && res.location?.startsWith('/sign-in')) return 'signed-out';
  if (res.status === 403 && res.text.includes('<h1>You cannot see this page</h1>')) return 'role';
  if (res.status === 404 && LINK_EXPIRED.test(res.text)) return 'link-expired';
  return 'handler';
}

/** Counts of each kind of answer. */
export class AnswerTally {
  readonly counts = new Map<FormAnswer, number>();
  add(a: FormAnswer): void {
    this.counts.set(a, (this.counts.get(a) ?? 0) + 1);
  }
  get(a: FormAnswer): number {
    return this.counts.get(a) ?? 0;
  }
  get total(): number {
    return [...this.counts.values()].reduce((n, x) => n + x, 0);
  }
}
