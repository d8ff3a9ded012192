/**
 * Self-referrals as their own referrer in the summary report's rollup, apart from checklists with
 * no organisation recorded (the referrals CSV already shows them as "Self-referral").
 *
 *  - report_days, report_facet_days, report_months, report_facet_months: `self_referral`, part of
 *    each row's key beside the organisation: true for the rows of checklists that came in by the
 *    self-referral channel with no referring organisation (a self-referral never has one: only link
 *    workers belong to an organisation, and the hub releases a self-referral). A row's organisation
 *    is then null, as before; the report shows it as "Self-referral" (type `self_referral`).
 *  - The rows already rolled up counted self-referrals with the checklists with no organisation,
 *    and a day's rows cannot be split without its referrals: the days that hold a self-referral
 *    (its checklist's day, and its referrals' days: a re-route's is later) are marked stale, so
 *    the sweep, or the first report of a period holding one, rolls them up again
 *    (src/modules/reports/report-summary.repository.ts), months with them. Until then a report
 *    still adds them up correctly, under "No organisation recorded".
 * Down drops the column: the rows it told apart become rows of no organisation, which the report
 * adds up as before; their days are marked stale too, to be rolled up into one row each again.
 */
import { sql, type Kysely } from 'kysely';

const TABLES = ['report_days', 'report_facet_days', 'report_months', 'report_facet_months'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  for (const t of TABLES) {
    await sql`
      ALTER TABLE ${sql.table(t)}
        ADD COLUMN self_referral boolean NOT NULL DEFAULT false,
        ADD CONSTRAINT ${sql.ref(`${t}_self_referral_check`)} CHECK (NOT self_referral OR organisation_id IS NULL)`.execute(db);
  }
  await sql`
    INSERT INTO report_stale_days (day)
    SELECT DISTINCT x.day
      FROM submissions s
      CROSS JOIN LATERAL (SELECT (s.received_at AT TIME ZONE 'Europe/London')::date AS day
                          UNION ALL
                          SELECT (r.received_at AT TIME ZONE 'Europe/London')::date FROM referrals r WHERE r.submission_id = s.id) x
     WHERE s.channel = 'self_referral' AND s.organisation_id IS NULL
       AND EXISTS (SELECT 1 FROM report_rolled_days d WHERE d.day = x.day)`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    INSERT INTO report_stale_days (day)
    SELECT day FROM report_days WHERE self_referral
    UNION
    SELECT day FROM report_facet_days WHERE self_referral`.execute(db);
  for (const t of TABLES) await sql`ALTER TABLE ${sql.table(t)} DROP COLUMN self_referral`.execute(db);
}
