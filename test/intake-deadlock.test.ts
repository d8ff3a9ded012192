/**
 * The intake against everything else that locks a person's referrals, on the real Postgres,
 * Redis and an SMTP sink. Every writer takes its locks in one order (the person, then referrals
 * in id order), so none deadlocks another:
 *
 *  - the forward worker recording a referral while its sibling is forwarded and a checklist
 *    joins both (it locks every referral of the checklist before it writes any).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/db/kysely.js';
import { createMailer } from '../src/mail/transport.js';
import { forwardReferral } from '../src/services/forward.service.js';
import { apiClient } from './helpers/api.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { randomDateOfBirth, uniqueLetters } from './helpers/people.js';
import { startTestSink, type SmtpSink } from './helpers/smtp-sink.js';
import { waitUntil } from './helpers/workers.js';

let ctx: TestContext;
let sink: SmtpSink;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let worker: TestUser;

beforeAll(async () => {
  sink = await startTestSink();
  // checklists, coordinators and the forward worker all hold connections at once
  ctx = await createTestContext({ SMTP_URL: sink.url }, { poolSize: 30 });
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  worker = await makeUser(ctx, 'link_worker');
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
