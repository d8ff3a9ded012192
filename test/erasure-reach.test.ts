/**
 * Erasure reaches every copy it can, against the real app, Postgres, Redis, the notify worker and
 * an SMTP relay that refuses a self-referrer's confirmation with "550 5.1.1 <their address>":
 * after the erasure a pg_dump of the whole database, every key and value under the file's queue
 * prefix in Redis, and everything the worker logged hold no trace of the address. Replies stored
 * before mail errors were redacted are brought into line by the migration; an erasure while Redis
 * is down still succeeds.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactStoredMailErrors } from '../migrations/2026_12_07_1100_redact_mail_errors.js';
import { createProducer } from '../src/platform/jobs/producer.js';
import { createLogger } from '../src/platform/logger.js';
import { erasePerson } from '../src/modules/people/erasure.service.js';
import { apiClient } from './helpers/api.js';
import { makeWebUser } from './helpers/browser.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { referenceOf, releaseSelfReferralForm, selfReferralForm, sendSelfReferral } from './helpers/self-referral.js';
import { startTestSink, type SmtpSink } from './helpers/smtp-sink.js';
import { WebClient } from './helpers/web-client.js';
import { startTestWorkers, waitUntil, type TestWorkers } from './helpers/workers.js';

let ctx: TestContext;
let sink: SmtpSink;
let workers: TestWorkers;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let admin: TestUser;
let hub: WebClient;
/** Every line the workers logged, at every level. */
const logLines: string[] = [];

beforeAll(async () => {
  sink = await startTestSink();
  ctx = await createTestContext({ SMTP_URL: sink.url, SELF_REFERRAL_PER_ADDRESS_PER_HOUR: '1000' });
  workers = await startTestWorkers({ ...ctx, logger: createLogger('trace', { write: (s: string) => logLines.push(s) }) }, ['notify']);
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  admin = await makeUser(ctx, 'admin');
  const coordinator = await makeWebUser(ctx, 'coordinator');
  hub = new WebClient(ctx.baseUrl);
  expect((await hub.signIn(coordinator.email, coordinator.password)).status).toBe(303);
});
afterAll(async () => {
  await workers?.stop();
  await ctx?.close();
  await sink?.stop();
});

const contains = (text: string, needle: string) => text.toLowerCase().includes(needle.toLowerCase());

/** The whole database as plain SQL. */
async function dump(): Promise<string> {
  const { stdout } = await promisify(execFile)('pg_dump', ['--no-owner', ctx.databaseUrl], { maxBuffer: 256 * 1024 * 1024 });
  expect(stdout).toContain('COPY public.notifications');
  return stdout;
}

