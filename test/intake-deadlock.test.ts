/**
 * The intake against everything else that locks a person's referrals, on the real Postgres,
 * Redis and an SMTP sink. Every writer takes its locks in one order (the person, then referrals
 * in id order), so none deadlocks another; a "yes" that joins a live referral finds and locks it
 * in one step (migrations/2026_12_07_1000_intake_one_function.ts), so a referral completed
 * meanwhile is never joined; and should Postgres still choose the intake to give way (a
 * deadlock or a serialization failure), the intake is tried again
 * (src/modules/intake/submission.service.ts retryOnConflict): neither reaches the person filling in
 * the checklist as a 500.
 *
 *  - checklists joining live referrals while the forward worker forwards them and coordinators
 *    move and withdraw them: no 5xx, and no deadlock at all;
 *  - the forward worker recording a referral while its sibling is forwarded and a checklist
 *    joins both (it locks every referral of the checklist before it writes any);
 *  - a deadlock the intake loses, made on purpose: tried again, 201;
 *  - an agency completing a referral while a checklist says "yes" for it again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/platform/db/kysely.js';
import { createMailer } from '../src/platform/mail/transport.js';
import { forwardReferral } from '../src/modules/forwarding/forward.service.js';
import { retryOnConflict } from '../src/modules/intake/submission.service.js';
import { apiClient } from './helpers/api.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { randomDateOfBirth, uniqueLetters } from './helpers/people.js';
import { markForwarded, moveThrough } from './helpers/referrals.js';
import { startTestSink, type SmtpSink } from './helpers/smtp-sink.js';
import { startTestWorkers, waitUntil } from './helpers/workers.js';

let ctx: TestContext;
let sink: SmtpSink;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let worker: TestUser;
let coordinator: TestUser;

beforeAll(async () => {
  sink = await startTestSink();
  // checklists, coordinators and the forward worker all hold connections at once
  ctx = await createTestContext({ SMTP_URL: sink.url }, { poolSize: 30 });
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  worker = await makeUser(ctx, 'link_worker');
  coordinator = await makeUser(ctx, 'coordinator');
});
afterAll(async () => {
  await ctx?.close();
  await sink?.stop();
});

/** A person the intake matches only to themselves (and to their own later checklists). */
function someone() {
  const letters = uniqueLetters();
  return { givenName: `Edna${letters.slice(0, 3)}`, familyName: `Lock${letters}`, dateOfBirth: randomDateOfBirth(), postcode: 'SE1 7PB', phone: '020 7946 0505', preferredContact: 'phone' };
}
type Someone = ReturnType<typeof someone>;

/** The first n questions that each flag an agency of their own: the question and its agency. */
function agencyQuestions(n: number): { questionId: string; agencyId: string }[] {
  const seen = new Set<string>();
  const out: { questionId: string; agencyId: string }[] = [];
  for (const x of q.questions) {
    if (seen.has(x.agencyId)) continue;
    seen.add(x.agencyId);
    out.push({ questionId: x.id, agencyId: x.agencyId });
  }
  return out.slice(0, n);
}

const checklist = (p: Someone, yes: string[]) => api.post('/api/v1/submissions', worker.token, submissionBody(q, yes, { person: p }));
/** A referral's events in the order they were written (their ids, a bigint identity, as numbers). */
const eventsOf = async (id: string) =>
  (await ctx.db.selectFrom('referralEvents').select(['id', 'fromStatus', 'toStatus', 'reason']).where('referralId', '=', id).orderBy('id').execute()).map((e) => ({ ...e, id: Number(e.id) }));

