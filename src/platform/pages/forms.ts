/**
 * Reading a posted form and turning problems into the NHS.UK error summary: the pieces every
 * module's pages share. A form posts flat string fields; a repeated field keeps its last value.
 */
import { z } from 'zod';
import { AppError } from '../../kernel/errors.js';

export type FormValues = Record<string, string>;
export interface FormError {
  text: string;
  href: string;
}
export type FormProblems = {
  errors: FormError[];
  fieldErrors: Record<string, string>;
};

export function formValues(body: unknown): FormValues {
  const out: FormValues = {};
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (typeof v === 'string') out[k] = v;
      else if (Array.isArray(v) && typeof v.at(-1) === 'string') out[k] = v.at(-1) as string;
    }
  }
  return out;
}

/** The flash for `?done=` from a table; a key that is not the table's own (e.g. `constructor`) shows none. */
export function flashFor(done: unknown, table: Record<string, string>): string | undefined {
  return typeof done === 'string' && Object.hasOwn(table, done) ? table[done] : undefined;
}

type Details = { path?: string; message: string }[];

/**
 * A zod error, or an AppError with details, as error-summary items keyed `${prefix}-${field}`,
 * each field named as the form labels it (`words`); undefined for any other error (a 404, a 5xx).
 */
export function formProblems(err: unknown, prefix: string, words: Record<string, string>, special: (field: string) => string | undefined = () => undefined): FormProblems | undefined {
  let details: Details | undefined;
  if (err instanceof z.ZodError) details = err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  else if (err instanceof AppError && err.status < 500 && err.status !== 404) details = Array.isArray(err.details) ? (err.details as Details) : [{ message: err.message }];
  if (!details) return undefined;
  const fieldErrors: Record<string, string> = {};
  const errors = details.map((d) => {
    const id = d.path ? `${prefix}-${d.path.split('.')[0]}` : `${prefix}-form`;
    const field = d.path?.split('.')[0] ?? '';
    const text = special(field) ?? (d.path ? `${words[field] ?? d.path.replace(/\./g, ' ')}: ${d.message}` : d.message);
    fieldErrors[id] ??= text;
    return { text, href: `#${id}` };
  });
  return { errors, fieldErrors };
}
