/**
 * The "withdraw consent" form, shared by the hub's person page and the link worker's submission
 * page: which agencies (every agency, the default, or some of those with a live referral), why,
 * and when the person said so (a date and a time, now by default). It turns the posted fields
 * into consent.service's body, and problems into plain words keyed by the form's field ids.
 */
import { consentWithdrawalSchema, type ConsentWithdrawalBody } from '../consent.service.js';
import { AppError } from '../../../kernel/errors.js';
import { formValues, type FormValues } from '../../../platform/pages/forms.js';
import { dateFromInput, inputValuesFor, londonParts, londonTime } from '../../../platform/pages/form-dates.js';
import { parseTimeOfDay } from '../../../kernel/time-of-day.js';

/** The field ids of the form (the error summary links to them). */
export const WITHDRAW_IDS = { scope: 'withdraw-scope', reason: 'withdraw-reason', when: 'withdraw-when', time: 'withdraw-time' } as const;

export interface WithdrawProblems {
  errors: { text: string; href: string }[];
  fieldErrors: Record<string, string>;
}

/** The form as first shown: every agency, now. */
export function withdrawDefaults(now: Date): FormValues & { scope: string[] } {
  return { ...inputValuesFor('when', now), scope: ['all'] } as FormValues & { scope: string[] };
}

/** The ticked boxes of a repeated field, strings only. */
function ticked(body: unknown, name: string): string[] {
  const raw = body && typeof body === 'object' && Object.hasOwn(body, name) ? (body as Record<string, unknown>)[name] : undefined;
  return (Array.isArray(raw) ? raw : [raw]).filter((x): x is string => typeof x === 'string');
}

/** The posted form's values, its ticked boxes as a list: to show the form again as it was sent. */
export function withdrawValuesOf(body: unknown): FormValues & { scope: string[] } {
  return { ...formValues(body), scope: ticked(body, 'scope') } as FormValues & { scope: string[] };
}

function problems(fieldErrors: Record<string, string>): WithdrawProblems {
  return { fieldErrors, errors: Object.entries(fieldErrors).map(([id, text]) => ({ text, href: `#${id}` })) };
}

/**
 * The service's body from the posted form, or the problems in plain words. `offered` are the
 * agencies the form listed (those with a live referral): another id is a tampered form.
 */
export function withdrawalFromForm(
  body: unknown,
  offered: string[],
  now: Date,
): { ok: true; body: ConsentWithdrawalBody } | { ok: false; values: FormValues & { scope: string[] }; problems: WithdrawProblems } {
  const values = withdrawValuesOf(body);
  const { scope } = values;
  const v: FormValues = values;
  const fieldErrors: Record<string, string> = {};
  const agencies = scope.filter((s) => s !== 'all');
  if (scope.length === 0) fieldErrors[WITHDRAW_IDS.scope] = 'Select every agency, or the agencies they no longer agree to share their details with';
  else if (scope.includes('all') && agencies.length) fieldErrors[WITHDRAW_IDS.scope] = 'Select every agency, or some agencies, not both';
  else if (agencies.some((a) => !offered.includes(a))) fieldErrors[WITHDRAW_IDS.scope] = 'Select agencies from the list';

  const reason = (v.reason ?? '').trim();
  if (reason.length > 1000) fieldErrors[WITHDRAW_IDS.reason] = 'The reason must be 1,000 characters or fewer';

  let at: Date | undefined;
  const day = dateFromInput(v, 'when');
  const timeText = (v.whenTime ?? '').trim();
  const time = timeText ? parseTimeOfDay(timeText) : undefined;
  if (day === 'missing') fieldErrors[WITHDRAW_IDS.when] = 'Enter the date they withdrew their consent';
  else if (day === 'invalid') fieldErrors[WITHDRAW_IDS.when] = 'Enter a real date, for example 3 12 2026';
  else if (timeText && !time) fieldErrors[WITHDRAW_IDS.time] = 'Enter the time as hours and minutes, for example 2.30pm or 14:30, or leave it blank';
  else {
    const today = londonParts(now);
    const isToday = day.year === today.year && day.month === today.month && day.day === today.day;
    // left blank: now, if it was today; midday, for an earlier day
    at = time ? londonTime(day.year, day.month, day.day, time.hour, time.minute) : isToday ? now : londonTime(day.year, day.month, day.day, 12, 0);
    if (at.getTime() > now.getTime() + 60_000) {
      fieldErrors[time && isToday ? WITHDRAW_IDS.time : WITHDRAW_IDS.when] = 'The date and time they withdrew their consent must be now or in the past';
    }
  }
  if (Object.keys(fieldErrors).length || !at) return { ok: false, values, problems: problems(fieldErrors) };
  const parsed = consentWithdrawalSchema.safeParse({
    ...(scope.includes('all') ? {} : { agencyIds: agencies }),
    ...(reason ? { reason } : {}),
    recordedAt: at.toISOString(),
  });
  if (!parsed.success) return { ok: false, values, problems: problems({ [WITHDRAW_IDS.scope]: 'Select agencies from the list' }) };
  return { ok: true, body: parsed.data };
}

/** The service's refusals (400 with details, 409) in the form's words; undefined when it is not one of those. */
export function withdrawalRefusal(err: unknown): WithdrawProblems | undefined {
  if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) return undefined;
  if (err.code === 'person_erased') return problems({ [WITHDRAW_IDS.scope]: "This person's details were erased: there is no consent left to withdraw" });
  if (err.code === 'person_merged') return problems({ [WITHDRAW_IDS.scope]: 'This record was merged into another record of the same person: withdraw consent on that one' });
  const details = Array.isArray(err.details) ? (err.details as { path?: string; message: string }[]) : [];
  const fieldErrors: Record<string, string> = {};
  for (const d of details) {
    if (d.path === 'recordedAt') fieldErrors[WITHDRAW_IDS.when] ??= 'The date and time they withdrew their consent must be now or in the past';
    else if (d.path === 'reason') fieldErrors[WITHDRAW_IDS.reason] ??= 'The reason must be 1,000 characters or fewer';
    else fieldErrors[WITHDRAW_IDS.scope] ??= 'Select agencies from the list';
  }
  if (!Object.keys(fieldErrors).length) fieldErrors[WITHDRAW_IDS.scope] = err.message;
  return problems(fieldErrors);
}
