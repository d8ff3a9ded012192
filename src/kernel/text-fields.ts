/**
 * The one rule for every name and title a user types (a person's names, a representative's,
 * an agency's, an organisation's, a user's, a referrer's, an outcome's label, a checklist's,
 * section's or question's title): one line, without control characters (kernel/one-line.ts).
 * Free text (notes, reasons, an address, access needs) may keep its line breaks.
 *
 *   name: oneLineText().trim().min(1, 'must not be empty').max(200)
 *
 * The check runs before the trim, so a line break at either end is refused too.
 */
import { z } from 'zod';
import { isOneLine } from './one-line.js';

export const ONE_LINE_MESSAGE = 'must be on one line, without control characters';

export function oneLineText() {
  return z.string().refine(isOneLine, ONE_LINE_MESSAGE);
}
