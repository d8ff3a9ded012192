/**
 * A self-referral's personal data after the hub's decision, through HTTP against the real app,
 * Postgres and an SMTP sink: the confirmation mail's address (the person's own) follows the
 * decision (released: the person's record reaches it, so their export shows it and erasure
 * removes it; closed: removed at once, and a confirmation not yet sent is never sent, even when
 * the close comes in the middle of a send).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { bringDecidedItemsIntoLine } from '../migrations/2026_12_02_2100_self_referral_data.js';
import { DAY } from '../src/kernel/clock.js';
import { runRetention } from '../src/modules/people/erasure.service.js';
import { processRecords } from '../workers/records.js';
import { claimForSending, deliverNotification, sendClaimed } from '../src/modules/notifications/delivery.service.js';
import { createMailer, type Mailer } from '../src/platform/mail/transport.js';
import { apiClient } from './helpers/api.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeUser, seedChecklist, type TestUser } from './helpers/factories.js';
import { referenceOf, releaseSelfReferralForm, selfReferralForm, sendSelfReferral } from './helpers/self-referral.js';
import { settle, startTestSink, to, type SmtpSink } from './helpers/smtp-sink.js';
import { WebClient } from './helpers/web-client.js';

let ctx: TestContext;
let sink: SmtpSink;
let mailer: Mailer;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let coordinator: WebUser;
let coordinatorApi: TestUser;
let admin: TestUser;
let hub: WebClient;

beforeAll(async () => {
  sink = await startTestSink();
  ctx = await createTestContext({ SMTP_URL: sink.url, SELF_REFERRAL_PER_ADDRESS_PER_HOUR: '1000' });
  mailer = createMailer(ctx.env);
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  coordinator = await makeWebUser(ctx, 'coordinator');
  coordinatorApi = await makeUser(ctx, 'coordinator');
  admin = await makeUser(ctx, 'admin');
  hub = new WebClient(ctx.baseUrl);
  expect((await hub.signIn(coordinator.email, coordinator.password)).status).toBe(303);
});
afterAll(async () => {
  mailer?.close();
  await ctx?.close();
  await sink?.stop();
});

/** A self-referral from the public page with its own confirmation address; its row and its mail. */
async function selfRefer(yes: number[] = []) {
  const email = `self-${randomBytes(4).toString('hex')}@example.net`;
  const res = await sendSelfReferral(ctx.baseUrl, selfReferralForm(q, yes, { email }));
  expect(res.status).toBe(200);
  const item = await ctx.db.selectFrom('selfReferrals').selectAll().where('reference', '=', referenceOf(res.text)!).executeTakeFirstOrThrow();
  const mail = await ctx.db.selectFrom('notifications').selectAll().where('dedupeKey', '=', `self-referral:${item.id}`).executeTakeFirstOrThrow();
  expect(mail.recipient).toBe(email);
  return { item, mailId: mail.id, email };
}

const mailRow = (id: string) => ctx.db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const deliver = (id: string) => deliverNotification({ db: ctx.db, clock: ctx.clock, mailer }, id);

async function close(id: string, reason = 'could_not_reach') {
  const res = await hub.postWithCsrf(`/hub/triage/${id}/close`, `/hub/triage/${id}/close`, { reason });
  expect(res.status).toBe(303);
}