describe('retryOnConflict', () => {
  const conflictError = (code: string) => Object.assign(new Error(code === '40P01' ? 'deadlock detected' : 'could not serialize access'), { code });

  it.each(['40P01', '40001'])('tries again after %s, and returns what the third try returned', async (code) => {
    let calls = 0;
    const result = await retryOnConflict(async () => {
      calls++;
      if (calls <= 2) throw conflictError(code);
      return 'stored';
    });
    expect([result, calls]).toEqual(['stored', 3]);
  });

  it('gives up after four tries, with the last error', async () => {
    let calls = 0;
    const run = retryOnConflict(async () => {
      calls++;
      throw conflictError('40P01');
    });
    await expect(run).rejects.toMatchObject({ code: '40P01' });
    expect(calls).toBe(4);
  });

  it('does not try again after any other error', async () => {
    let calls = 0;
    const run = retryOnConflict(async () => {
      calls++;
      throw Object.assign(new Error('duplicate key'), { code: '23505' });
    });
    await expect(run).rejects.toMatchObject({ code: '23505' });
    expect(calls).toBe(1);
  });
});

describe('checklists joining live referrals while they are forwarded, moved and withdrawn', () => {
  const PEOPLE = 4;
  const CHECKLISTS = 40;

  it(`answers every request with 2xx or 4xx, never 5xx, and no writer deadlocks (${CHECKLISTS} checklists for ${PEOPLE} people)`, async ({ annotate }) => {
    const [a, b, ...others] = agencyQuestions(6);
    const people = Array.from({ length: PEOPLE }, () => someone());
    const answers: { kind: string; status: number; body: unknown }[] = [];
    const record = (kind: string, res: { status: number; body: unknown }) => answers.push({ kind, status: res.status, body: res.body });
    const deadlocksBefore = await deadlocks();

    const workers = await startTestWorkers(ctx, ['forward']);
    const forwardErrors: string[] = [];
    workers.workers.get('forward')!.on('failed', (_job, err) => forwardErrors.push(err.message));
    try {
      // each person's live referrals at two agencies, being forwarded as the checklists arrive
      const personIds = await Promise.all(
        people.map(async (p) => {
          const res = await checklist(p, [a!.questionId, b!.questionId]);
          record('checklist', res);
          return res.body.personId as string;
        }),
      );

      let sending = true;
      // Every checklist joins the person's two live referrals (or makes new ones, once a
      // coordinator ended them) and one of four more: joined if live, else made, a sibling in
      // the same checklist for the forward worker to forward (and to lock with the others).
      const checklists = Promise.all(
        Array.from({ length: CHECKLISTS }, async (_, i) => {
          await sleep(Math.floor(Math.random() * 800));
          record('checklist', await checklist(people[i % PEOPLE]!, [a!.questionId, b!.questionId, others[i % others.length]!.questionId]));
        }),
      ).finally(() => (sending = false));

      // coordinators, meanwhile: the person reached, a referral cancelled, consent withdrawn for an agency
      // on a slow day the forward worker may not have sent any referral before the checklists stop:
      // the lanes then go on (30 s at most) until each kind of move has been tried
      const tried = () => new Set(answers.map((x) => x.kind));
      const until = Date.now() + 30_000;
      const coordinatorLane = async (lane: number) => {
        for (let n = 0; sending || (['cancel', 'contacted', 'withdrawal'].some((k) => !tried().has(k)) && Date.now() < until); n++) {
          const personId = personIds[(n + lane) % PEOPLE]!;
          const live = await ctx.db
            .selectFrom('referrals as r')
            .innerJoin('submissions as s', 's.id', 'r.submissionId')
            .select(['r.id', 'r.status', 'r.agencyId'])
            .where('s.personId', '=', personId)
            .where('r.status', 'not in', ['completed', 'unable_to_contact', 'declined', 'rerouted', 'cancelled'])
            .execute();
          const r = live[Math.floor(Math.random() * live.length)];
          const roll = Math.random();
          if (!r) {
            // nothing live for this person just now
          } else if (roll < 0.2) {
            record('withdrawal', await api.post(`/api/v1/people/${personId}/consent-withdrawals`, coordinator.token, { agencyIds: [r.agencyId], recordedAt: ctx.clock.now().toISOString() }));
          } else if (roll < 0.5 || r.status === 'pending') {
            record('cancel', await api.post(`/api/v1/referrals/${r.id}/transitions`, coordinator.token, { to: 'cancelled', reason: 'entered in error' }));
          } else {
            record('contacted', await api.post(`/api/v1/referrals/${r.id}/transitions`, coordinator.token, { to: 'contacted' }));
          }
          await sleep(5 + Math.floor(Math.random() * 15));
        }
      };
      await Promise.all([checklists, coordinatorLane(0), coordinatorLane(1), coordinatorLane(2)]);
    } finally {
      await workers.stop();
    }
    // a backend reports its deadlocks to the statistics within a second of going idle
    await sleep(1_500);
    const lost = (await deadlocks()) - deadlocksBefore;

    const counts: Record<string, Record<number, number>> = {};
    for (const x of answers) (counts[x.kind] ??= {})[x.status] = (counts[x.kind]![x.status] ?? 0) + 1;
    await annotate(`answers: ${JSON.stringify(counts)}; deadlocks: ${lost}; forward job errors: ${forwardErrors.length}`);
    expect(answers.filter((x) => x.status >= 500)).toEqual([]);
    // every checklist was stored, and the coordinators were answered (a 409 is a move the referral no longer allows)
    expect(counts.checklist).toEqual({ 201: PEOPLE + CHECKLISTS });
    expect(answers.filter((x) => x.kind !== 'checklist' && ![200, 201, 409].includes(x.status))).toEqual([]);
    expect(Object.keys(counts).sort()).toEqual(['cancel', 'checklist', 'contacted', 'withdrawal']);
    // one live referral per person per agency, whatever the interleaving
    const twice = await sql<{ personId: string; agencyId: string; n: number }>`
      SELECT s.person_id AS "personId", r.agency_id AS "agencyId", count(*)::int AS n
        FROM referrals r JOIN submissions s ON s.id = r.submission_id
       WHERE r.status NOT IN ('completed', 'unable_to_contact', 'declined', 'rerouted', 'cancelled')
       GROUP BY 1, 2 HAVING count(*) > 1`.execute(ctx.db);
    expect(twice.rows).toEqual([]);
    // Every writer takes its locks in the one order, so none deadlocks: the intake's retry is a
    // safety net, and a coordinator's move or a withdrawal has none (a deadlock there is a 500).
    expect(forwardErrors).toEqual([]);
    expect(lost).toBe(0);
  });
});

