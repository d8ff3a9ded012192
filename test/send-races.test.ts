/**
 * Ending a referral while it is being sent to its agency, against the real Postgres, Redis and
 * an SMTP sink: a consent withdrawal, a coordinator's cancel and a coordinator's re-route, each
 * racing the forward (src/modules/forwarding/forward.service.ts). The promise kept: either the forward
 * mail never goes, or it goes and the agency is told at once not to act on it; and whoever
 * ends the referral never waits for the agency's mail server.
 *
 * The forward is called directly (as the forward worker calls it), so that the test decides
 * when it starts; the mails it leaves for later (the agency told) go through the real notify
 * worker. A slow relay is the sink holding its reply to RCPT TO: the worker's transaction is
 * then open with the mail claimed and the agency's link written, as during a slow DATA reply.
 */
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer, type Mailer } from '../src/platform/mail/transport.js';
import { forwardReferral, type ForwardDeps } from '../src/modules/forwarding/forward.service.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { randomDateOfBirth, uniqueLetters } from './helpers/people.js';
import { startTestSink, type SmtpSink } from './helpers/smtp-sink.js';
import { startTestWorkers, waitUntil, type TestWorkers } from './helpers/workers.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import type { TestContext } from './helpers/context.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;
let sink: SmtpSink;
let mailer: Mailer;
let notify: TestWorkers;
let forwardDeps: ForwardDeps;

beforeAll(async () => {
  sink = await startTestSink();
  ({ ctx, api, q, worker, coordinator } = await createWorld({ worker: 'link_worker', coordinator: 'coordinator' }, { SMTP_URL: sink.url }));
  mailer = createMailer(ctx.env);
  forwardDeps = { ...ctx, mailer };
  notify = await startTestWorkers(ctx, ['notify']);
});
afterAll(async () => {
  await notify?.stop();
  mailer?.close();
  await ctx?.close();
  await sink?.stop();
});

const agencyEmail = async (agencyId: string) => (await ctx.db.selectFrom('agencies').select('email').where('id', '=', agencyId).executeTakeFirstOrThrow()).email;

/** A new person's checklist answering "yes" to one question: its one referral, pending, and where its agency's mail goes. */
async function oneReferral(questionIndex: number) {
  const person = { givenName: 'Hilda', familyName: `Send-${uniqueLetters()}`, dateOfBirth: randomDateOfBirth(), postcode: 'SE1 7PB', phone: '020 7946 0404', preferredContact: 'phone' };
  const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[questionIndex]!.id], { person }));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const ref = res.body.referrals[0] as { id: string; reference: string; agencyId: string };
  return { ...ref, personId: res.body.personId as string, email: await agencyEmail(ref.agencyId) };
}
type OneReferral = Awaited<ReturnType<typeof oneReferral>>;

const withdraw = (r: OneReferral) =>
  api.post(`/api/v1/people/${r.personId}/consent-withdrawals`, coordinator.token, { agencyIds: [r.agencyId], reason: 'The person changed their mind', recordedAt: ctx.clock.now().toISOString() });
const cancel = (r: OneReferral) => api.post(`/api/v1/referrals/${r.id}/transitions`, coordinator.token, { to: 'cancelled', reason: 'entered in error' });
const reroute = (r: OneReferral, targetAgencyId: string) => api.post(`/api/v1/referrals/${r.id}/transitions`, coordinator.token, { to: 'rerouted', targetAgencyId });

/** The agency's mails about this referral: its forward (by the referral's own Message-ID), and any "do not act on it" mail. */
function mailsAbout(r: OneReferral) {
  const toAgency = sink.messages.filter((m) => m.envelope.to.includes(r.email));
  return {
    forward: toAgency.filter((m) => m.messageId.startsWith(`<forward-${r.id}@`)),
    ended: toAgency.filter((m) =>
      [`Signpost referral ${r.reference}: consent withdrawn`, `Signpost referral ${r.reference}: cancelled, please do not act on it`, `Signpost referral ${r.reference}: cancelled, please stop work on it`].includes(m.subject),
    ),
    all: toAgency.filter((m) => m.subject.startsWith(`Signpost referral ${r.reference} `) || m.subject.startsWith(`Signpost referral ${r.reference}:`)),
  };
}

