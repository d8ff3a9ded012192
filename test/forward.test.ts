/**
 * The forward worker against the real Postgres, Redis and an SMTP sink: the agency's mail, in
 * each template, and what forwarding records (status, contact clock, follow-up, events).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWebUser } from './helpers/browser.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { apiClient } from './helpers/api.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { startTestSink, to, settle, type SmtpSink } from './helpers/smtp-sink.js';
import { startTestWorkers, waitUntil, type TestWorkers } from './helpers/workers.js';
import { lettersOf } from './helpers/people.js';

let ctx: TestContext;
let sink: SmtpSink;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let linkWorker: TestUser;

const person = {
  givenName: 'Edith',
  familyName: 'Marlowe',
  dateOfBirth: '1939-02-11',
  postcode: 'SE1 7PB',
  phone: '020 7946 0999',
  email: 'edith.test@example.net',
  addressLine: '12 Test Terrace',
  preferredContact: 'phone',
  language: 'Polish',
  accessNeeds: 'Hard of hearing: please speak slowly',
};
const PERSONAL = [person.givenName, 'Marlowe', person.phone, person.email, person.addressLine, person.postcode, person.dateOfBirth, person.language, person.accessNeeds];

beforeAll(async () => {
  sink = await startTestSink();
  ctx = await createTestContext({ SMTP_URL: sink.url, PUBLIC_URL: 'https://signpost.test' });
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  linkWorker = await makeUser(ctx, 'link_worker');
});
afterAll(async () => {
  await ctx?.close();
  await sink?.stop();
});

const question = (fragment: string) => q.questions.find((x) => x.text.includes(fragment))!;

// each checklist another person (one person has one live referral per agency): the same details
// but the family name's last letters
let people = 0;
async function submit(yes: string[]) {
  const someone = { ...person, familyName: `Marlowe-${lettersOf(people++)}` };
  const res = await api.post('/api/v1/submissions', linkWorker.token, submissionBody(q, yes, { person: someone }));
  expect(res.status).toBe(201);
  return res.body as { id: string; reference: string; referrals: { id: string; reference: string; agencyId: string; contactDueAt: string }[] };
}

async function agencyOf(id: string) {
  return ctx.db.selectFrom('agencies').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

describe('forward worker, full template', () => {
  let workers: TestWorkers;
  beforeAll(async () => {
    workers = await startTestWorkers(ctx, ['forward', 'notify'], { env: { FORWARD_EMAIL_CONTENT: 'full' } });
  });
  afterAll(async () => workers?.stop());

  it('mails the agency the needs and the person’s details, and records the forward', async () => {
    const benefits = question('benefits check');
    const debts = question('debts');
    const s = await submit([benefits.id, debts.id]);
    const ref = s.referrals[0]!;
    const agency = await agencyOf(ref.agencyId);
    expect(agency.contactDays).toBe(10); // the advice team's own T2, not the default 14

    const [mail] = await sink.waitFor(1, { filter: to(agency.email) });
    expect(mail!.subject).toContain(ref.reference);
    expect(mail!.messageId).toBe(`<forward-${ref.id}@signpost.example.org>`);
    expect(mail!.headers['reply-to']).toBe(ctx.env.MAIL_REPLY_TO);
    expect(mail!.text).toContain(benefits.text);
    expect(mail!.text).toContain(debts.text);
    for (const value of PERSONAL) expect(mail!.text).toContain(value);
    expect(mail!.text).toContain('Prefers to be contacted: by phone');

    const now = ctx.clock.now();
    const row = await waitUntil(() =>
      ctx.db.selectFrom('referrals').selectAll().where('id', '=', ref.id).where('status', '=', 'forwarded').executeTakeFirst(),
    );
    expect(row.forwardedAt).toEqual(now);
    // the promise made at intake: the 24 hours end on Tuesday 6 January, + the advice team's 10
    // days, to the end of Friday 16 January; the mail gives the agency that date
    expect(row.contactDueAt!.toISOString()).toBe('2026-01-17T00:00:00.000Z');
    expect(row.contactDueAt!.toISOString()).toBe(ref.contactDueAt);
    expect(mail!.text).toContain('Please contact them by Friday 16 January 2026');
    expect(row.forwardMessageId).toBe(mail!.messageId);
    expect(row.forwardAttempts).toBe(1);
    // the hub's call: the working day after the contact deadline (Monday 19 January), by 17:00
    expect(row.followUpDueAt!.toISOString()).toBe('2026-01-19T17:00:00.000Z');

    const events = await ctx.db.selectFrom('referralEvents').selectAll().where('referralId', '=', ref.id).orderBy('at').orderBy('id').execute();
    expect(events.map((e) => [e.fromStatus, e.toStatus, e.actorLabel])).toEqual([
      [null, 'pending', linkWorker.name],
      ['pending', 'forwarded', 'Signpost hub'],
    ]);
    const n = await ctx.db.selectFrom('notifications').selectAll().where('dedupeKey', '=', `forward:${ref.id}`).executeTakeFirstOrThrow();
    expect([n.kind, n.status, n.attempts, n.messageId, n.recipient]).toEqual(['referral_forward', 'sent', 1, mail!.messageId, agency.email]);

    // the follow-up: a row due after the contact deadline, and a delayed job in Redis for that moment
    const fu = await ctx.db.selectFrom('followUps').selectAll().where('submissionId', '=', s.id).executeTakeFirstOrThrow();
    expect(fu.status).toBe('scheduled');
    expect(fu.dueAt.toISOString()).toBe('2026-01-19T17:00:00.000Z');
    const job = await waitUntil(() => ctx.jobs.queue('follow-up').getJob(`follow-up-${fu.id}`));
    expect(await job.getState()).toBe('delayed');
    // timed for the start of the call's day (midnight, Monday 19 January)
    expect(job.opts.delay).toBe(new Date('2026-01-19T00:00:00Z').getTime() - now.getTime());
    // ids only: the follow-up and the request that caused it
    expect(job.data).toEqual({ followUpId: fu.id, requestId: expect.any(String) });
  });

  it('forwards each agency’s referral once, even when the job is enqueued again', async () => {
    const fire = question('fire safety visit');
    const s = await submit([fire.id]);
    const ref = s.referrals[0]!;
    const agency = await agencyOf(ref.agencyId);
    await sink.waitFor(1, { filter: (m) => m.subject.includes(ref.reference) });
    await waitUntil(() => ctx.db.selectFrom('referrals').select('id').where('id', '=', ref.id).where('status', '=', 'forwarded').executeTakeFirst());

    // a second job for the same referral (as the reconciliation sweep might add): no second mail
    const forwardQueue = ctx.jobs.queue('forward');
    await forwardQueue.add('forward-referral', { referralId: ref.id }, { jobId: `forward-${ref.id}-again` });
    await waitUntil(async () => (await forwardQueue.getJobState(`forward-${ref.id}-again`)) === 'completed');
    const mails = await settle(sink, (m) => m.subject.includes(ref.reference));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.envelope.to).toEqual([agency.email]);
    const row = await ctx.db.selectFrom('referrals').select(['forwardAttempts', 'status']).where('id', '=', ref.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ forwardAttempts: 1, status: 'forwarded' });
  });
});

describe('forward worker, minimal template', () => {
  let workers: TestWorkers;
  beforeAll(async () => {
    workers = await startTestWorkers(ctx, ['forward'], { env: { FORWARD_EMAIL_CONTENT: 'minimal' } });
  });
  afterAll(async () => workers?.stop());

  it('mails the reference, the needs and a link, and none of the person’s details', async () => {
    const fire = question('fire safety visit');
    const s = await submit([fire.id]);
    const ref = s.referrals[0]!;
    const [mail] = await sink.waitFor(1, { filter: (m) => m.subject.includes(ref.reference) });
    expect(mail!.text).toContain(ref.reference);
    expect(mail!.text).toContain(fire.text);
    // an agency without Signpost accounts gets one way in: the signed link, never a sign-in page
    const links = mail!.text.match(/https:\/\/\S+/g) ?? [];
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^https:\/\/signpost\.test\/a\/[\w-]{43}$/);
    // the hub as the agency can reach it
    expect(mail!.text).toContain(`${ctx.env.HUB_NAME}\nPhone ${ctx.env.HUB_PHONE} (${ctx.env.HUB_HOURS})`);
    for (const value of PERSONAL) expect(mail!.raw).not.toContain(value);
    const row = await waitUntil(() =>
      ctx.db.selectFrom('referrals').select(['status', 'contactDueAt', 'forwardedAt']).where('id', '=', ref.id).where('status', '=', 'forwarded').executeTakeFirst(),
    );
    // the fire service's 14 days from the day the 24 hours end (6 January), to the end of the 20th
    expect(row.contactDueAt!.toISOString()).toBe('2026-01-21T00:00:00.000Z');
    expect(mail!.text).toContain('Please contact them by Tuesday 20 January 2026');
  });

  it('tells an agency whose staff have accounts to sign in, and that the link works without one', async () => {
    const q2 = question('lonely');
    await makeWebUser(ctx, 'agency', q2.agencyId);
    const s = await submit([q2.id]);
    const ref = s.referrals[0]!;
    const [mail] = await sink.waitFor(1, { filter: (m) => m.subject.includes(ref.reference) });
    expect(mail!.text).toContain(`If you have a Signpost account, sign in and open ${ref.reference} from your referrals: https://signpost.test/agency`);
    expect(mail!.text).toMatch(/\nIf you do not, use this link instead\.\nOpen it here \(no password needed; [^)]*\):\nhttps:\/\/signpost\.test\/a\/[\w-]{43}\n/);
  });

  it('carries a signed link for the agency that is stored only as a hash, never in the mail copy', async () => {
    const s = await submit([question('lonely').id]);
    const ref = s.referrals[0]!;
    const [mail] = await sink.waitFor(1, { filter: (m) => m.subject.includes(ref.reference) });
    const token = /https:\/\/signpost\.test\/a\/([A-Za-z0-9_-]+)/.exec(mail!.text)?.[1];
    expect(token).toBeDefined();
    const sent = await waitUntil(() =>
      ctx.db.selectFrom('notifications').select(['bodyText', 'status']).where('referralId', '=', ref.id).where('status', '=', 'sent').executeTakeFirst(),
    );
    expect(sent.bodyText).not.toContain(token);
    expect(sent.bodyText).toContain('[agency link]');
    const { createHash } = await import('node:crypto');
    const links = await ctx.db.selectFrom('agencyLinks').select('tokenHash').where('referralId', '=', ref.id).execute();
    expect(links.map((l) => Buffer.from(l.tokenHash).toString('hex'))).toContain(createHash('sha256').update(token!).digest('hex'));
  });
});
