/**
 * The ONS4 questions on a form (the checklist and the hub's call page): four optional text
 * boxes, `wb_<key>`, each a whole number 0 to 10 or blank. The form's values become the API's
 * `wellbeing` object, validated by the same schema (modules/intake/submission.schema.ts).
 */
import { WELLBEING_MEASURES } from '../../../kernel/wellbeing.js';
import type { FormValues } from '../../../platform/pages/forms.js';

/** What the fieldset shows: the question as the ONS words it, its scale, its field id. */
export const WELLBEING_FIELDS = WELLBEING_MEASURES.map((m) => ({ id: `wb_${m.key}`, key: m.key, label: m.label, question: m.question, scale: m.scale }));

/** Where the hub asks the questions on its pages (WELLBEING_ASKED_AT): `checklist`, `call` or `both`. */
export type WellbeingAskedAt = 'checklist' | 'call' | 'both';

/** Whether a page of this occasion asks the four questions. */
export function asksWellbeingAt(setting: WellbeingAskedAt, occasion: 'checklist' | 'call'): boolean {
  return setting === 'both' || setting === occasion;
}

/** The `wellbeing` object for the schema (a digit string as a number, anything else left for the schema to refuse); undefined when all four are blank. */
export function wellbeingFromForm(form: FormValues): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const f of WELLBEING_FIELDS) {
    const v = (form[f.id] ?? '').trim();
    if (v === '') continue;
    out[f.key] = /^[0-9]{1,2}$/.test(v) ? Number(v) : v;
  }
  return Object.keys(out).length ? out : undefined;
}

/** The error message for one of the four, by field id. */
export function wellbeingError(id: string): string {
  const f = WELLBEING_FIELDS.find((x) => x.id === id);
  return `${f?.label ?? 'Wellbeing'}: enter a whole number from 0 to 10, or leave it blank`;
}