/** Every key under the file's queue prefix and everything in it, whatever its type, as text. */
async function redisText(): Promise<{ keys: number; text: string }> {
  const r = new Redis(TEST_REDIS_URL);
  try {
    const parts: string[] = [];
    let keys = 0;
    let cursor = '0';
    do {
      const [next, batch] = await r.scan(cursor, 'MATCH', `${ctx.env.QUEUE_PREFIX}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of batch) {
        keys++;
        parts.push(key);
        const type = await r.type(key);
        if (type === 'string') parts.push((await r.get(key)) ?? '');
        else if (type === 'hash') parts.push(JSON.stringify(await r.hgetall(key)));
        else if (type === 'list') parts.push(JSON.stringify(await r.lrange(key, 0, -1)));
        else if (type === 'set') parts.push(JSON.stringify(await r.smembers(key)));
        else if (type === 'zset') parts.push(JSON.stringify(await r.zrange(key, 0, -1, 'WITHSCORES')));
        else if (type === 'stream') parts.push(JSON.stringify(await r.xrange(key, '-', '+')));
        else throw new Error(`a Redis key of a type this search does not read: ${key} (${type})`);
      }
    } while (cursor !== '0');
    return { keys, text: parts.join('\n') };
  } finally {
    r.disconnect();
  }
}

/** A self-referral whose confirmation the relay refuses with the address in its reply; its row and its mail. */
async function refusedSelfReferral() {
  const email = `edna.${randomBytes(4).toString('hex')}@example.net`;
  sink.failWith({ code: 550, message: `5.1.1 <${email}>: Recipient address rejected: User unknown in virtual mailbox table`, recipients: [email] });
  const res = await sendSelfReferral(ctx.baseUrl, selfReferralForm(q, [], { email }));
  expect(res.status).toBe(200);
  const item = await ctx.db.selectFrom('selfReferrals').selectAll().where('reference', '=', referenceOf(res.text)!).executeTakeFirstOrThrow();
  const mailId = (await ctx.db.selectFrom('notifications').select('id').where('dedupeKey', '=', `self-referral:${item.id}`).executeTakeFirstOrThrow()).id;
  // the notify worker tries it; the relay refuses it for good
  await waitUntil(async () => (await ctx.db.selectFrom('notifications').select('status').where('id', '=', mailId).executeTakeFirstOrThrow()).status === 'failed');
  const job = await waitUntil(async () => {
    const j = await ctx.jobs.queue('notify').getJob(`notify-${mailId}`);
    return j && (await j.getState()) === 'failed' ? j : null;
  });
  return { item, mailId, email, job };
}

describe('a self-referrer’s confirmation refused with "550 5.1.1 <address>", then the person erased', () => {
  it('leaves the address nowhere: not in a pg_dump, not in any Redis key or value, not in the log', async () => {
    const { item, mailId, email, job } = await refusedSelfReferral();
    // what there is to find: the refusal's code is kept with the mail, the failed job and the log line
    const mail = await ctx.db.selectFrom('notifications').select(['lastError', 'recipient']).where('id', '=', mailId).executeTakeFirstOrThrow();
    expect(mail.lastError).toContain('550 5.1.1');
    expect(mail.recipient).toBe(email);
    expect(job.failedReason).toContain('550 5.1.1');
    expect((job.stacktrace ?? []).join('\n')).toContain('550 5.1.1');
    expect(logLines.some((l) => l.includes('notification not sent') && l.includes('550 5.1.1'))).toBe(true);

    // the hub calls, the person needs nothing on the list: released, the checklist closes at once
    expect((await releaseSelfReferralForm(hub, item.id)).status).toBe(303);
    const sub = await ctx.db.selectFrom('submissions').select(['personId', 'status']).where('reference', '=', item.reference).executeTakeFirstOrThrow();
    expect(sub.status).toBe('no_needs_identified');
    // the search below finds the address while the person is held
    expect(contains(await dump(), email)).toBe(true);

    const erased = await api.post(`/api/v1/people/${sub.personId}/erasure`, admin.token, { reason: 'The person asked us to erase their details' });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);

    // every place is searched before any is judged, so that a failure names them all
    const redis = await redisText();
    expect(redis.keys).toBeGreaterThan(0);
    const found = [
      ...(contains(await dump(), email) ? ['pg_dump'] : []),
      ...redis.text.split('\n').filter((v) => contains(v, email)).map((v) => `redis: ${v.slice(0, 200)}`),
      ...logLines.filter((l) => contains(l, email)).map((l) => `log: ${l.slice(0, 200)}`),
    ];
    expect(found).toEqual([]);
    const after = await ctx.db.selectFrom('notifications').select(['lastError', 'recipient', 'status']).where('id', '=', mailId).executeTakeFirstOrThrow();
    expect(after).toEqual({ lastError: '550 5.1.1: the rest of the server’s reply was removed with the person’s details', recipient: '(address removed)', status: 'failed' });
    // the person's job is gone from Redis, failed as it was, and the queue's events about it
    expect(await ctx.jobs.queue('notify').getJob(`notify-${mailId}`)).toBeUndefined();
    expect(redis.text).not.toContain(`notify-${mailId}`);
  });

  it('has the worker log the reply without the address, whatever the logger is handed', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (s: string) => lines.push(s) });
    const reply = '550 5.1.1 <edna.logged@example.net>: Recipient address rejected';
    const err = Object.assign(new Error(`Message failed: ${reply}`), { response: reply, responseCode: 550, rejected: ['edna.logged@example.net'] });
    logger.warn({ err }, 'mail refused');
    logger.warn({ err: err.message }, 'mail refused');
    logger.warn({ err: new Error('wrapped', { cause: err }) }, 'mail refused');
    expect(lines).toHaveLength(3);
    for (const l of lines) {
      expect(l).not.toContain('edna.logged');
      expect(l).toContain('550 5.1.1');
    }
  });
});

describe('mail errors stored before they were redacted', () => {
  it('are brought into line by the migration: an erased person’s reply cut to its code, others’ addresses redacted', async () => {
    // a person erased before: their refused confirmation's reply left as the old erasure left it
    const old = await refusedSelfReferral();
    expect((await releaseSelfReferralForm(hub, old.item.id)).status).toBe(303);
    const person = (await ctx.db.selectFrom('submissions').select('personId').where('reference', '=', old.item.reference).executeTakeFirstOrThrow()).personId;
    expect((await api.post(`/api/v1/people/${person}/erasure`, admin.token, { reason: 'The person asked us to erase their details' })).status).toBe(200);
    const legacy = (email: string) => `Message failed: 550 5.1.1 <${email}>: Recipient address rejected: User unknown in virtual mailbox table`;
    await sql`UPDATE notifications SET last_error = ${legacy(old.email)} WHERE id = ${old.mailId}::uuid`.execute(ctx.db);
    // someone still open: a confirmation refused, and a forward the agency's relay refused naming its address
    const open = await refusedSelfReferral();
    await sql`UPDATE notifications SET last_error = ${legacy(open.email)} WHERE id = ${open.mailId}::uuid`.execute(ctx.db);
    const worker = await makeUser(ctx, 'link_worker');
    const sent = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id]));
    expect(sent.status).toBe(201);
    const referralId = sent.body.referrals[0].id as string;
    await sql`UPDATE referrals SET last_forward_error = ${legacy('referrals@fire.example.org')} WHERE id = ${referralId}::uuid`.execute(ctx.db);
    expect(contains(await dump(), `<${old.email}>`)).toBe(true);

    await redactStoredMailErrors(ctx.db);
    const lastError = async (id: string) => (await ctx.db.selectFrom('notifications').select('lastError').where('id', '=', id).executeTakeFirstOrThrow()).lastError;
    expect(await lastError(old.mailId)).toBe('550 5.1.1: the rest of the server’s reply was removed with the person’s details');
    expect(await lastError(open.mailId)).toBe('Message failed: 550 5.1.1 <[address]>: Recipient address rejected: User unknown in virtual mailbox table');
    const r = await ctx.db.selectFrom('referrals').select('lastForwardError').where('id', '=', referralId).executeTakeFirstOrThrow();
    expect(r.lastForwardError).toBe('Message failed: 550 5.1.1 <[address]>: Recipient address rejected: User unknown in virtual mailbox table');
    expect(contains(await dump(), old.email)).toBe(false);
  });
});

describe('an erasure while Redis is down', () => {
  it('still erases: Postgres is the truth, and the jobs held no address to forget', async () => {
    const { item, mailId, email } = await refusedSelfReferral();
    expect((await releaseSelfReferralForm(hub, item.id)).status).toBe(303);
    const personId = (await ctx.db.selectFrom('submissions').select('personId').where('reference', '=', item.reference).executeTakeFirstOrThrow()).personId;
    // nothing listens on port 1
    const down = createProducer({ redisUrl: 'redis://127.0.0.1:1', prefix: ctx.env.QUEUE_PREFIX, logger: ctx.logger, mode: 'fail-fast' });
    try {
      const principal = { userId: admin.id, name: admin.name, role: admin.role, agencyId: null };
      const res = await erasePerson({ ...ctx, jobs: down }, principal, personId, { reason: 'The person asked us to erase their details' });
      expect(res.personId).toBe(personId);
    } finally {
      await down.close();
    }
    expect((await ctx.db.selectFrom('people').select('erasedAt').where('id', '=', personId).executeTakeFirstOrThrow()).erasedAt).not.toBeNull();
    expect(contains(await dump(), email)).toBe(false);
    // the failed job is still in Redis (it goes with the queue's retention), and holds no address
    const job = await ctx.jobs.queue('notify').getJob(`notify-${mailId}`);
    expect(job?.failedReason).toContain('550 5.1.1');
    expect(contains((await redisText()).text, email)).toBe(false);
  });
});
