/**
 * The intake's forward batches ('forward-batch'), against the real Postgres, Redis and an SMTP
 * sink: the producer merges one event-loop turn's calls into one job; the forward worker sends
 * every referral of a batch once; a referral whose send fails is handed to its own
 * 'forward-referral' job and sent by it; a batch run twice sends nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.js';
import { apiClient } from './helpers/api.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { startTestSink, settle, type SmtpSink } from './helpers/smtp-sink.js';
import { startTestWorkers, waitUntil } from './helpers/workers.js';
import { lettersOf } from './helpers/people.js';
import { FORWARD_BATCH_MAX } from '../src/platform/jobs/registry.js';
import { runSweep } from '../src/modules/sla/sla.service.js';

let ctx: TestContext;
let sink: SmtpSink;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let linkWorker: TestUser;

beforeAll(async () => {
  sink = await startTestSink();
  ctx = await createTestContext({ SMTP_URL: sink.url });
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  linkWorker = await makeUser(ctx, 'link_worker');
});
afterAll(async () => {
  await ctx?.close();
  await sink?.stop();
});

let people = 0;
async function submit(yes: number[], requestId?: string) {
  const res = await api.post(
    '/api/v1/submissions',
    linkWorker.token,
    submissionBody(q, yes.map((i) => q.questions[i]!.id), { person: { familyName: `Batchley-${lettersOf(people++)}` } }),
    requestId ? { 'x-request-id': requestId } : undefined,
  );
  expect(res.status).toBe(201);
  return res.body as { referrals: { id: string; reference: string; agencyId: string }[] };
}

const forwardQueue = () => ctx.jobs.queue('forward');
const statuses = async (ids: string[]) =>
  (await ctx.db.selectFrom('referrals').select(['id', 'status']).where('id', 'in', ids).execute()).map((r) => r.status);
const mailsFor = (reference: string) => sink.messages.filter((m) => m.subject.includes(reference));

describe('the producer', () => {
  it('merges the calls of one event-loop turn into one batch job, and splits one too big for a job', async () => {
    const ids = Array.from({ length: FORWARD_BATCH_MAX + 3 }, () => crypto.randomUUID());
    try {
      await Promise.all([
        ctx.jobs.enqueue('forward-batch', { referralIds: ids.slice(0, 2), requestId: 'req-a' }),
        ctx.jobs.enqueue('forward-batch', { referralIds: ids.slice(2, 300), requestId: 'req-b' }),
        ctx.jobs.enqueue('forward-batch', { referralIds: ids.slice(300), requestId: 'req-c' }),
      ]);
      const jobs = (await forwardQueue().getWaiting(0, -1)).filter((j) => j.name === 'forward-batch');
      expect(jobs.map((j) => (j.data as { referralIds: string[] }).referralIds.length).sort((a, b) => a - b)).toEqual([3, FORWARD_BATCH_MAX]);
      expect(jobs.flatMap((j) => (j.data as { referralIds: string[] }).referralIds).sort()).toEqual([...ids].sort());
      expect(jobs.map((j) => j.id).sort()).toEqual([`forward-batch-${ids[0]}`, `forward-batch-${ids[FORWARD_BATCH_MAX]}`].sort());
      // each referral keeps the request it came from; the job's own is its first referral's
      const byId = new Map<string, string | undefined>();
      for (const j of jobs) {
        const d = j.data as { referralIds: string[]; origins: { requestId?: string }[]; requestId?: string };
        expect(d.origins).toHaveLength(d.referralIds.length);
        expect(d.requestId).toBe(d.origins[0]!.requestId);
        d.referralIds.forEach((id, i) => byId.set(id, d.origins[i]!.requestId));
      }
      expect(ids.map((id) => byId.get(id))).toEqual(ids.map((_, i) => (i < 2 ? 'req-a' : i < 300 ? 'req-b' : 'req-c')));
    } finally {
      await forwardQueue().obliterate({ force: true });
    }
  });

  it('refuses a payload that is not ids, before anything reaches Redis', async () => {
    await expect(ctx.jobs.enqueue('forward-batch', { referralIds: ['Margaret Example'] })).rejects.toThrow();
    await expect(ctx.jobs.enqueue('forward-batch', { referralIds: [] })).rejects.toThrow();
    await expect(ctx.jobs.enqueue('forward-batch', { referralIds: [crypto.randomUUID(), crypto.randomUUID()], origins: [{ requestId: 'req-a' }] })).rejects.toThrow(/as long as/);
    expect(await forwardQueue().getWaitingCount()).toBe(0);
  });
});

describe('the sweep and a batch', () => {
  it('leaves alone a referral that a live batch job holds, and re-enqueues it once the batch is gone', async () => {
    const s = await submit([0]);
    const id = s.referrals[0]!.id;
    // the forwards are enqueued after the reply, not before it
    await waitUntil(async () => (await forwardQueue().getJobState(`forward-batch-${id}`)) === 'waiting', 10_000);
    expect((await runSweep(ctx)).reenqueued.forward).toBe(0);
    expect(await forwardQueue().getJobState(`forward-${id}`)).toBe('unknown');
    // Redis lost the batch: the referral gets its own job
    expect(await forwardQueue().remove(`forward-batch-${id}`)).toBe(1);
    expect((await runSweep(ctx)).reenqueued.forward).toBe(1);
    expect(await forwardQueue().getJobState(`forward-${id}`)).toBe('waiting');
    await forwardQueue().obliterate({ force: true });
  });
});

describe('the forward worker and a batch', () => {
  it('sends every referral of checklists sent at once, each once, from one job per turn', async () => {
    const subs = await Promise.all([submit([0, 15]), submit([3]), submit([0, 3])]);
    const refs = subs.flatMap((s) => s.referrals);
    const waitingIds = async () => (await forwardQueue().getWaiting(0, -1)).flatMap((j) => (j.data as { referralIds?: string[] }).referralIds ?? []);
    await waitUntil(async () => (await waitingIds()).length >= refs.length, 10_000);
    const waiting = await forwardQueue().getWaiting(0, -1);
    expect(waiting.every((j) => j.name === 'forward-batch')).toBe(true);
    expect(waiting.flatMap((j) => (j.data as { referralIds: string[] }).referralIds).sort()).toEqual(refs.map((r) => r.id).sort());
    expect(waiting.length).toBeLessThanOrEqual(subs.length);

    const workers = await startTestWorkers(ctx, ['forward', 'notify']);
    try {
      await waitUntil(async () => (await statuses(refs.map((r) => r.id))).every((s) => s === 'forwarded'), 30_000);
      await settle(sink, (m) => refs.some((r) => m.subject.includes(r.reference)), 1_000);
      for (const r of refs) expect(mailsFor(r.reference)).toHaveLength(1);
      // the batch again (a stalled job run twice): nothing is sent twice
      await ctx.jobs.queue('forward').add('forward-batch', { referralIds: refs.map((r) => r.id) }, { jobId: 'forward-batch-again' });
      await waitUntil(async () => (await forwardQueue().getJobState('forward-batch-again')) === 'completed', 30_000);
      const again = await forwardQueue().getJob('forward-batch-again');
      expect(again!.returnvalue).toEqual({ referrals: refs.length, forwarded: 0, handedOn: 0 });
      await settle(sink, () => true, 1_000);
      for (const r of refs) expect(mailsFor(r.reference)).toHaveLength(1);
    } finally {
      await workers.stop();
    }
  });

  it('hands a referral its relay refused for now to its own job, with its own request id, which sends it; the others go at once', async () => {
    // two checklists at once, so that one job carries both: the refused referral's is the second's
    const [first, s] = await Promise.all([submit([3], 'req-first'), submit([0, 3], 'req-second')]);
    const [refused, other] = s.referrals as [(typeof s.referrals)[0], (typeof s.referrals)[0]];
    const agency = await ctx.db.selectFrom('agencies').select('email').where('id', '=', refused.agencyId).executeTakeFirstOrThrow();
    sink.failWith({ code: 451, times: 1, recipients: [agency.email] });
    const workers = await startTestWorkers(ctx, ['forward', 'notify']);
    try {
      await waitUntil(async () => (await statuses([other.id]))[0] === 'forwarded', 30_000);
      // the refused one waits in its own job, timed by that job's first backoff
      await waitUntil(async () => (await forwardQueue().getJobState(`forward-${refused.id}`)) === 'delayed', 30_000);
      expect((await forwardQueue().getJob(`forward-${refused.id}`))!.data.requestId).toBe('req-second');
      const batch = (await forwardQueue().getCompleted(0, -1)).find((j) => (j.data as { referralIds: string[] }).referralIds.includes(refused.id))!;
      expect(batch.name).toBe('forward-batch');
      const data = batch.data as { referralIds: string[]; origins: { requestId?: string }[]; requestId?: string };
      if (data.referralIds.length === 3) {
        // the two checklists met in one job (as they do unless the machine split their turns),
        // in the order they finished: each referral names its own request, the job its first's
        const originOf = new Map(data.referralIds.map((id, i) => [id, data.origins[i]!.requestId]));
        expect(originOf.get(first.referrals[0]!.id)).toBe('req-first');
        expect(originOf.get(refused.id)).toBe('req-second');
        expect(originOf.get(other.id)).toBe('req-second');
        expect(data.requestId).toBe(data.origins[0]!.requestId);
        expect(batch.returnvalue).toEqual({ referrals: 3, forwarded: 2, handedOn: 1 });
      } else expect(batch.returnvalue).toEqual({ referrals: 2, forwarded: 1, handedOn: 1 });
      expect((await statuses([refused.id]))[0]).toBe('pending');
      const row = await ctx.db.selectFrom('referrals').select(['forwardAttempts', 'lastForwardError']).where('id', '=', refused.id).executeTakeFirstOrThrow();
      expect(row.forwardAttempts).toBe(1);
      expect(row.lastForwardError).toContain('451');
      // then its own job sends it, once
      await waitUntil(async () => (await statuses([refused.id]))[0] === 'forwarded', 60_000);
      await settle(sink, (m) => m.subject.includes(refused.reference), 1_000);
      expect(mailsFor(refused.reference)).toHaveLength(1);
      expect(mailsFor(other.reference)).toHaveLength(1);
    } finally {
      await workers.stop();
    }
  });
});
