/** Read models for the web pages that no other repository provides. */
import { sql } from 'kysely';
import type { Executor } from './database.js';

/** A submitter's own submissions, newest first, each with its referrals' statuses. */
export async function listSubmissionsBy(db: Executor, userId: string, limit = 100) {
  return db
    .selectFrom('submissions as s')
    .innerJoin('people as p', 'p.id', 's.personId')
    .select((eb) => [
      's.id',
      's.reference',
      's.status',
      's.receivedAt',
      'p.givenName',
      'p.familyName',
      eb
        .selectFrom('referrals as r')
        .innerJoin('agencies as a', 'a.id', 'r.agencyId')
        .select(sql<{ agencyName: string; status: string }[]>`coalesce(json_agg(json_build_object('agencyName', a.name, 'status', r.status) ORDER BY r.reference), '[]')`.as('x'))
        .whereRef('r.submissionId', '=', 's.id')
        .as('referrals'),
    ])
    .where('s.submittedBy', '=', userId)
    .orderBy('s.receivedAt', 'desc')
    .limit(limit)
    .execute();
}

export async function agencyContactDays(db: Executor, agencyIds: string[]) {
  if (!agencyIds.length) return new Map<string, { contactDays: number; phone: string | null }>();
  const rows = await db.selectFrom('agencies').select(['id', 'contactDays', 'phone']).where('id', 'in', agencyIds).execute();
  return new Map(rows.map((r) => [r.id, { contactDays: r.contactDays, phone: r.phone }]));
}

/** Referrals received per ISO week (Monday start, UTC), the last `weeks` weeks including this one. */
export async function weeklyReferralVolume(db: Executor, now: Date, weeks: number) {
  const r = await sql<{ weekStart: string; n: string }>`
    SELECT to_char(w.week_start, 'YYYY-MM-DD') AS week_start, count(r.id) AS n
    FROM generate_series(date_trunc('week', ${now}::timestamptz AT TIME ZONE 'UTC') - make_interval(weeks => ${weeks - 1}),
                         date_trunc('week', ${now}::timestamptz AT TIME ZONE 'UTC'), interval '1 week') AS w(week_start)
    LEFT JOIN referrals r ON r.received_at >= w.week_start AT TIME ZONE 'UTC'
                         AND r.received_at < (w.week_start + interval '1 week') AT TIME ZONE 'UTC'
                         AND r.received_at <= ${now}
    GROUP BY w.week_start ORDER BY w.week_start`.execute(db);
  return r.rows.map((x) => ({ weekStart: x.weekStart, count: Number(x.n) }));
}

/**
 * SLA compliance per agency over referrals received in the window: the share with no breach of
 * any clock. Agencies with no referrals in the window are left out.
 */
export async function slaCompliance(db: Executor, since: Date) {
  const r = await sql<{ agencyId: string; agencyName: string; total: string; breached: string }>`
    SELECT a.id AS agency_id, a.name AS agency_name, count(r.id) AS total,
           count(r.id) FILTER (WHERE EXISTS (SELECT 1 FROM sla_breaches b WHERE b.referral_id = r.id)) AS breached
    FROM agencies a JOIN referrals r ON r.agency_id = a.id AND r.received_at >= ${since}
    GROUP BY a.id, a.name ORDER BY a.name`.execute(db);
  return r.rows.map((x) => {
    const total = Number(x.total);
    const breached = Number(x.breached);
    return { agencyId: x.agencyId, agencyName: x.agencyName, total, breached, percent: total ? Math.round(((total - breached) * 100) / total) : 100 };
  });
}

export async function listNotificationRows(db: Executor, f: { failedOnly: boolean; limit: number }) {
  let q = db
    .selectFrom('notifications as n')
    .leftJoin('referrals as r', 'r.id', 'n.referralId')
    .select(['n.id', 'n.kind', 'n.recipient', 'n.subject', 'n.status', 'n.attempts', 'n.lastError', 'n.createdAt', 'n.sentAt', 'n.referralId', 'r.reference as referralReference']);
  if (f.failedOnly) q = q.where('n.status', '=', 'failed');
  return q.orderBy('n.createdAt', 'desc').limit(f.limit).execute();
}

export async function listUserRows(db: Executor) {
  return db
    .selectFrom('users as u')
    .leftJoin('agencies as a', 'a.id', 'u.agencyId')
    .select(['u.id', 'u.name', 'u.email', 'u.role', 'a.name as agencyName', 'u.disabledAt', 'u.lockedUntil', sql<boolean>`u.password_hash IS NOT NULL`.as('hasPassword')])
    // the per-agency email-link users are not people: they are listed on the referral pages
    .where('u.email', 'not like', 'agency-link+%@signpost.invalid')
    .orderBy('u.name')
    .execute();
}

export async function disableUserRow(db: Executor, id: string, at: Date): Promise<boolean> {
  const r = await db.updateTable('users').set({ disabledAt: at }).where('id', '=', id).where('disabledAt', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
