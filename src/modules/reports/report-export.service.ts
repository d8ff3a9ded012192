/**
 * The referrals of a period as CSV, for the hub's own analysis and its funders' returns: one
 * row per referral, no names or contact details (reference, the channel it came by (web, api,
 * paper, phone, self_referral), dates, agency, status, coded outcome, the referrer's organisation
 * and its type (a self-referral's: "Self-referral", self_referral), each clock on time or late and by how many hours, needs met, age band and postcode
 * district at referral). Streamed a batch at a time, so a year's export holds one batch in
 * memory; the cells are made safe to open in a spreadsheet by the CSV writer
 * (src/platform/http/csv-response.ts).
 * Every export is audited before its first row is read.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { exportRowsAfter, londonDayBounds, type ExportCursor, type ExportRow } from './report.repository.js';
import { londonDateTime } from '../../kernel/uk-dates.js';
import { SELF_REFERRAL_LABEL, SELF_REFERRAL_TYPE } from '../../kernel/organisation-types.js';
import { forbidden } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { recordAudit } from '../audit/index.js';

/** Rows read per page: 2,000 held the API at 200 MB while a year of a million-referral history streamed; 500, at 157 MB, as fast. */
const BATCH = 500;
const HOUR = 3_600_000;

export const referralExportSchema = z
  .object({
    from: z.iso.date('must be a date, YYYY-MM-DD'),
    to: z.iso.date('must be a date, YYYY-MM-DD'),
  })
  .refine((q) => q.from <= q.to, { path: ['to'], message: 'must be the same day as from or after it' });

export type ReferralExportQuery = z.infer<typeof referralExportSchema>;

export const EXPORT_COLUMNS = [
  'reference',
  'checklist_reference',
  'channel',
  'received_at',
  'agency',
  'organisation',
  'organisation_type',
  'status',
  'outcome',
  'rerouted_to',
  'forward_due_at',
  'forwarded_at',
  'forward_clock',
  'forward_late_hours',
  'contact_due_at',
  'contacted_at',
  'contact_clock',
  'contact_late_hours',
  'follow_up_due_at',
  'followed_up_at',
  'follow_up_clock',
  'follow_up_late_hours',
  'needs_met',
  'closed_at',
  'age_band',
  'postcode_district',
] as const;

export type ClockState = 'on time' | 'late' | 'overdue' | 'not yet due' | 'ended' | '';

/**
 * One clock of a referral: done by its deadline (on time), done after it (late, by whole hours
 * rounded up), not done and past it (overdue, hours so far), not done and not due yet. A
 * referral that ended before the step (cancelled, declined, re-routed) stops the clock: 'ended'
 * if that was before the deadline, late by then if after. '' when the clock never started (no
 * deadline: say, never forwarded, so no contact clock).
 */
export function clockCell(due: Date | null, done: Date | null, now: Date, endedAt: Date | null = null): [ClockState, number | ''] {
  if (!due) return ['', ''];
  const hoursLate = (t: Date) => Math.ceil((t.getTime() - due.getTime()) / HOUR);
  if (done) return done.getTime() <= due.getTime() ? ['on time', ''] : ['late', hoursLate(done)];
  if (endedAt) return endedAt.getTime() <= due.getTime() ? ['ended', ''] : ['late', hoursLate(endedAt)];
  return now.getTime() > due.getTime() ? ['overdue', hoursLate(now)] : ['not yet due', ''];
}

const at = (d: Date | null) => (d ? londonDateTime(d) : '');

export function exportRecord(r: ExportRow, now: Date): (string | number)[] {
  // the agency's steps stop when the referral ends; the hub's call about it does not
  const forward = clockCell(r.forwardDueAt, r.forwardedAt, now, r.closedAt);
  // the contact deadline is promised when the referral is made; its clock runs once it reaches the agency
  const contact = clockCell(r.forwardedAt ? r.contactDueAt : null, r.contactedAt, now, r.closedAt);
  const followUp = clockCell(r.followUpDueAt, r.followedUpAt, now);
  return [
    r.reference,
    r.checklistReference,
    r.channel,
    at(r.receivedAt),
    r.agency,
    // a self-referral has no referring organisation: it is counted as its own, not as one not recorded
    // (the summary report's rule too: report-summary.repository.ts)
    r.organisation ?? (r.channel === 'self_referral' ? SELF_REFERRAL_LABEL : ''),
    r.organisationType ?? (r.channel === 'self_referral' ? SELF_REFERRAL_TYPE : ''),
    r.status,
    r.outcome ?? '',
    r.reroutedTo ?? '',
    at(r.forwardDueAt),
    at(r.forwardedAt),
    ...forward,
    at(r.contactDueAt),
    at(r.contactedAt),
    ...contact,
    at(r.followUpDueAt),
    at(r.followedUpAt),
    ...followUp,
    r.needsMet ?? '',
    at(r.closedAt),
    r.ageBand ?? '',
    r.postcodeDistrict ?? '',
  ];
}

/**
 * The export's records, header first. Audited (one row, `report.referrals_csv`) before any
 * referral is read; the period is London's whole days from `from` to `to`.
 */
export async function* referralExportRecords(
  deps: Pick<ServiceDeps, 'db' | 'clock' | 'logger'>,
  principal: Principal,
  q: ReferralExportQuery,
  requestId?: string,
): AsyncGenerator<(string | number)[]> {
  if (!isHub(principal)) throw forbidden('only coordinators and admins export referrals');
  const now = deps.clock.now();
  const { start, end } = await londonDayBounds(deps.db, q.from, q.to);
  const exportId = randomUUID();
  await recordAudit(deps.db, { principal, action: 'report.referrals_csv', entity: 'report', entityId: exportId, requestId, at: now });
  deps.logger.info({ exportId, from: q.from, to: q.to, requestId }, 'referrals exported as CSV');
  yield [...EXPORT_COLUMNS];
  let after: ExportCursor | null = null;
  for (;;) {
    const rows = await exportRowsAfter(deps.db, start, end, after, BATCH);
    for (const r of rows) yield exportRecord(r, now);
    if (rows.length < BATCH) return;
    const last = rows[rows.length - 1]!;
    after = { at: last.cursorAt, id: last.id };
  }
}