describe('the forward worker recording one referral while its sibling is forwarded and a checklist joins both', () => {
  const outcome = (run: Promise<string>) => run.catch((err: Error & { code?: string }) => `threw ${err.code}: ${err.message}`);

  it('locks what it will write before it writes: no deadlock, both forwarded, the checklist joins both', async () => {
    const [x, y] = agencyQuestions(2);
    const p = someone();
    const first = await checklist(p, [x!.questionId, y!.questionId]);
    expect(first.status).toBe(201);
    const [lo, hi] = (first.body.referrals as { id: string; agencyId: string }[]).sort((m, n) => (m.id < n.id ? -1 : 1));
    // Stop the forward of the later referral (by id) once it holds its referral locks and has
    // recorded it forwarded: a transaction holds its T1 breach, which it resolves next.
    const hiReferral = await ctx.db.selectFrom('referrals').select(['forwardDueAt']).where('id', '=', hi!.id).executeTakeFirstOrThrow();
    await ctx.db
      .insertInto('slaBreaches')
      .values({ id: ctx.ids.uuid(), referralId: hi!.id, agencyId: hi!.agencyId, clock: 'forward', dueAt: hiReferral.forwardDueAt, detectedAt: hiReferral.forwardDueAt })
      .execute();
    let release!: () => void;
    const releasing = new Promise<void>((res) => (release = res));
    let locked!: () => void;
    const isLocked = new Promise<void>((res) => (locked = res));
    const holder = ctx.db.transaction().execute(async (trx) => {
      await trx.selectFrom('slaBreaches').select('id').where('referralId', '=', hi!.id).forUpdate().execute();
      locked();
      await releasing;
    });
    await isLocked;
    // this forward's session looks for a deadlock after 100 ms, so it is the one to give way if there is one
    const fast = createDb({ connectionString: withDeadlockTimeout(ctx.databaseUrl, '100ms'), poolSize: 2 });
    const mailer = createMailer(ctx.env);
    const started: Promise<unknown>[] = [holder];
    try {
      const forwardHi = outcome(forwardReferral({ ...ctx, db: fast, mailer }, hi!.id));
      started.push(forwardHi);
      await waitUntil(async () => (await lockWaits()).length === 1);
      // meanwhile its sibling is forwarded (or waits for it, if it holds the sibling's row) ...
      let loSettled = false;
      const forwardLo = outcome(forwardReferral({ ...ctx, mailer }, lo!.id)).finally(() => (loSettled = true));
      started.push(forwardLo);
      await waitUntil(async () => loSettled || (await lockWaits()).length === 2);
      // ... and a checklist for the person says "yes" to both agencies: it waits for the locks
      let answered = false;
      const again = checklist(p, [x!.questionId, y!.questionId]).finally(() => (answered = true));
      started.push(again);
      await waitUntil(async () => answered || (await lockWaits()).some((q) => q.includes('signpost_intake')));
      release();

      const [hiOutcome, loOutcome, res] = await Promise.all([forwardHi, forwardLo, again]);
      expect([hiOutcome, loOutcome]).toEqual(['forwarded', 'forwarded']);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect((res.body.alreadyOpen as { id: string }[]).map((r) => r.id).sort()).toEqual([lo!.id, hi!.id]);
      // one call for the checklist, and both referrals know when it is due
      const followUp = await ctx.db.selectFrom('followUps').select('dueAt').where('submissionId', '=', first.body.id).executeTakeFirstOrThrow();
      const rows = await ctx.db.selectFrom('referrals').select(['status', 'followUpDueAt']).where('submissionId', '=', first.body.id).execute();
      expect(rows).toEqual([
        { status: 'forwarded', followUpDueAt: followUp.dueAt },
        { status: 'forwarded', followUpDueAt: followUp.dueAt },
      ]);
    } finally {
      release();
      await Promise.allSettled(started);
      mailer.close();
      await fast.destroy();
    }
  });
});

