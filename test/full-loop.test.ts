/**
 * The hub's whole promise end to end (issue 3, item 5), with the real Postgres, Redis, the
 * smtp-server sink and the real forward and notify workers in this process; time moves only by
 * the ManualClock. A link worker submits, each agency's mail arrives (in each template), the
 * agencies acknowledge, record contact and complete, the follow-up appears at day 14 and not
 * before, the coordinator records it, the submission closes and the submitter's closing mail
 * arrives. Then the failure side: a permanent SMTP refusal (550) becomes a T1 breach that the
 * sweep records after 24 h and that the SLA API shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR } from '../src/kernel/clock.js';
import { londonDay, londonMoment } from '../src/kernel/uk-dates.js';
import { runSweep } from '../src/modules/sla/sla.service.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { apiClient } from './helpers/api.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { moveThrough } from './helpers/referrals.js';
import { settle, startTestSink, subjectHas, to, type SinkMessage, type SmtpSink } from './helpers/smtp-sink.js';
import { startTestWorkers, waitUntil, type TestWorkers } from './helpers/workers.js';

const PUBLIC_URL = 'https://signpost.test';
const MINUTE = 60_000;
const person = {
  givenName: 'Winifred',
  familyName: 'Loop-Test',
  dateOfBirth: '1941-08-23',
  postcode: 'SE1 7PB',
  phone: '020 7946 0555',
  email: 'winifred.test@example.net',
  addressLine: '7 Loop Lane',
  preferredContact: 'phone',
  language: 'Welsh',
  accessNeeds: 'Uses a wheelchair',
};
const PERSONAL = [person.givenName, person.familyName, person.phone, person.email, person.addressLine, person.postcode, person.dateOfBirth, person.accessNeeds];

type Checklist = Awaited<ReturnType<typeof seedChecklist>>;
type Referral = { id: string; reference: string; agencyId: string; questionIds: string[]; contactDueAt: string };

let ctx: TestContext;
let sink: SmtpSink;
let api: ReturnType<typeof apiClient>;
let q: Checklist;
let linkWorker: TestUser;
let coordinator: TestUser;
/** two questions flagging two different agencies (the full loop), and a third agency (the 550) */
let loopQuestions: Checklist['questions'];
let refusedQuestion: Checklist['questions'][number];

beforeAll(async () => {
  sink = await startTestSink();
  ctx = await createTestContext({ SMTP_URL: sink.url, PUBLIC_URL });
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  linkWorker = await makeUser(ctx, 'link_worker');
  coordinator = await makeUser(ctx, 'coordinator');
  const byAgency = new Map<string, Checklist['questions'][number]>();
  for (const question of q.questions) if (!byAgency.has(question.agencyId)) byAgency.set(question.agencyId, question);
  [loopQuestions, refusedQuestion] = [[...byAgency.values()].slice(0, 2), [...byAgency.values()][2]!];
});
afterAll(async () => {
  await ctx?.close();
  await sink?.stop();
});

const emailOf = async (userId: string) => (await ctx.db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirstOrThrow()).email;
const agencyOf = (id: string) => ctx.db.selectFrom('agencies').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const referralRow = (id: string) => ctx.db.selectFrom('referrals').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const dueIds = async () => {
  const res = await api.get('/api/v1/follow-ups?state=due', coordinator.token);
  expect(res.status).toBe(200);
  return res.body.items as { id: string; submissionId: string }[];
};

