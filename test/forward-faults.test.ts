/**
 * The forward worker when things go wrong, against the real Postgres, Redis and an SMTP sink
 * told to refuse: temporary refusals (retried, forwarded once), a permanent refusal (no retry,
 * forward_failed, coordinators alerted), a worker killed in the middle of a job (another one
 * finishes it, one mail), and a paused agency (nothing sent, coordinators told).
 *
 * Retry backoff is shortened for these jobs only, through the job's own options (see
 * fastRetries); the 24 h and 14 day policies are untouched.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.js';
import { apiClient } from './helpers/api.js';
import { submit } from './helpers/referrals.js';
import { makeUser, seedChecklist, type TestUser } from './helpers/factories.js';
import { startTestSink, to, settle, type SmtpSink } from './helpers/smtp-sink.js';
import { startTestWorkers, waitUntil, type TestWorkers } from './helpers/workers.js';
import { JOBS } from '../src/platform/jobs/registry.js';
import { HOUR } from '../src/kernel/clock.js';

let ctx: TestContext;
let sink: SmtpSink;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let linkWorker: TestUser;
let workers: TestWorkers | undefined;
// Every worker in this file checks for stalled jobs every 500 ms: BullMQ lets one check run per
// stalledInterval across all workers of a queue, so one default (30 s) worker would delay the next.
const FAST_LOCKS = { lockDuration: 1_000, stalledInterval: 500 };

beforeAll(async () => {
  sink = await startTestSink();
  ctx = await createTestContext({ SMTP_URL: sink.url });
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  linkWorker = await makeUser(ctx, 'link_worker');
});
afterEach(async () => {
  await workers?.stop();
  workers = undefined;
  sink.accept();
  sink.release();
});
afterAll(async () => {
  await ctx?.close();
  await sink?.stop();
});

const forwardQueue = () => ctx.jobs.queue('forward');

/** Submits a checklist flagging one agency (by question index); workers are not running yet. */
async function submitOne(index: number) {
  const ref = (await submit(api, linkWorker, q, [q.questions[index]!.id])).referrals[0]!;
  const agency = await ctx.db.selectFrom('agencies').selectAll().where('id', '=', ref.agencyId).executeTakeFirstOrThrow();
  return { ref, agency };
}

/** Replaces the intake's batch job (of this one referral) by the referral's own job with a 100 ms fixed backoff (tests only). */
async function fastRetries(referralId: string) {
  const jobId = `forward-${referralId}`;
  expect(await forwardQueue().remove(`forward-batch-${referralId}`)).toBe(1);
  await forwardQueue().add('forward-referral', { referralId }, { ...JOBS['forward-referral'].options, jobId, backoff: { type: 'fixed', delay: 100 } });
}

const referral = (id: string) => ctx.db.selectFrom('referrals').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const forwardNotification = (id: string) => ctx.db.selectFrom('notifications').selectAll().where('dedupeKey', '=', `forward:${id}`).executeTakeFirst();

describe('temporary refusals', () => {
  it.each([421, 451])('retries after %i until the server accepts; forwarded once, late breach resolved', async (code) => {
    const { ref, agency } = await submitOne(1);
    await fastRetries(ref.id);
    // the sweep had recorded a T1 breach; the forward happens 25 h after receipt
    const r0 = await referral(ref.id);
    await ctx.db
      .insertInto('slaBreaches')
      .values({ id: ctx.ids.uuid(), referralId: ref.id, agencyId: agency.id, clock: 'forward', dueAt: r0.forwardDueAt, detectedAt: r0.forwardDueAt })
      .execute();
    ctx.clock.set(new Date(r0.receivedAt.getTime() + 25 * HOUR));

    sink.failWith({ code, times: 2, recipients: [agency.email] });
    workers = await startTestWorkers(ctx, ['forward'], { workerOptions: FAST_LOCKS });
    await sink.waitFor(1, { filter: to(agency.email) });
    const done = await waitUntil(async () => {
      const r = await referral(ref.id);
      return r.status === 'forwarded' && r;
    });

    expect(sink.rejections.filter((x) => x.envelope.to.includes(agency.email)).map((x) => x.code)).toEqual([code, code]);
    expect(await settle(sink, to(agency.email))).toHaveLength(1);
    expect(done.forwardAttempts).toBe(3);
    expect(done.lastForwardError).toBeNull();
    const n = await forwardNotification(ref.id);
    expect([n!.status, n!.attempts]).toEqual(['sent', 3]);
    // every attempt carried the same Message-ID
    expect(new Set(sink.rejections.filter((x) => x.envelope.to.includes(agency.email)).map((x) => x.messageId))).toEqual(new Set([n!.messageId]));
    const breach = await ctx.db.selectFrom('slaBreaches').selectAll().where('referralId', '=', ref.id).executeTakeFirstOrThrow();
    expect(breach.resolvedAt).toEqual(done.forwardedAt);
    expect(breach.lateBySeconds).toBe(3600);
    sink.clear();
  });
});

