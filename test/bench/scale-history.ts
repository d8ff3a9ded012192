/**
 * Grows a Signpost database's history for `npm run bench:scale` with set-based SQL: copies of
 * closed checklists spread evenly over the last three years, each with one to three referrals
 * in a terminal status (completed, declined, unable_to_contact, cancelled, rerouted with its
 * replacement), their events in order, the person (about 1.5 checklists each), the person's
 * versions and consents, the follow-up call and its outcomes, the agency mail and the closing
 * mail, some resolved SLA breaches, ONS4 answers for one checklist in four, and one audit row per
 * checklist (then sealed, as the
 * worker's sealing would). Every constraint and trigger holds: referral_events and audit_log
 * are only inserted into (sealing is the one update the chain allows), a submission has one
 * live referral per agency, and every time is in the past (durations shrink for the most
 * recent copies so that nothing closes in the future).
 */
import pg from 'pg';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export interface GrowOptions {
  submissions: number;
  people: number;
  now: Date;
  linkWorker: { id: string; name: string };
  coordinator: { id: string; name: string };
  questionnaireId: string;
  log: (line: string) => void;
}

export async function growHistory(url: string, o: GrowOptions): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const step = async (label: string, text: string, values: unknown[] = []) => {
    const t = performance.now();
    const r = await c.query(text, values);
    o.log(`  ${label.padEnd(34)} ${String(r.rowCount ?? '').padStart(9)} rows ${((performance.now() - t) / 1000).toFixed(1).padStart(6)} s`);
  };
  try {
    await c.query(`SET synchronous_commit = off; SET work_mem = '64MB'; SET maintenance_work_mem = '256MB'`);
    // one question per agency (the one a copy's referral was flagged by), in a fixed order
    const agencies = (
      await c.query<{ agencyId: string; questionId: string }>(
        `SELECT DISTINCT ON (q.agency_id) q.agency_id AS "agencyId", q.id AS "questionId"
           FROM questions q WHERE q.questionnaire_id = $1 ORDER BY q.agency_id, q.id`,
        [o.questionnaireId],
      )
    ).rows;
    const A = agencies.length;
    const ag = agencies.map((a) => a.agencyId);
    const qs = agencies.map((a) => a.questionId);
    const N = o.submissions;
    const P = o.people;
    const now = o.now.toISOString();
    // received evenly over three years, ending three days ago; f shrinks every later step of
    // the copies received in the last 45 days so that they finished before now
    await step(
      'plan: checklists',
      `CREATE TEMP TABLE h_sub AS
       SELECT i, md5('scale-sub-' || i)::uuid AS id, md5('scale-person-' || (i % $2))::uuid AS person_id,
              (SELECT 'SP-' || string_agg(substr('${ALPHABET}', ((((i::bigint * 2654435761) % 1099511627776) >> (5 * j)) % 32)::int + 1, 1), '' ORDER BY j DESC)
                 FROM generate_series(0, 7) j) AS ref,
              rcv, LEAST(1.0, extract(epoch FROM ($3::timestamptz - rcv)) / (45 * 86400)) AS f, 1 + (i % 3) AS nk
         FROM generate_series(1, $1::int) i,
              LATERAL (SELECT $3::timestamptz - interval '1095 days' + (i::float8 * 1092 * 86400 / $1) * interval '1 second' AS rcv) t`,
      [N, P, now],
    );
    await c.query(`UPDATE h_sub SET ref = substr(ref, 1, 7) || '-' || substr(ref, 8)`);
    await step(
      'plan: referrals',
      `CREATE TEMP TABLE h_ref AS
       SELECT s.i, k, md5('scale-ref-' || s.i || '-' || k)::uuid AS id, s.id AS submission_id, s.person_id, s.ref || '-' || k AS reference,
              ($1::uuid[])[x.ai + 1] AS agency_id, ($2::uuid[])[x.ai + 1] AS question_id, ($1::uuid[])[(x.ai + 1) % $3 + 1] AS reroute_agency_id,
              s.rcv, s.f, x.h,
              CASE WHEN x.h < 55 THEN 'completed' WHEN x.h < 67 THEN 'declined' WHEN x.h < 80 THEN 'unable_to_contact'
                   WHEN x.h < 88 THEN 'cancelled' WHEN x.h < 94 THEN 'rerouted' ELSE 'completed' END AS status,
              -- a resolved contact breach: the agency called a day late (old enough copies only)
              (x.h % 17 = 0 AND x.h < 55 AND s.rcv < $4::timestamptz - interval '20 days') AS breached,
              s.rcv + (5 + x.h % 50) * interval '1 minute' AS fwd
         FROM h_sub s, LATERAL generate_series(1, s.nk) k,
              LATERAL (SELECT ((s.i * 7 + k * 5) % $3)::int AS ai, ((s.i * 31 + k * 17) % 100)::int AS h) x`,
      [ag, qs, A, now],
    );
    await c.query(`ALTER TABLE h_ref ADD COLUMN contacted timestamptz, ADD COLUMN closed timestamptz;
      UPDATE h_ref SET
        contacted = CASE WHEN breached THEN fwd + interval '15 days' WHEN status = 'completed' THEN fwd + f * (1 + h % 9) * interval '1 day' END,
        closed = CASE WHEN breached THEN fwd + interval '16 days' ELSE fwd + f * (3 + (h * 7) % 25) * interval '1 day' END`);
    await c.query(`CREATE TEMP TABLE h_agg AS
       SELECT i, jsonb_object_agg(question_id, true) AS answers, array_agg(agency_id ORDER BY k) AS agency_ids FROM h_ref GROUP BY i;
       CREATE TEMP TABLE h_ids AS SELECT id FROM h_ref UNION ALL SELECT md5('scale-ref-' || i || '-' || k || 'R')::uuid FROM h_ref WHERE status = 'rerouted';
       ANALYZE h_sub; ANALYZE h_ref; ANALYZE h_agg; ANALYZE h_ids`);
    await step(
      'people',
      `INSERT INTO people (id, given_name, family_name, date_of_birth, postcode, phone, preferred_contact, created_at, updated_at,
                           norm_given, norm_family, norm_postcode, inactive_since)
       SELECT g.person_id, gn, fn, date '1925-01-01' + (p * 37) % 12000, pc, '020 7946 ' || lpad(((p * 13) % 10000)::text, 4, '0'), 'phone',
              g.first, g.first, lower(gn), lower(fn), replace(pc, ' ', ''), g.last
         FROM (SELECT person_id, min(i) % $1 AS p, min(rcv) AS first, max(rcv + f * interval '40 days') AS last FROM h_sub GROUP BY person_id) g,
              LATERAL (SELECT (ARRAY['Margaret','John','Patricia','David','Jean','Peter','Mary','Michael','Barbara','Robert','Joan','Alan'])[p % 12 + 1] AS gn,
                              (ARRAY['Smith','Jones','Taylor','Brown','Williams','Wilson','Johnson','Davies','Patel','Wright','Green','Walker'])[(p / 12) % 12 + 1]
                                || '-' || (p / 144) AS fn,
                              (ARRAY['SE1 7PB','SE5 8QH','SE15 4RT','SE22 9AA','SE17 1LB','SE11 5JD'])[p % 6 + 1] AS pc) n`,
      [P],
    );
    await step(
      'submissions (closed)',
      `INSERT INTO submissions (id, reference, questionnaire_id, person_id, submitted_by, answers, consent, status, received_at, closed_at, age_band, postcode_district)
       SELECT s.id, s.ref, $1, s.person_id, $2,
              (SELECT jsonb_object_agg(q.id, false) FROM questions q WHERE q.questionnaire_id = $1) || g.answers,
              jsonb_build_object('by', 'person', 'given', true, 'recordedAt', to_char(s.rcv AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'sharingAgreed', true),
              'closed', s.rcv, s.rcv + s.f * interval '40 days', signpost_age_band(p.date_of_birth, s.rcv), split_part(p.postcode, ' ', 1)
         FROM h_sub s JOIN people p ON p.id = s.person_id JOIN h_agg g ON g.i = s.i`,
      [o.questionnaireId, o.linkWorker.id],
    );
    // the person search's name index as the workers' indexer would have filled it over those
    // years, and its progress past these checklists (where the migration's backfill leaves it)
    await step(
      'person search names',
      `INSERT INTO person_search_names (person_id, norm_given, norm_family)
       SELECT id, norm_given, norm_family FROM people WHERE id IN (SELECT person_id FROM h_sub) ON CONFLICT (person_id) DO NOTHING`,
    );
    await c.query(`UPDATE person_search_progress SET read_from_xid = greatest(read_from_xid, pg_snapshot_xmin(pg_current_snapshot()))`);
    await step(
      'person versions',
      `INSERT INTO person_versions (id, person_id, submission_id, recorded_at, given_name, family_name, date_of_birth, postcode, phone, preferred_contact)
       SELECT md5('scale-pv-' || s.i)::uuid, p.id, s.id, s.rcv, p.given_name, p.family_name, p.date_of_birth, p.postcode, p.phone, p.preferred_contact
         FROM h_sub s JOIN people p ON p.id = s.person_id`,
    );
    await step(
      'consents',
      `INSERT INTO consents (id, person_id, submission_id, given_by, sharing_agreed, agency_ids, given_at, recorded_by, created_at)
       SELECT md5('scale-consent-' || s.i)::uuid, s.person_id, s.id, 'person', true, g.agency_ids, s.rcv, $1, s.rcv
         FROM h_sub s JOIN h_agg g ON g.i = s.i`,
      [o.linkWorker.id],
    );
    // the follow-up call, due 14 days after forwarding: nine in ten made, the rest cancelled
    await c.query(`CREATE TEMP TABLE h_fu AS
       SELECT s.i, md5('scale-fu-' || s.i)::uuid AS id, s.id AS submission_id, s.rcv + s.f * interval '14 days 1 hour' AS due,
              CASE WHEN s.i % 10 = 0 THEN 'cancelled' ELSE 'completed' END AS status,
              s.rcv + s.f * (interval '14 days 2 hours' + (s.i % 3) * interval '1 day') AS done
         FROM h_sub s`);
    await step(
      'follow-ups',
      `INSERT INTO follow_ups (id, submission_id, due_at, status, contact_made, completed_at, completed_by, created_at)
       SELECT f.id, f.submission_id, f.due, f.status, CASE WHEN f.status = 'completed' THEN true END,
              CASE WHEN f.status = 'completed' THEN f.done END, CASE WHEN f.status = 'completed' THEN $1::uuid END, s.rcv + s.f * interval '1 hour'
         FROM h_fu f JOIN h_sub s ON s.i = f.i`,
      [o.coordinator.id],
    );
    const refCols = `id, reference, submission_id, agency_id, question_ids, status, received_at, forward_due_at, forwarded_at, contact_due_at,
                     contacted_at, follow_up_due_at, followed_up_at, closed_at, outcome, forward_attempts, forward_message_id, rerouted_from_id, rerouted_to_id,
                     updated_at`;
    // a re-routed referral and its replacement point at each other: one statement, so the
    // foreign keys are checked once both rows are in
    await step(
      'referrals',
      `INSERT INTO referrals (${refCols})
       SELECT r.id, r.reference, r.submission_id, r.agency_id, ARRAY[r.question_id], r.status, r.rcv, r.rcv + interval '1 day', r.fwd, r.fwd + interval '14 days',
              r.contacted, f.due, CASE WHEN f.status = 'completed' THEN f.done END, r.closed,
              CASE WHEN r.status = 'completed' THEN (ARRAY['service_provided','advice_given','signposted_elsewhere','need_met_by_other_service','no_longer_needed'])[r.h % 5 + 1] END,
              1, '<forward-' || r.id || '@signpost.example.org>', NULL::uuid,
              CASE WHEN r.status = 'rerouted' THEN md5('scale-ref-' || r.i || '-' || r.k || 'R')::uuid END, r.closed
         FROM h_ref r JOIN h_fu f ON f.i = r.i
       UNION ALL
       SELECT md5('scale-ref-' || r.i || '-' || r.k || 'R')::uuid, r.reference || 'R', r.submission_id, r.reroute_agency_id, ARRAY[r.question_id], 'completed',
              r.closed, r.closed + interval '1 day', r.closed + interval '10 minutes', r.closed + interval '14 days 10 minutes',
              r.closed + r.f * interval '2 days', f.due, CASE WHEN f.status = 'completed' THEN f.done END, r.closed + r.f * interval '4 days', 'advice_given',
              1, '<forward-' || md5('scale-ref-' || r.i || '-' || r.k || 'R')::uuid || '@signpost.example.org>', r.id, NULL, r.closed + r.f * interval '4 days'
         FROM h_ref r JOIN h_fu f ON f.i = r.i WHERE r.status = 'rerouted'`,
    );
    // every referral's events, one statement per step so that ids follow each referral's time
    const ev = (label: string, select: string, values: unknown[] = []) =>
      step(`events: ${label}`, `INSERT INTO referral_events (referral_id, at, actor_user_id, actor_label, from_status, to_status, reason, outcome, note) ${select}`, values);
    await ev('received', `SELECT id, received_at, $1::uuid, $2, NULL, 'pending', NULL, NULL, NULL FROM referrals JOIN h_ids USING (id)`, [o.linkWorker.id, o.linkWorker.name]);
    await ev('forwarded', `SELECT id, forwarded_at, NULL::uuid, 'Signpost hub', 'pending', 'forwarded', NULL, NULL, NULL FROM referrals JOIN h_ids USING (id)`);
    await ev('contacted', `SELECT id, contacted_at, $1::uuid, $2, 'forwarded', 'contacted', NULL, NULL, NULL FROM referrals JOIN h_ids USING (id) WHERE contacted_at IS NOT NULL`, [o.coordinator.id, o.coordinator.name]);
    await ev(
      'closed',
      `SELECT id, closed_at, $1::uuid, $2, CASE WHEN contacted_at IS NULL THEN 'forwarded' ELSE 'contacted' END, status,
              CASE status WHEN 'declined' THEN 'Not eligible for the service' WHEN 'cancelled' THEN 'No longer wanted' WHEN 'rerouted' THEN 'Better met by another agency' END,
              outcome, NULL
         FROM referrals JOIN h_ids USING (id)`,
      [o.coordinator.id, o.coordinator.name],
    );
    await step(
      'follow-up outcomes',
      `INSERT INTO follow_up_outcomes (follow_up_id, referral_id, needs_met, recorded_at, recorded_by)
       SELECT f.id, r.id, (ARRAY['yes','yes','yes','partly','no','not_yet'])[r.h % 6 + 1], f.done, $1
         FROM h_ref r JOIN h_fu f ON f.i = r.i WHERE f.status = 'completed' AND r.status NOT IN ('cancelled', 'rerouted')`,
      [o.coordinator.id],
    );
    await step(
      'SLA breaches (resolved)',
      `INSERT INTO sla_breaches (id, referral_id, agency_id, clock, due_at, detected_at, resolved_at, late_by_seconds)
       SELECT md5('scale-breach-' || r.i || '-' || r.k)::uuid, r.id, r.agency_id, 'contact', r.fwd + interval '14 days', r.fwd + interval '14 days 1 minute', r.contacted, 86400
         FROM h_ref r WHERE r.breached`,
    );
    await step(
      'mail: to the agencies',
      `INSERT INTO notifications (id, kind, dedupe_key, referral_id, agency_id, recipient, subject, body_text, message_id, status, attempts, created_at, sent_at)
       SELECT md5('scale-mail-' || r.id)::uuid, 'referral_forward', 'forward:' || r.id, r.id, r.agency_id, 'referrals@agency.example.org',
              'Signpost referral ' || r.reference, 'A referral from the Signpost hub: ' || r.reference || '. Open it with the link in this email; it expires in 30 days.',
              r.forward_message_id, 'sent', 1, r.forwarded_at - interval '1 second', r.forwarded_at
         FROM referrals r JOIN h_ids USING (id)`,
    );
    await step(
      'mail: checklists closed',
      `INSERT INTO notifications (id, kind, dedupe_key, submission_id, recipient, subject, body_text, message_id, status, attempts, created_at, sent_at)
       SELECT md5('scale-closed-' || s.i)::uuid, 'submission_closed', 'closed:' || s.id, s.id, 'link.worker@example.org',
              'Signpost ' || s.ref || ': closed', 'The checklist ' || s.ref || ' you submitted is now closed.',
              '<' || md5('scale-closed-' || s.i)::uuid || '@signpost.example.org>', 'sent', 1, s.rcv + s.f * interval '40 days', s.rcv + s.f * interval '40 days'
         FROM h_sub s`,
    );
    await step(
      'audit: the call script read',
      `INSERT INTO audit_log (at, actor_user_id, actor_label, action, entity, entity_id, person_id)
       SELECT f.due, $1, $2, 'view', 'follow_up', f.id, s.person_id FROM h_fu f JOIN h_sub s ON s.i = f.i ORDER BY f.due`,
      [o.coordinator.id, o.coordinator.name],
    );
    await step('audit: sealed', `SELECT * FROM signpost_audit_seal(2000000000)`);
    await c.query(`DROP TABLE h_sub, h_ref, h_fu, h_agg, h_ids`);
  } finally {
    await c.end();
  }
  await growWellbeing(url, o.coordinator.id, o.log);
}