describe.each(['full', 'minimal'] as const)('the full loop, FORWARD_EMAIL_CONTENT=%s', (content) => {
  let workers: TestWorkers;
  beforeAll(async () => {
    workers = await startTestWorkers(ctx, ['forward', 'notify'], { env: { FORWARD_EMAIL_CONTENT: content } });
  });
  afterAll(async () => workers?.stop());

  it('submit, forward, contact, follow up at day 14, complete, close, tell the submitter', async () => {
    // 1. the link worker submits, "yes" for two agencies
    const submitted = await api.post('/api/v1/submissions', linkWorker.token, submissionBody(q, loopQuestions.map((x) => x.id), { person }));
    expect(submitted.status).toBe(201);
    const submissionId = submitted.body.id as string;
    const referrals = submitted.body.referrals as Referral[];
    expect(referrals.map((r) => r.agencyId).sort()).toEqual(loopQuestions.map((x) => x.agencyId).sort());
    const forwardedAt = ctx.clock.now();

    // 2. each agency's mail arrives at the sink, with the template's content, once, to that agency only
    for (const ref of referrals) {
      const agency = await agencyOf(ref.agencyId);
      const question = loopQuestions.find((x) => x.agencyId === ref.agencyId)!;
      const [mail] = await sink.waitFor(1, { filter: subjectHas(ref.reference) });
      expect(mail!.envelope.to).toEqual([agency.email]);
      expect(mail!.text).toContain(question.text);
      if (content === 'full') {
        for (const value of PERSONAL) expect(mail!.text).toContain(value);
      } else {
        for (const value of PERSONAL) expect(mail!.raw).not.toContain(value);
        expect(mail!.text).toContain(ref.reference);
        expect(mail!.text).toMatch(new RegExp(`${PUBLIC_URL}/a/[\\w-]{43}`));
      }
      // the other agency's needs are not in this agency's mail
      for (const other of loopQuestions.filter((x) => x.agencyId !== ref.agencyId)) expect(mail!.text).not.toContain(other.text);
    }
    for (const ref of referrals) {
      await waitUntil(async () => (await referralRow(ref.id)).status === 'forwarded');
      expect(await settle(sink, subjectHas(ref.reference), 200)).toHaveLength(1);
    }

    // 3. each agency acknowledges and records contact, through the API, as its own user
    const agencyUsers = new Map<string, TestUser>();
    for (const ref of referrals) {
      const user = await makeUser(ctx, 'agency', ref.agencyId);
      agencyUsers.set(ref.id, user);
      const res = await moveThrough(api, user.token, ref.id, [{ to: 'acknowledged' }, { to: 'contacted', note: 'phoned, appointment booked' }]);
      expect(res.body.status).toBe('contacted');
      expect(res.body.contactedAt).toBe(ctx.clock.now().toISOString());
    }

    // 4. the follow-up is due on the working day after the last agency's contact date (the
    // person's), by closing time, and on the worklist from the start of that day, not before
    const followUp = await ctx.db.selectFrom('followUps').selectAll().where('submissionId', '=', submissionId).executeTakeFirstOrThrow();
    const lastContact = Math.max(...referrals.map((r) => new Date(r.contactDueAt).getTime()));
    expect(followUp.dueAt.getTime()).toBeGreaterThan(lastContact);
    expect(followUp.dueAt.getTime()).toBeGreaterThan(forwardedAt.getTime() + 14 * DAY);
    const callDay = londonMoment(londonDay(followUp.dueAt), 0);
    ctx.clock.set(new Date(callDay.getTime() - MINUTE));
    expect((await dueIds()).map((f) => f.id)).not.toContain(followUp.id);
    ctx.clock.set(callDay);
    expect((await dueIds()).find((f) => f.id === followUp.id)?.submissionId).toBe(submissionId);

    // 5. the agencies complete their referrals; the submission stays open until the follow-up is recorded
    for (const ref of referrals) {
      const res = await moveThrough(api, agencyUsers.get(ref.id)!.token, ref.id, [{ to: 'completed', outcome: 'service_provided' }]);
      expect(res.body.status).toBe('completed');
    }
    expect((await api.get(`/api/v1/submissions/${submissionId}`, linkWorker.token)).body.status).toBe('open');

    // 6. the coordinator records the follow-up call
    const [first, second] = referrals;
    const recorded = await api.post(`/api/v1/follow-ups/${followUp.id}`, coordinator.token, {
      contactMade: true,
      note: 'both services helped',
      outcomes: [
        { referralId: first!.id, needsMet: 'yes' },
        { referralId: second!.id, needsMet: 'partly' },
      ],
    });
    expect(recorded.status).toBe(200);
    expect(recorded.body).toMatchObject({ status: 'completed', submissionClosed: true });

    // 7. the submitter sees it closed, with each referral's status
    const view = await api.get(`/api/v1/submissions/${submissionId}`, linkWorker.token);
    expect(view.status).toBe(200);
    expect(view.body.status).toBe('closed');
    expect(view.body.referrals.map((r: { status: string }) => r.status)).toEqual(['completed', 'completed']);
    expect((await dueIds()).map((f) => f.id)).not.toContain(followUp.id);

    // 8. the submitter's closing mail arrives, listing each referral and what the follow-up found
    const submitterEmail = await emailOf(linkWorker.id);
    const closingMail = (m: SinkMessage) => to(submitterEmail)(m) && m.subject.includes(submitted.body.reference);
    const [closing] = await sink.waitFor(1, { filter: closingMail });
    expect(closing!.subject).toContain('closed');
    for (const ref of referrals) {
      const agency = await agencyOf(ref.agencyId);
      const lines = closing!.text.split('\n');
      const at = lines.findIndex((l) => l.includes(ref.reference));
      const line = lines[at];
      expect(line).toContain('completed');
      expect(lines[at + 1]?.trimEnd()).toBe(`  Agency: ${agency.name}`);
      expect(line).toContain(ref.id === first!.id ? 'needs met at follow-up: yes' : 'needs met at follow-up: partly');
    }
    // the closing mail names no personal details of the person
    for (const value of PERSONAL) expect(closing!.raw).not.toContain(value);
    expect(await settle(sink, closingMail, 200)).toHaveLength(1);
  });
});