describe('a deadlock the intake loses', () => {
  it('is tried again: the checklist is stored once and answers 201, not 500', async () => {
    const [a] = agencyQuestions(1);
    const p = someone();
    const first = await checklist(p, [a!.questionId]);
    expect(first.status).toBe(201);
    const personId = first.body.personId as string;
    const live = first.body.referrals[0].id as string;

    // Another writer that takes the locks the wrong way round (the live referral, then the
    // person), with a long deadlock_timeout so that Postgres picks the intake to give way.
    const other = new pg.Client({ connectionString: ctx.databaseUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SET LOCAL deadlock_timeout = '30s'`);
      await other.query('SELECT 1 FROM referrals WHERE id = $1 FOR UPDATE', [live]);
      const sent = checklist(p, [a!.questionId]);
      // the intake holds the person and waits for the referral ...
      await waitUntil(
        async () =>
          (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%signpost_intake%'`.execute(ctx.db))
            .rows[0]!.n === 1,
      );
      // ... and now the other writer waits for the person: a deadlock. This returns only once
      // the intake's first try was rolled back (it cannot commit while this holds the referral).
      await other.query('SELECT 1 FROM people WHERE id = $1 FOR UPDATE', [personId]);
      await other.query('ROLLBACK');
      const res = await sent;
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.alreadyOpen).toEqual([expect.objectContaining({ id: live })]);
      const stored = await ctx.db.selectFrom('submissions').select('id').where('personId', '=', personId).execute();
      expect(stored).toHaveLength(2);
      expect((await eventsOf(live)).filter((e) => e.reason === 'referred_again')).toHaveLength(1);
    } finally {
      await other.end();
    }
  });
});

