/**
 * What the hub's reports read: for now, the referral rows of a period for the CSV export, a batch
 * at a time in (received_at, id) order (keyset, by referrals_list_idx), so that an export of a
 * year costs the same memory as one of a day. No names or contact details are selected.
 */
import { sql } from 'kysely';
import { exactMoment, type KeysetPlace } from '../../platform/db/keyset.js';
import type { Executor } from '../../platform/db/database.js';

/** Where a page of the export ends (platform/db/keyset.ts). */
export type ExportCursor = KeysetPlace;

export interface ExportRow {
  id: string;
  receivedAt: Date;
  /** received_at to the microsecond, for the next page's cursor */
  cursorAt: string;
  reference: string;
  checklistReference: string;
  /** the way in: web, api, paper, phone or self_referral */
  channel: string;
  agency: string;
  organisation: string | null;
  organisationType: string | null;
  status: string;
  outcome: string | null;
  reroutedTo: string | null;
  forwardDueAt: Date;
  forwardedAt: Date | null;
  contactDueAt: Date | null;
  contactedAt: Date | null;
  followUpDueAt: Date | null;
  followedUpAt: Date | null;
  needsMet: string | null;
  closedAt: Date | null;
  ageBand: string | null;
  postcodeDistrict: string | null;
}

/** The nil UUID: a cursor at `from` before every referral received at that very moment. */
const BEFORE_ALL = '00000000-0000-0000-0000-000000000000';

/** Referrals received from `from` (inclusive) to `to` (exclusive), after the cursor, oldest first. */
export async function exportRowsAfter(db: Executor, from: Date, to: Date, after: ExportCursor | null, limit: number): Promise<ExportRow[]> {
  const cursor = after ?? { at: from.toISOString(), id: BEFORE_ALL };
  const { rows } = await sql<ExportRow>`
    SELECT r.id, r.received_at AS "receivedAt",
           ${exactMoment('r.received_at')} AS "cursorAt",
           r.reference, s.reference AS "checklistReference", s.channel, a.name AS agency,
           org.name AS organisation, org.type AS "organisationType",
           r.status, r.outcome, rr.reference AS "reroutedTo",
           r.forward_due_at AS "forwardDueAt", r.forwarded_at AS "forwardedAt",
           r.contact_due_at AS "contactDueAt", r.contacted_at AS "contactedAt",
           r.follow_up_due_at AS "followUpDueAt", r.followed_up_at AS "followedUpAt",
           o.needs_met AS "needsMet", r.closed_at AS "closedAt",
           s.age_band AS "ageBand", s.postcode_district AS "postcodeDistrict"
      FROM referrals r
      JOIN submissions s ON s.id = r.submission_id
      JOIN agencies a ON a.id = r.agency_id
      LEFT JOIN organisations org ON org.id = s.organisation_id
      LEFT JOIN referrals rr ON rr.id = r.rerouted_to_id
      LEFT JOIN follow_ups f ON f.submission_id = r.submission_id
      LEFT JOIN follow_up_outcomes o ON o.follow_up_id = f.id AND o.referral_id = r.id
     WHERE r.received_at >= ${from} AND r.received_at < ${to}
       AND (r.received_at, r.id) > (${cursor.at}::timestamptz, ${cursor.id}::uuid)
     ORDER BY r.received_at, r.id
     LIMIT ${limit}`.execute(db);
  return rows;
}

/** The moments London's days `from` and the day after `to` begin: a period of whole days, across clock changes. */
export async function londonDayBounds(db: Executor, from: string, to: string): Promise<{ start: Date; end: Date }> {
  const { rows } = await sql<{ start: Date; end: Date }>`
    SELECT (${from}::date::timestamp AT TIME ZONE 'Europe/London') AS start,
           ((${to}::date + 1)::timestamp AT TIME ZONE 'Europe/London') AS end`.execute(db);
  return rows[0]!;
}