describe('a permanent SMTP refusal (550)', () => {
  let workers: TestWorkers;
  beforeAll(async () => {
    workers = await startTestWorkers(ctx, ['forward', 'notify']);
  });
  afterAll(async () => {
    await workers?.stop();
    sink.accept();
  });

  it('leaves the referral forward_failed, alerts coordinators, and the sweep records a T1 breach after 24 h', async () => {
    const agency = await agencyOf(refusedQuestion.agencyId);
    sink.failWith({ code: 550, recipients: [agency.email] });
    const submitted = await api.post('/api/v1/submissions', linkWorker.token, submissionBody(q, [refusedQuestion.id]));
    expect(submitted.status).toBe(201);
    const ref = submitted.body.referrals[0] as Referral & { forwardDueAt: string };
    expect(new Date(ref.forwardDueAt).getTime()).toBe(ctx.clock.now().getTime() + 24 * HOUR);

    // refused once, not retried; the coordinators are told
    await sink.waitFor(1, { filter: (m) => to(ctx.env.COORDINATOR_ALERT_EMAIL)(m) && m.subject.includes(ref.reference) });
    const failed = await waitUntil(async () => {
      const r = await referralRow(ref.id);
      return r.status === 'forward_failed' && r;
    });
    expect(failed.forwardAttempts).toBe(1);
    expect(sink.rejections.filter((x) => x.envelope.to.includes(agency.email)).map((x) => x.code)).toEqual([550]);
    expect(sink.messages.filter(to(agency.email))).toEqual([]);

    const breaches = async () => {
      const res = await api.get(`/api/v1/sla/breaches?open=true&clock=forward&agencyId=${agency.id}`, coordinator.token);
      expect(res.status).toBe(200);
      return (res.body.items as { referralId: string }[]).filter((b) => b.referralId === ref.id);
    };
    // a minute before T1 runs out: no breach; at T1: one, and a second sweep adds nothing
    ctx.clock.set(new Date(new Date(ref.forwardDueAt).getTime() - MINUTE));
    expect((await runSweep(ctx)).skipped).toBe(false);
    expect(await breaches()).toEqual([]);
    ctx.clock.set(ref.forwardDueAt);
    expect((await runSweep(ctx)).breaches.forward).toBe(1);
    expect((await runSweep(ctx)).breaches.forward).toBe(0);
    const [breach] = await breaches();
    expect(breach).toMatchObject({ clock: 'forward', referralReference: ref.reference, referralStatus: 'forward_failed', agencyName: agency.name, resolvedAt: null });
    expect(new Date((breach as unknown as { dueAt: string }).dueAt).toISOString()).toBe(new Date(ref.forwardDueAt).toISOString());
  });
});