describe('an agency completing a referral while a checklist says "yes" for it again', () => {
  const PAIRS = 20;

  it(`joins it under the lock before it completes, or makes a new referral (${PAIRS} pairs)`, async ({ annotate }) => {
    const [a] = agencyQuestions(1);
    const agency = await makeUser(ctx, 'agency', a!.agencyId);
    const problems: string[] = [];
    const seen = { joined: 0, newReferral: 0 };
    for (let i = 0; i < PAIRS; i++) {
      const p = someone();
      const first = await checklist(p, [a!.questionId]);
      expect(first.status).toBe(201);
      const live = first.body.referrals[0].id as string;
      await markForwarded(ctx, live);
      await moveThrough(api, agency.token, live, [{ to: 'contacted' }]);

      // started together, one or the other a few milliseconds ahead: both orders, and every overlap
      const offset = ((i % 7) - 3) * 4;
      const complete = () => api.post(`/api/v1/referrals/${live}/transitions`, agency.token, { to: 'completed', outcome: 'service_provided' });
      const again = () => checklist(p, [a!.questionId]);
      const [done, sent] = await Promise.all([sleep(Math.max(0, offset)).then(complete), sleep(Math.max(0, -offset)).then(again)]);
      const say = (what: string) => problems.push(`pair ${i} (offset ${offset} ms): ${what}`);
      if (done.status !== 200) say(`completion ${done.status} ${JSON.stringify(done.body)}`);
      if (sent.status !== 201) {
        say(`checklist ${sent.status} ${JSON.stringify(sent.body)}`);
        continue;
      }

      const events = await eventsOf(live);
      const completed = events.filter((e) => e.toStatus === 'completed');
      const referredAgain = events.filter((e) => e.reason === 'referred_again');
      const repeats = await ctx.db.selectFrom('referralRepeats').select('referralId').where('submissionId', '=', sent.body.id).execute();
      const made = (sent.body.referrals as { id: string; agencyId: string; status: string }[]).filter((r) => r.agencyId === a!.agencyId);
      if (completed.length !== 1) say(`${completed.length} completions`);
      if ((sent.body.alreadyOpen as { id: string }[]).some((x) => x.id === live)) {
        seen.joined++;
        // joined while it was still contacted, and before the completion: under the same lock
        if (repeats.map((r) => r.referralId).join() !== live) say(`joined, with referral_repeats ${JSON.stringify(repeats)}`);
        if (referredAgain.length !== 1 || referredAgain[0]!.fromStatus !== 'contacted') say(`joined, with events ${JSON.stringify(events)}`);
        else if (completed[0] && referredAgain[0]!.id > completed[0].id) say(`joined after the referral was completed: ${JSON.stringify(events)}`);
        if (made.length) say('joined, and made a new referral for the agency too');
      } else {
        seen.newReferral++;
        if (repeats.length || referredAgain.length) say(`not joined, yet recorded on it: ${JSON.stringify({ repeats, referredAgain })}`);
        if (made.length !== 1 || made[0]!.id === live || made[0]!.status !== 'pending') say(`no new referral for the agency: ${JSON.stringify(sent.body.referrals)}`);
      }
    }
    await annotate(`outcomes: ${JSON.stringify(seen)}`);
    expect(problems).toEqual([]);
    // both orders happened
    expect(seen.joined).toBeGreaterThan(0);
    expect(seen.newReferral).toBeGreaterThan(0);
  });
});

/** The statements of this database's sessions that wait for a lock now. */
async function lockWaits(): Promise<string[]> {
  const { rows } = await sql<{ query: string }>`SELECT query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(ctx.db);
  return rows.map((r) => r.query);
}

/** The database's address with a session setting: how long a session waits before it looks for a deadlock (and gives way if it finds one). */
function withDeadlockTimeout(url: string, timeout: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c deadlock_timeout=${timeout}`);
  return u.toString();
}

/** Deadlocks Postgres has counted in this file's database (its statistics may lag a little). */
async function deadlocks(): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()`.execute(ctx.db);
  return rows[0]!.n;
}