/** Once every mail left for the notify worker has gone (or failed), and a moment more for anything late. */
async function mailSettled(): Promise<void> {
  await waitUntil(async () => {
    const left = await ctx.db.selectFrom('notifications').select('id').where('status', '=', 'queued').where('kind', '!=', 'referral_forward').execute();
    return left.length === 0;
  });
  await sleep(300);
}

const referralRow = (id: string) => ctx.db.selectFrom('referrals').select(['status', 'forwardedAt']).where('id', '=', id).executeTakeFirstOrThrow();
/** A referral's events in the order they were written (their ids, a bigint identity, as numbers). */
const eventsOf = async (id: string) =>
  (await ctx.db.selectFrom('referralEvents').select(['id', 'fromStatus', 'toStatus', 'reason']).where('referralId', '=', id).orderBy('id').execute()).map((e) => ({ ...e, id: Number(e.id) }));
const forwardNotification = (id: string) => ctx.db.selectFrom('notifications').select(['status', 'lastError']).where('dedupeKey', '=', `forward:${id}`).executeTakeFirst();

describe('a consent withdrawal while the relay is slow to answer', () => {
  // How long the agency's relay holds its reply. Relays do this (content scanning, a queue
  // behind, a tarpit): SMTP has a client wait up to 10 minutes for the reply that ends DATA
  // (RFC 5321, 4.5.3.2.6).
  const RELAY_DELAY_MS = 4_000;
  // A withdrawal is recorded by a coordinator with the person on the phone, or by a link worker
  // from the person's page: it must answer as a page does, in a couple of seconds at most. Were
  // it to wait on the send's locks, a relay's delay (minutes, at worst) would become the page's,
  // and meanwhile the request would hold a pooled connection that other pages need.
  const PAGE_BUDGET_MS = 2_000;

  it(`answers at once, and the agency, which had the referral, is then told (relay holding ${RELAY_DELAY_MS / 1000} s)`, async () => {
    const r = await oneReferral(0);
    sink.hold([r.email]);
    const held = once(sink, 'held');
    const forwarding = forwardReferral(forwardDeps, r.id);
    await held;
    const released = sleep(RELAY_DELAY_MS).then(() => sink.release());

    const started = performance.now();
    const res = await withdraw(r);
    const took = performance.now() - started;
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(took).toBeLessThan(PAGE_BUDGET_MS);
    // the referral is cancelled at once; the agency has not had it yet, so the withdrawal itself tells no one
    expect(res.body.cancelled).toEqual([expect.objectContaining({ id: r.id, agencyTold: false })]);
    expect(mailsAbout(r).all).toEqual([]);

    await released;
    // the mail went as the referral ended: recorded as with the agency, and the agency told
    expect(await forwarding).toBe('ended_while_sending');
    await sink.waitFor(2, { filter: (m) => mailsAbout(r).all.includes(m) });
    await mailSettled();
    const mails = mailsAbout(r);
    expect(mails.forward).toHaveLength(1);
    expect(mails.ended.map((m) => m.subject)).toEqual([`Signpost referral ${r.reference}: consent withdrawn`]);
    expect(mails.ended[0]!.seq).toBeGreaterThan(mails.forward[0]!.seq);
    expect(mails.all).toHaveLength(2);
    const row = await referralRow(r.id);
    expect(row.status).toBe('cancelled');
    expect(row.forwardedAt).not.toBeNull();
    expect((await eventsOf(r.id)).map((e) => `${e.fromStatus}->${e.toStatus}`)).toEqual(['null->pending', 'pending->cancelled', 'cancelled->cancelled']);
    // nothing was sent twice, to anyone
    const ids = sink.messages.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('a withdrawal between the forward’s first read and its claim of the mail', () => {
  it('is seen under the claim: the mail never goes', async () => {
    const r = await oneReferral(1);
    // The forward reads the referral (pending), then writes its mail row, which checks the
    // agency's row (a foreign key): a transaction holding that row stops the forward there.
    let release!: () => void;
    const releasing = new Promise<void>((res) => (release = res));
    let locked!: () => void;
    const isLocked = new Promise<void>((res) => (locked = res));
    const holder = ctx.db.transaction().execute(async (trx) => {
      await trx.selectFrom('agencies').select('id').where('id', '=', r.agencyId).forUpdate().execute();
      locked();
      await releasing;
    });
    await isLocked;
    const forwarding = forwardReferral(forwardDeps, r.id);
    await waitUntil(async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(ctx.db)).rows[0]!.n === 1);

    const res = await withdraw(r);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    release();
    await holder;
    expect(await forwarding).toBe('not_pending');
    await mailSettled();
    expect(mailsAbout(r).all).toEqual([]);
    expect(await forwardNotification(r.id)).toEqual({ status: 'failed', lastError: 'not sent: the referral was cancelled before it was sent' });
    expect(await referralRow(r.id)).toEqual({ status: 'cancelled', forwardedAt: null });
  });
});

describe('a withdrawal, a cancel or a re-route, racing the forward', () => {
  type Ending = 'withdrawal' | 'cancel' | 'reroute';
  const ENDINGS: Ending[] = ['withdrawal', 'cancel', 'reroute'];
  // each ending meets the forward three ways: started a little before it, a little after it,
  // and while the relay holds the forward's conversation (the window a timing alone rarely hits)
  type Start = 'ending_first' | 'forward_first' | 'during_send';
  const STARTS: Start[] = ['ending_first', 'forward_first', 'during_send'];
  const PAIRS = 27;
  const jitter = () => Math.floor(Math.random() * 25);

  it(`either the mail never goes, or it goes and the agency is then told (${PAIRS} pairs)`, async ({ annotate }) => {
    const pairs: { r: OneReferral; ending: Ending; start: Start; answer: { status: number; body: any }; forward: string; tookMs: number }[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const ending = ENDINGS[i % 3]!;
      const start = STARTS[Math.floor(i / 3) % 3]!;
      const r = await oneReferral(i % 17);
      const target = q.questions.find((x) => x.agencyId !== r.agencyId)!.agencyId;
      const end = () => (ending === 'withdrawal' ? withdraw(r) : ending === 'cancel' ? cancel(r) : reroute(r, target));
      const forward = () => forwardReferral(forwardDeps, r.id).catch((err: Error) => `threw: ${err.message}`);
      let answer: Awaited<ReturnType<typeof end>>;
      let outcome: string;
      let tookMs = 0;
      if (start === 'during_send') {
        sink.hold([r.email]);
        const held = once(sink, 'held');
        const forwarding = forward();
        await held;
        // released at once when the ending answers; after 3 s if it waits on the send (then the ending is too slow, and fails below)
        const fallback = setTimeout(() => sink.release(), 3_000);
        const t0 = performance.now();
        answer = await end();
        tookMs = performance.now() - t0;
        clearTimeout(fallback);
        await sleep(jitter());
        sink.release();
        outcome = await forwarding;
      } else if (start === 'ending_first') {
        // the ending answered, then the forward a few milliseconds (0 to 24) later: on a busy
        // machine an ending merely started first could still answer after the forward, and the
        // mail-never-goes side of the race would go untried (the other two starts race for real)
        answer = await end();
        await sleep(jitter());
        outcome = await forward();
      } else {
        // the ending starts a few milliseconds (0 to 24) after the forward
        [answer, outcome] = await Promise.all([sleep(jitter()).then(end), forward()]);
      }
      pairs.push({ r, ending, start, answer: { status: answer.status, body: answer.body }, forward: outcome, tookMs });
    }
    await mailSettled();

    const problems: string[] = [];
    const seen = { notSent: 0, sentThenTold: 0, forwardedThenEnded: 0, endingRefused: 0 };
    for (const [i, { r, ending, start, answer, forward, tookMs }] of pairs.entries()) {
      const say = (what: string) => problems.push(`pair ${i} (${ending}, ${start}, forward ${forward}, ending ${answer.status}): ${what}`);
      if (answer.status >= 500) say(`the ending answered ${answer.status} ${JSON.stringify(answer.body)}`);
      if (forward.startsWith('threw')) say(`the forward ${forward}`);
      // while the relay held the forward, the ending answered without waiting for it
      if (tookMs > 2_000) say(`the ending waited ${Math.round(tookMs)} ms on the relay`);
      const mails = mailsAbout(r);
      const row = await referralRow(r.id);
      const events = await eventsOf(r.id);
      const endedAt = events.find((e) => e.toStatus === 'cancelled' || e.toStatus === 'rerouted');
      const forwardedAt = events.find((e) => e.toStatus === 'forwarded');
      // a status never comes back from an end
      for (const e of events) if (['cancelled', 'rerouted'].includes(e.fromStatus ?? '') && e.toStatus !== e.fromStatus) say(`moved ${e.fromStatus} -> ${e.toStatus}`);
      if (mails.forward.length > 1 || mails.ended.length > 1) say(`sent twice: ${mails.forward.length} forward, ${mails.ended.length} ended`);
      if (mails.all.length !== mails.forward.length + mails.ended.length) say(`other mail about it: ${mails.all.map((m) => m.subject).join(' | ')}`);

      if (answer.status >= 400) {
        // refused, because the forward was recorded first: a re-route (a referral with its agency
        // is not re-routed), or a cancel that read it pending and found it forwarded (409 with
        // the fresh status, for the coordinator to decide again). A withdrawal is never refused.
        seen.endingRefused++;
        if (ending === 'withdrawal' || answer.status !== 409 || answer.body?.error?.details?.from !== 'forwarded') say(`refused ${JSON.stringify(answer.body)}`);
        if (row.status !== 'forwarded' || mails.forward.length !== 1 || mails.ended.length !== 0) say(`refused, yet ${row.status} with ${mails.forward.length} forward and ${mails.ended.length} ended mail(s)`);
        continue;
      }
      if (!endedAt || row.status !== (ending === 'reroute' ? 'rerouted' : 'cancelled')) {
        say(`answered ${answer.status}, yet the referral is ${row.status}`);
        continue;
      }
      if (mails.forward.length === 0) {
        // the mail never went: nothing recorded as with the agency, its forward mail unsent or never made
        seen.notSent++;
        if (mails.ended.length) say('told the agency of a referral it never had');
        if (row.forwardedAt !== null) say('forwarded_at set, yet nothing went');
        const n = await forwardNotification(r.id);
        if (n && (n.status !== 'failed' || !n.lastError?.startsWith('not sent: the referral was'))) say(`its forward mail is ${n.status} (${n.lastError})`);
        continue;
      }
      if (row.forwardedAt === null) say('the agency has the referral, yet forwarded_at is not set');
      if (endedAt.fromStatus === 'pending') {
        // it ended while its mail was on the way: the agency is told, after the referral itself
        seen.sentThenTold++;
        if (forwardedAt) say('recorded forwarded after it ended');
        const expected = ending === 'withdrawal' ? `Signpost referral ${r.reference}: consent withdrawn` : `Signpost referral ${r.reference}: cancelled, please do not act on it`;
        if (mails.ended.length !== 1 || mails.ended[0]!.subject !== expected) say(`the forward mail alone, or the wrong word: ${mails.ended.map((m) => m.subject).join(' | ')}`);
        else if (mails.ended[0]!.seq < mails.forward[0]!.seq) say('told of the end before it had the referral');
      } else {
        // the forward was recorded first, and the referral ended afterwards, with its agency
        seen.forwardedThenEnded++;
        if (!forwardedAt || forwardedAt.id > endedAt.id || endedAt.fromStatus !== 'forwarded') say(`ended from ${endedAt.fromStatus}`);
        // a withdrawal, or a coordinator's cancel, of a referral its agency has: the agency is told to stop
        if (ending === 'withdrawal' && mails.ended.map((m) => m.subject).join() !== `Signpost referral ${r.reference}: consent withdrawn`) say('withdrawn after the forward, and the agency not told');
        if (ending === 'cancel' && mails.ended.map((m) => m.subject).join() !== `Signpost referral ${r.reference}: cancelled, please stop work on it`) say('cancelled after the forward, and the agency not told');
        if (ending === 'reroute') say('re-routed after it reached its agency');
      }
    }
    await annotate(`outcomes: ${JSON.stringify(seen)}`);
    expect(problems).toEqual([]);
    // the race was run each way round: ended before the mail went, and while it was going
    expect(seen.notSent).toBeGreaterThan(0);
    expect(seen.sentThenTold).toBeGreaterThanOrEqual(PAIRS / 3);
    expect(seen.notSent + seen.sentThenTold + seen.forwardedThenEnded + seen.endingRefused).toBe(PAIRS);
  });
});
