/**
 * A name with line breaks cannot forge a line in the hub's mail (issue 19, point 10). The names
 * are written straight into Postgres, as a row from before the input rule (or from a path that
 * skipped it) would be: an agency's name, a user's name and a person's family name, each holding
 * a line feed, a carriage return, U+2028 and U+0085 before words of the hub's own kind. Every
 * mail is read as it arrived at the SMTP sink, sent by the real workers: the forward, the
 * coordinators' alert, the submitter's closing mail, the agency's reminder and its consent
 * withdrawal notice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../src/kernel/clock.js';
import { sendContactReminders } from '../src/modules/sla/reminder.service.js';
import { apiClient } from './helpers/api.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { startTestSink, to, type SinkMessage, type SmtpSink } from './helpers/smtp-sink.js';
import { startTestWorkers, type TestWorkers } from './helpers/workers.js';

const forged = (n: number) =>
  `\nOpen the referral here: http://evil.example/${n}/lf\r\nBcc: thief@evil.example\rOpen the referral here: http://evil.example/${n}/cr\u2028Open the referral here: http://evil.example/${n}/ls\u0085Open the referral here: http://evil.example/${n}/nel`;
const EVIL_AGENCY = `Fire${forged(1)}`;
const EVIL_PAUSED = `Advice${forged(2)}`;
const EVIL_USER = `Sam${forged(3)}`;
const EVIL_PERSON = `Smith${forged(4)}`;

/** The lines the hub starts with its own words, before a value someone typed. */
const LABELLED = /^(Hello |Alert: | {2}Agency: | {2}Name: )/;

/** No line of the mail (split wherever a reader might break one) starts with forged words. */
function expectNoForgedLine(m: SinkMessage) {
  const text = m.text ?? '';
  // the typed value is in the mail: the test is about where it is
  expect(text, m.subject).toContain('evil.example');
  const lines = text.split(/\r\n|[\n\r\u2028\u2029\u0085]/);
  expect(lines.filter((l) => /^\s*(Open the referral here|Bcc:)/i.test(l)), m.subject).toEqual([]);
  for (const l of lines.filter((x) => x.includes('evil.example'))) expect(l, m.subject).toMatch(LABELLED);
  // the subject is one header line, and the header has no line of the typed value's
  expect(m.subject).not.toMatch(/[\r\n\u2028\u2029\u0085]/);
  const header = m.raw.slice(0, m.raw.search(/\r?\n\r?\n/));
  expect(header.split(/\r?\n/).filter((l) => /^(Open the referral|Bcc)/i.test(l)), m.subject).toEqual([]);
}

let ctx: TestContext;
let sink: SmtpSink;
let api: ReturnType<typeof apiClient>;
let workers: TestWorkers | undefined;
let worker: TestUser;
let coordinator: TestUser;

beforeAll(async () => {
  sink = await startTestSink();
  ctx = await createTestContext({ SMTP_URL: sink.url, PUBLIC_URL: 'https://signpost.test', FORWARD_EMAIL_CONTENT: 'full' });
  api = apiClient(ctx.baseUrl);
  worker = await makeUser(ctx, 'link_worker');
  coordinator = await makeUser(ctx, 'coordinator');
});
afterAll(async () => {
  await workers?.stop();
  await ctx?.close();
  await sink?.stop();
});

describe('names with line breaks in the mail the hub sends', () => {
  it('forge no line in the forward, the alert, the closing mail, the reminder or the withdrawal notice', async () => {
    const q = await seedChecklist(ctx);
    const fireQ = q.questions[0]!;
    const adviceQ = q.questions.find((x) => x.agencyId !== fireQ.agencyId)!;
    const submit = async (questionId: string) => {
      const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [questionId]));
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body as { id: string; reference: string; referrals: { id: string; reference: string; contactDueAt: string }[] };
    };
    const sent = await submit(fireQ.id);
    const held = await submit(adviceQ.id);

    // rows written past the input rule
    await ctx.db.updateTable('agencies').set({ name: EVIL_AGENCY }).where('id', '=', fireQ.agencyId).execute();
    await ctx.db.updateTable('agencies').set({ name: EVIL_PAUSED, status: 'paused' }).where('id', '=', adviceQ.agencyId).execute();
    await ctx.db.updateTable('users').set({ name: EVIL_USER }).where('id', '=', worker.id).execute();
    const { personId } = await ctx.db.selectFrom('submissions').select('personId').where('id', '=', sent.id).executeTakeFirstOrThrow();
    await ctx.db.updateTable('people').set({ familyName: EVIL_PERSON }).where('id', '=', personId).execute();
    const [fireEmail, submitterEmail] = await Promise.all([
      ctx.db.selectFrom('agencies').select('email').where('id', '=', fireQ.agencyId).executeTakeFirstOrThrow(),
      ctx.db.selectFrom('users').select('email').where('id', '=', worker.id).executeTakeFirstOrThrow(),
    ]);
    const mailTo = (address: string, words: string) => (m: SinkMessage) => to(address)(m) && m.subject.includes(words);

    workers = await startTestWorkers(ctx, ['forward', 'notify']);
    // the forward (the full content: the agency's and the person's names), and the alert for the paused agency
    const [forward] = await sink.waitFor(1, { filter: mailTo(fireEmail.email, sent.referrals[0]!.reference), timeoutMs: 20_000 });
    const [alert] = await sink.waitFor(1, { filter: mailTo(ctx.env.COORDINATOR_ALERT_EMAIL, held.referrals[0]!.reference), timeoutMs: 20_000 });

    // the held referral cancelled: the submitter's closing mail names them and the agency
    const cancel = await api.post(`/api/v1/referrals/${held.referrals[0]!.id}/transitions`, coordinator.token, { to: 'cancelled', reason: 'entered in error' });
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
    const [closing] = await sink.waitFor(1, { filter: mailTo(submitterEmail.email, `${held.reference}: closed`), timeoutMs: 20_000 });

    // the agency's reminder, close to its contact date
    ctx.clock.set(new Date(new Date(sent.referrals[0]!.contactDueAt).getTime() - 2 * DAY));
    await sendContactReminders(ctx);
    const [reminder] = await sink.waitFor(1, { filter: mailTo(fireEmail.email, 'awaiting contact'), timeoutMs: 20_000 });

    // the person withdraws consent: the agency is told
    const withdrawn = await api.post(`/api/v1/people/${personId}/consent-withdrawals`, coordinator.token, { recordedAt: ctx.clock.now().toISOString() });
    expect(withdrawn.status, JSON.stringify(withdrawn.body)).toBe(201);
    const [notice] = await sink.waitFor(1, { filter: mailTo(fireEmail.email, 'consent withdrawn'), timeoutMs: 20_000 });

    for (const m of [forward!, alert!, closing!, reminder!, notice!]) expectNoForgedLine(m);
    // the values are still there, each on the line of its label
    expect(closing!.text).toMatch(/^ {2}Agency: Advice Open the referral here: http:\/\/evil\.example\/2\/lf Bcc: /m);
    expect(alert!.text).toMatch(/^Alert: Referral \S+ is waiting: Advice Open the referral here: /m);
  });
});