describe('the confirmation mail of a self-referral', () => {
  it('released: becomes mail of the person’s checklist, in their export, and erasure removes its address', async () => {
    const { item, mailId, email } = await selfRefer();
    expect(await deliver(mailId)).toEqual({ kind: 'sent' });
    expect(await sink.waitFor(1, { filter: to(email) })).toHaveLength(1);
    // every answer "no": the checklist closes at once, so the person may be erased
    const released = await releaseSelfReferralForm(hub, item.id, (p) => p.set('callNote', 'Spoke to Edna; she only wanted advice'));
    expect(released.status, released.text.slice(0, 500)).toBe(303);
    const sub = await ctx.db.selectFrom('submissions').select(['id', 'personId', 'status']).where('reference', '=', item.reference).executeTakeFirstOrThrow();
    expect(sub.status).toBe('no_needs_identified');
    expect(await mailRow(mailId)).toMatchObject({ submissionId: sub.id, recipient: email, status: 'sent' });

    const exported = await api.get(`/api/v1/people/${sub.personId}/export`, coordinatorApi.token);
    expect(exported.status).toBe(200);
    expect(exported.body.mail).toEqual([expect.objectContaining({ id: mailId, kind: 'self_referral_received', recipient: email })]);
    expect(exported.body.selfReferrals).toEqual([
      expect.objectContaining({ id: item.id, reference: item.reference, submissionId: sub.id, filledInBy: 'someone on their behalf', releasedBy: coordinator.name, callNote: 'Spoke to Edna; she only wanted advice' }),
    ]);

    // and on the printed copy
    const printed = await hub.get(`/hub/people/${sub.personId}/export`);
    expect(printed.status).toBe(200);
    expect(printed.text).toContain('Self-referrals');
    expect(printed.text).toContain('Spoke to Edna; she only wanted advice');

    const erased = await api.post(`/api/v1/people/${sub.personId}/erasure`, admin.token, { reason: 'The person asked us to erase their details' });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    const after = await mailRow(mailId);
    expect(after).toMatchObject({ recipient: '(address removed)', status: 'sent', submissionId: sub.id });
    expect(after.bodyText).toMatch(/^\(Removed/);
    expect(JSON.stringify(await ctx.db.selectFrom('notifications').selectAll().execute())).not.toContain(email);
    // the triage call's note went with the rest; the item's facts stay
    expect(await ctx.db.selectFrom('selfReferrals').selectAll().where('id', '=', item.id).executeTakeFirstOrThrow()).toMatchObject({ status: 'released', submissionId: sub.id, callNote: null, reference: item.reference });
  });

  it('closed after it was sent: its address is removed, and it stays sent', async () => {
    const { item, mailId, email } = await selfRefer([0]);
    expect(await deliver(mailId)).toEqual({ kind: 'sent' });
    await close(item.id);
    expect(await mailRow(mailId)).toMatchObject({ recipient: '(address removed)', status: 'sent', submissionId: null });
    expect(JSON.stringify(await ctx.db.selectFrom('notifications').selectAll().execute())).not.toContain(email);
  });

  it('closed before it was sent: its address is removed and it is never sent', async () => {
    const { item, mailId, email } = await selfRefer([0]);
    await close(item.id, 'not_genuine');
    expect(await mailRow(mailId)).toMatchObject({ recipient: '(address removed)', status: 'failed', lastError: 'not sent: the self-referral was closed first' });
    // the notify job, run late: nothing goes
    expect(await deliver(mailId)).toEqual({ kind: 'failed_before' });
    expect(await settle(sink, to(email))).toEqual([]);
    // the hub's mail page shows why, and no address
    const page = await hub.get('/hub/mail');
    expect(page.text).toContain('(address removed)');
    expect(page.text).not.toContain(email);
  });

  it('closed while it is being sent: the close waits for the send, then removes the address', async () => {
    const { item, mailId, email } = await selfRefer([0]);
    const csrf = WebClient.csrfOf((await hub.get(`/hub/triage/${item.id}/close`)).text);
    let closing: Promise<{ status: number }> | undefined;
    let closedMeanwhile: string | undefined;
    // a worker holds the row for its send (as delivery.service does), and the coordinator closes meanwhile
    await ctx.db.transaction().execute(async (trx) => {
      const n = await claimForSending(trx, mailId);
      if (!n || n === 'busy') throw new Error('expected to claim the mail');
      closing = hub.post(`/hub/triage/${item.id}/close`, { _csrf: csrf, reason: 'person_declined' });
      await new Promise((r) => setTimeout(r, 300));
      closedMeanwhile = (await ctx.db.selectFrom('selfReferrals').select('status').where('id', '=', item.id).executeTakeFirstOrThrow()).status;
      expect((await sendClaimed(trx, { db: ctx.db, clock: ctx.clock, mailer }, n)).ok).toBe(true);
    });
    expect((await closing!).status).toBe(303);
    // the close had not committed while the send held the row
    expect(closedMeanwhile).toBe('open');
    expect(await sink.waitFor(1, { filter: to(email) })).toHaveLength(1);
    expect(await mailRow(mailId)).toMatchObject({ recipient: '(address removed)', status: 'sent' });
  });

  it('of items decided before this rule: the migration links the released ones and removes the closed ones’ addresses', async () => {
    const released = await selfRefer();
    const closed = await selfRefer([0]);
    const queued = await selfRefer([0]);
    expect(await deliver(closed.mailId)).toEqual({ kind: 'sent' });
    expect((await releaseSelfReferralForm(hub, released.item.id)).status).toBe(303);
    await close(closed.item.id);
    await close(queued.item.id);
    // as the code before left them: linked to nothing, the address kept, the unsent one queued
    await sql`UPDATE notifications SET submission_id = NULL, recipient = ${released.email} WHERE id = ${released.mailId}::uuid`.execute(ctx.db);
    await sql`UPDATE notifications SET recipient = ${closed.email} WHERE id = ${closed.mailId}::uuid`.execute(ctx.db);
    await sql`UPDATE notifications SET recipient = ${queued.email}, status = 'queued', last_error = NULL WHERE id = ${queued.mailId}::uuid`.execute(ctx.db);

    await bringDecidedItemsIntoLine(ctx.db);
    const sub = await ctx.db.selectFrom('submissions').select('id').where('reference', '=', released.item.reference).executeTakeFirstOrThrow();
    expect(await mailRow(released.mailId)).toMatchObject({ submissionId: sub.id, recipient: released.email });
    expect(await mailRow(closed.mailId)).toMatchObject({ recipient: '(address removed)', status: 'sent' });
    expect(await mailRow(queued.mailId)).toMatchObject({ recipient: '(address removed)', status: 'failed', lastError: 'not sent: the self-referral was closed first' });
  });
});

describe('the notes of a decided self-referral', () => {
  it('closed: retention removes the note once RETENTION_MONTHS_AFTER_CLOSE have passed since the close, and no sooner; reason and dates stay', async () => {
    const months = ctx.env.RETENTION_MONTHS_AFTER_CLOSE;
    const closeWith = async (note: string) => {
      const { item } = await selfRefer([0]);
      // a session of its own (the clock moves past a session's life between the two)
      const c = new WebClient(ctx.baseUrl);
      expect((await c.signIn(coordinator.email, coordinator.password)).status).toBe(303);
      const res = await c.postWithCsrf(`/hub/triage/${item.id}/close`, `/hub/triage/${item.id}/close`, { reason: 'other', note });
      expect(res.status).toBe(303);
      return item.id;
    };
    const old = await closeWith('Her neighbour sent it; Edna at 4 Mill Lane says she is fine');
    ctx.clock.advance(40 * DAY);
    const recent = await closeWith('Duplicate of the one her son sent');
    const open = (await selfRefer([0])).item.id;
    const row = (id: string) => ctx.db.selectFrom('selfReferrals').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const closedAt = (await row(old)).decidedAt!;

    // a day short of the period after the first close: nothing is due
    const due = new Date(closedAt);
    due.setUTCMonth(due.getUTCMonth() + months);
    ctx.clock.set(new Date(due.getTime() - DAY));
    expect(await runRetention(ctx, { dryRun: true })).toMatchObject({ closedSelfReferrals: 0 });
    expect((await runRetention(ctx, { dryRun: false })).closedSelfReferrals).toBe(0);
    expect((await row(old)).closeNote).toContain('Mill Lane');

    ctx.clock.set(new Date(due.getTime() + DAY));
    expect(await runRetention(ctx, { dryRun: true })).toMatchObject({ closedSelfReferrals: 1 });
    // the scheduled job does the work
    const ran = (await processRecords({ id: 'test', name: 'retention-run', data: {} }, ctx)) as Awaited<ReturnType<typeof runRetention>>;
    expect(ran.closedSelfReferrals).toBe(1);
    expect(await row(old)).toMatchObject({ status: 'closed', closeReason: 'other', closeNote: null, callNote: null, decidedBy: coordinator.id, decidedAt: closedAt });
    expect((await row(recent)).closeNote).toBe('Duplicate of the one her son sent');
    expect((await row(open)).body).not.toBeNull();
    const audits = await ctx.db.selectFrom('auditLog').select(['action', 'actorLabel']).where('entity', '=', 'self_referral').where('entityId', '=', old).where('action', '=', 'self_referral.retention_erase').execute();
    expect(audits).toEqual([{ action: 'self_referral.retention_erase', actorLabel: 'Signpost hub' }]);
    // nothing left to do: a second run removes nothing
    expect((await runRetention(ctx, { dryRun: false })).closedSelfReferrals).toBe(0);
  });

  it('the retention run reads closed items with a note through their partial index', async () => {
    // (a table this small is read whole when allowed; with sequential scans off, the plan shows the index can serve the predicate)
    const plan = await ctx.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL enable_seqscan = off`.execute(trx);
      const { rows } = await sql<{ 'QUERY PLAN': string }>`EXPLAIN UPDATE self_referrals SET call_note = NULL, close_note = NULL WHERE id IN (SELECT id FROM self_referrals WHERE status = 'closed' AND (call_note IS NOT NULL OR close_note IS NOT NULL) AND decided_at < now() ORDER BY decided_at LIMIT 100 FOR UPDATE SKIP LOCKED)`.execute(trx);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('self_referrals_closed_notes_idx');
  });
});