/**
 * ONS4 answers for one closed checklist in four (at the checklist, and again at its follow-up
 * call when the call was made), as a hub asking them of some people would hold; a database
 * that has them already is left as it is. Scores spread over 0 to 10, a few skipped.
 */
export async function growWellbeing(url: string, recordedBy: string, log: (line: string) => void): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const had = await c.query<{ n: string }>(`SELECT count(*) AS n FROM wellbeing_scores WHERE occasion = 'follow_up'`);
    if (Number(had.rows[0]!.n) > 1000) return;
    await c.query(`SET synchronous_commit = off`);
    const score = (salt: string, skipEvery = 0) =>
      `${skipEvery ? `CASE WHEN abs(hashtext(s.id::text || '${salt}')) % ${skipEvery} = 0 THEN NULL ELSE ` : ''}(abs(hashtext(s.id::text || '${salt}')) % 11)::smallint${skipEvery ? ' END' : ''}`;
    const steps: [string, string][] = [
      [
        'wellbeing: at the checklist',
        `INSERT INTO wellbeing_scores (id, occasion, person_id, submission_id, measured_at, recorded_by, life_satisfaction, worthwhile, happy, anxious)
         SELECT md5('scale-wb-c-' || s.id)::uuid, 'checklist', s.person_id, s.id, s.received_at, $1, ${score('ls')}, ${score('wo', 9)}, ${score('ha')}, ${score('an', 7)}
           FROM submissions s WHERE abs(hashtext(s.id::text)) % 4 = 0
         ON CONFLICT DO NOTHING`,
      ],
      [
        'wellbeing: at the follow-up call',
        `INSERT INTO wellbeing_scores (id, occasion, person_id, submission_id, follow_up_id, measured_at, recorded_by, life_satisfaction, worthwhile, happy, anxious)
         SELECT md5('scale-wb-f-' || s.id)::uuid, 'follow_up', s.person_id, s.id, f.id, f.completed_at, $1, ${score('ls2')}, ${score('wo2', 9)}, ${score('ha2')}, ${score('an2', 7)}
           FROM submissions s JOIN follow_ups f ON f.submission_id = s.id
          WHERE abs(hashtext(s.id::text)) % 4 = 0 AND f.status = 'completed' AND f.contact_made
         ON CONFLICT DO NOTHING`,
      ],
    ];
    for (const [label, text] of steps) {
      const t = performance.now();
      const r = await c.query(text, [recordedBy]);
      log(`  ${label.padEnd(34)} ${String(r.rowCount ?? '').padStart(9)} rows ${((performance.now() - t) / 1000).toFixed(1).padStart(6)} s`);
    }
    await c.query('ANALYZE wellbeing_scores');
  } finally {
    await c.end();
  }
}
