/**
 * A monthly layer over the summary report's daily rollup, so that a financial year adds up 12
 * months of rows (and its edge days, for a period that does not start or end on a month's
 * edge) instead of 365 days of them.
 *
 *  - report_months: report_days summed per (month, agency, organisation); `month` is the month's
 *    first day.
 *  - report_facet_months: report_facet_days summed per (month, agency, organisation, facet, key),
 *    except that a people facet's key (the day of the person's previous checklist or referral) is
 *    kept as the first day of that day's month: a report whose period starts on a month's first
 *    day tells "before the period" from it exactly; any other period reads people from the days.
 *
 * A month's rows are always the sum of its days' rows: the roll-up that replaces days replaces
 * their months in the same transaction (src/modules/reports/report-summary.repository.ts). Here the months are
 * made from the days already rolled up.
 */
import { sql, type Kysely } from 'kysely';

// a copy of the day table's figure columns (a migration never imports app code)
const BUCKETS = 16;
const FIGURES = [
  'referrals',
  'rerouted',
  ...['fwd', 'con', 'fup'].flatMap((c) => [`${c}_on_time`, `${c}_late`, `${c}_ended`, ...Array.from({ length: BUCKETS }, (_, i) => `${c}_b${i}`)]),
  'needs_yes',
  'needs_partly',
  'needs_no',
  'needs_not_yet',
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
    CREATE TABLE report_months (LIKE report_days);
    ALTER TABLE report_months RENAME COLUMN day TO month;
    ALTER TABLE report_months ADD FOREIGN KEY (agency_id) REFERENCES agencies (id),
                              ADD FOREIGN KEY (organisation_id) REFERENCES organisations (id),
                              ADD CHECK (extract(day FROM month) = 1);
    CREATE INDEX report_months_month_idx ON report_months (month);

    CREATE TABLE report_facet_months (LIKE report_facet_days INCLUDING CONSTRAINTS);
    ALTER TABLE report_facet_months RENAME COLUMN day TO month;
    ALTER TABLE report_facet_months ADD FOREIGN KEY (agency_id) REFERENCES agencies (id),
                                    ADD FOREIGN KEY (organisation_id) REFERENCES organisations (id),
                                    ADD CHECK (extract(day FROM month) = 1);
    CREATE INDEX report_facet_months_month_idx ON report_facet_months (month);

    INSERT INTO report_months (month, agency_id, organisation_id, ${FIGURES.join(', ')})
    SELECT date_trunc('month', day)::date, agency_id, organisation_id, ${FIGURES.map((c) => `sum(${c})::int`).join(', ')}
      FROM report_days GROUP BY 1, 2, 3;

    INSERT INTO report_facet_months (month, agency_id, organisation_id, facet, key, n)
    SELECT date_trunc('month', day)::date, agency_id, organisation_id, facet,
           CASE WHEN facet LIKE 'people%' AND key <> '' THEN to_char(date_trunc('month', key::date), 'YYYY-MM-DD') ELSE key END,
           sum(n)::int
      FROM report_facet_days GROUP BY 1, 2, 3, 4, 5;
  `,
    )
    .execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE report_facet_months, report_months`.execute(db);
}