describe('a permanent refusal', () => {
  it('stops at once: forward_failed, an event with the reason, an alert, and the coordinators’ mail', async () => {
    const { ref, agency } = await submitOne(2);
    await fastRetries(ref.id);
    sink.failWith({ code: 550, recipients: [agency.email] });
    workers = await startTestWorkers(ctx, ['forward', 'notify'], { workerOptions: FAST_LOCKS });

    const [alertMail] = await sink.waitFor(1, { filter: to(ctx.env.COORDINATOR_ALERT_EMAIL) });
    expect(alertMail!.subject).toContain(ref.reference);
    // the notify worker's mail is automatic too: no out-of-office reply should answer it
    expect(alertMail!.headers['auto-submitted']).toBe('auto-generated');
    const r = await referral(ref.id);
    expect(r.status).toBe('forward_failed');
    expect(r.forwardAttempts).toBe(1);
    expect(r.lastForwardError).toContain('550');
    expect(r.forwardDueAt.getTime()).toBeGreaterThan(0); // still on T1: the sweep will breach it
    const ev = await ctx.db.selectFrom('referralEvents').selectAll().where('referralId', '=', ref.id).where('toStatus', '=', 'forward_failed').executeTakeFirstOrThrow();
    expect(ev.reason).toContain('550');
    const alerts = await ctx.db.selectFrom('alerts').selectAll().where('referralId', '=', ref.id).execute();
    expect(alerts.map((a) => a.kind)).toEqual(['forward_failed']);
    expect((await forwardNotification(ref.id))!.status).toBe('failed');

    // no retries: the job failed once and for all
    const job = await forwardQueue().getJob(`forward-${ref.id}`);
    expect(await job!.getState()).toBe('failed');
    expect(job!.attemptsMade).toBe(1);
    await settle(sink, () => true, 600);
    expect(sink.rejections.filter((x) => x.envelope.to.includes(agency.email))).toHaveLength(1);
    expect(sink.messages.filter(to(agency.email))).toHaveLength(0);
    sink.clear();
  });
});

describe('a worker killed in the middle of a job', () => {
  it('is replaced by another worker that finishes the job; exactly one mail', { timeout: 45_000 }, async () => {
    const { ref, agency } = await submitOne(3);
    sink.hold([agency.email]);
    const child = fork(fileURLToPath(new URL('./helpers/forward-worker-child.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, DATABASE_URL: ctx.databaseUrl, REDIS_URL: ctx.env.REDIS_URL, QUEUE_PREFIX: ctx.env.QUEUE_PREFIX, SMTP_URL: sink.url, LOG_LEVEL: 'silent', NODE_ENV: 'test' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      // the child has the job and is mid-conversation with the mail server
      await once(sink, 'held');
      // (the intake's batch job, of this one referral)
      expect(await forwardQueue().getJobState(`forward-batch-${ref.id}`)).toBe('active');
      child.kill('SIGKILL');
      await once(child, 'exit');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    sink.release();
    expect(sink.messages.filter(to(agency.email))).toHaveLength(0);

    workers = await startTestWorkers(ctx, ['forward'], { workerOptions: FAST_LOCKS });
    await sink.waitFor(1, { filter: to(agency.email), timeoutMs: 20_000 });
    const r = await waitUntil(async () => {
      const x = await referral(ref.id);
      return x.status === 'forwarded' && x;
    });
    expect(await settle(sink, to(agency.email), 800)).toHaveLength(1);
    expect(r.forwardAttempts).toBe(1);
    const n = await forwardNotification(ref.id);
    expect([n!.status, n!.attempts]).toEqual(['sent', 1]);
    sink.clear();
  });
});

describe('a paused agency', () => {
  it('gets nothing; its referral waits, a coordinator is told, and it goes once the agency is back', async () => {
    const { ref, agency } = await submitOne(4);
    await ctx.db.updateTable('agencies').set({ status: 'paused' }).where('id', '=', agency.id).execute();
    workers = await startTestWorkers(ctx, ['forward', 'notify'], { workerOptions: FAST_LOCKS });

    const [alertMail] = await sink.waitFor(1, { filter: to(ctx.env.COORDINATOR_ALERT_EMAIL) });
    expect(alertMail!.subject).toContain(ref.reference);
    const alerts = await ctx.db.selectFrom('alerts').selectAll().where('referralId', '=', ref.id).execute();
    expect(alerts.map((a) => [a.kind, a.agencyId])).toEqual([['agency_paused', agency.id]]);
    expect((await referral(ref.id)).status).toBe('pending');
    expect(await settle(sink, to(agency.email))).toHaveLength(0);
    expect(await forwardNotification(ref.id)).toBeUndefined();
    // the finished job is removed so that the same job id can be enqueued again
    await waitUntil(async () => (await forwardQueue().getJob(`forward-${ref.id}`)) === undefined);

    // enqueued again while still paused: still one alert, still no mail
    await ctx.jobs.enqueue('forward-referral', { referralId: ref.id });
    await waitUntil(async () => (await forwardQueue().getJob(`forward-${ref.id}`)) === undefined);
    expect(await ctx.db.selectFrom('alerts').select('id').where('referralId', '=', ref.id).execute()).toHaveLength(1);

    // the agency is active again; the sweep's re-enqueue (same job id) forwards it
    await ctx.db.updateTable('agencies').set({ status: 'active' }).where('id', '=', agency.id).execute();
    await ctx.jobs.enqueue('forward-referral', { referralId: ref.id });
    await sink.waitFor(1, { filter: to(agency.email) });
    await waitUntil(async () => (await referral(ref.id)).status === 'forwarded');
    expect(await settle(sink, to(agency.email))).toHaveLength(1);
    sink.clear();
  });
});
