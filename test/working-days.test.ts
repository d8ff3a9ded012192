/**
 * Working-day clocks end to end, against the real Postgres and an SMTP sink: the hub forwards
 * "by the end of the next working day" (FORWARD_CLOCK=next_working_day), one agency counts its
 * contact days as working days, and the hub's call falls due the working day after the
 * agency's contact deadline (the promise, src/kernel/promise.ts). A checklist received (by the injected clock) on the Friday
 * before the August bank holiday Monday, and deadlines across the October clock change. Then
 * the calendar import (good file, bad files, a refresh the running process picks up), and the
 * warnings on the dashboard, in the API and in the agency's reminder.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from './helpers/cli.js';
import { HOUR } from '../src/kernel/clock.js';
import { createMailer, type Mailer } from '../src/platform/mail/transport.js';
import { CALENDAR_CACHE_TTL_MS } from '../src/modules/clocks/holiday-calendar.js';
import { forwardReferral } from '../src/modules/forwarding/forward.service.js';
import { sendContactReminders } from '../src/modules/sla/reminder.service.js';
import { runSweep } from '../src/modules/sla/sla.service.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import { submissionBody } from './helpers/factories.js';
import { markForwarded } from './helpers/referrals.js';
import { startTestSink, to, type SmtpSink } from './helpers/smtp-sink.js';
import { WebClient } from './helpers/web-client.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import type { TestContext } from './helpers/context.js';
import type { TestUser } from './helpers/factories.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let coordinator: TestUser;
let sink: SmtpSink;
let mailer: Mailer;
let web: WebUser;
// the advice agency counts 10 working days; the fire service keeps 14 calendar days
let advice: { questionId: string; agencyId: string; email: string };
let fire: { questionId: string; agencyId: string; email: string };

beforeAll(async () => {
  sink = await startTestSink();
  ({ ctx, api, q, coordinator } = await createWorld(
    { coordinator: 'coordinator' },
    { SMTP_URL: sink.url, FORWARD_CLOCK: 'next_working_day', SLA_WARN_WITHIN_HOURS: '30' },
  ));
  mailer = createMailer(ctx.env);
  web = await makeWebUser(ctx, 'coordinator');
  const agencies = await ctx.db.selectFrom('agencies').select(['id', 'email']).execute();
  const pick = (i: number) => {
    const question = q.questions[i]!;
    return { questionId: question.id, agencyId: question.agencyId, email: agencies.find((a) => a.id === question.agencyId)!.email };
  };
  fire = pick(0);
  advice = pick(15);
  const res = await api.patch(`/api/v1/agencies/${advice.agencyId}`, coordinator.token, { contactDays: 10, contactClock: 'working_days' });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ contactDays: 10, contactClock: 'working_days' });
}, 60_000);
afterAll(async () => {
  mailer?.close();
  await ctx?.close();
  await sink?.stop();
});

/** A checklist (the hub re-keying a paper one, say) received now by the injected clock. */
async function receive(questionIds: string[]) {
  const res = await api.post('/api/v1/submissions', coordinator.token, submissionBody(q, questionIds));
  expect(res.status).toBe(201);
  return res.body as { id: string; reference: string; referrals: { id: string; reference: string; agencyId: string; forwardDueAt: string }[] };
}

const referralRow = (id: string) =>
  ctx.db.selectFrom('referrals').select(['status', 'forwardDueAt', 'contactDueAt', 'followUpDueAt']).where('id', '=', id).executeTakeFirstOrThrow();

describe('a checklist received on the Friday before a bank holiday Monday', () => {
  it('is forwarded by the end of Tuesday, contacted 10 working days on, and called the working day after', async () => {
    ctx.clock.set('2026-08-28T09:00:00Z'); // Friday 28 August 2026, 10:00 BST; Monday 31 August is a bank holiday
    const s = await receive([advice.questionId, fire.questionId]);
    const toAdvice = s.referrals.find((r) => r.agencyId === advice.agencyId)!;
    const toFire = s.referrals.find((r) => r.agencyId === fire.agencyId)!;
    // T1: closing time (17:00 London) on Tuesday 1 September: not Saturday 09:00 (24 hours), not the bank holiday
    expect(toAdvice.forwardDueAt).toBe('2026-09-01T16:00:00.000Z');
    expect(toFire.forwardDueAt).toBe('2026-09-01T16:00:00.000Z');
    // what the person is told, if the hub forwards at the last moment: 10 working days after
    // Tuesday for advice, by its closing time, 17:00 BST ...
    expect((await referralRow(toAdvice.id)).contactDueAt!.toISOString()).toBe('2026-09-15T16:00:00.000Z');
    // ... and 14 calendar days for the fire service, to the end of that day (midnight BST)
    expect((await referralRow(toFire.id)).contactDueAt!.toISOString()).toBe('2026-09-15T23:00:00.000Z');

    // the forward worker sends it seconds after receipt
    ctx.clock.advance(5_000);
    expect(await forwardReferral({ ...ctx, mailer }, toAdvice.id)).toBe('forwarded');
    const [mail] = await sink.waitFor(1, { filter: to(advice.email) });
    // the agency is given the person's date, not a count of days from the mail
    expect(mail!.text).toContain('Please contact them by Tuesday 15 September 2026: that is the date the person has been given.');
    const row = await referralRow(toAdvice.id);
    expect(row.status).toBe('forwarded');
    // T2 is the promise, whenever it was forwarded: Wed 2 ... Tue 15 September is the 10th working day after Tuesday 1
    expect(row.contactDueAt!.toISOString()).toBe('2026-09-15T16:00:00.000Z');
    // T3: the hub's call, the working day after the contact deadline, by closing time
    expect(row.followUpDueAt!.toISOString()).toBe('2026-09-16T16:00:00.000Z');
    const followUp = await ctx.db.selectFrom('followUps').select('dueAt').where('submissionId', '=', s.id).executeTakeFirstOrThrow();
    expect(followUp.dueAt.toISOString()).toBe('2026-09-16T16:00:00.000Z');

    // the sweep reads the stored deadlines: nothing late at 16:59 BST, a contact breach at 17:01, the call's a day later
    ctx.clock.set('2026-09-15T15:59:00Z');
    const before = await runSweep(ctx);
    const breachesOf = (id: string) => ctx.db.selectFrom('slaBreaches').select(['clock', 'dueAt']).where('referralId', '=', id).execute();
    expect(before.skipped).toBe(false);
    expect(await breachesOf(toAdvice.id)).toEqual([]);
    ctx.clock.set('2026-09-15T16:01:00Z');
    await runSweep(ctx);
    expect((await breachesOf(toAdvice.id)).map((b) => [b.clock, b.dueAt.toISOString()])).toEqual([['contact', '2026-09-15T16:00:00.000Z']]);
    ctx.clock.set('2026-09-16T16:01:00Z');
    await runSweep(ctx);
    const after = await breachesOf(toAdvice.id);
    expect(after.map((b) => [b.clock, b.dueAt.toISOString()]).sort()).toEqual([
      ['contact', '2026-09-15T16:00:00.000Z'],
      ['follow_up', '2026-09-16T16:00:00.000Z'],
    ]);
  });
});

describe('deadlines across the October clock change (Sunday 25 October 2026)', () => {
  it('the next working day ends at 17:00 GMT on the Monday, 74 hours after 16:00 BST on the Friday', async () => {
    ctx.clock.set('2026-10-23T15:00:00Z'); // Friday, 16:00 BST
    const s = await receive([advice.questionId]);
    expect(s.referrals[0]!.forwardDueAt).toBe('2026-10-26T17:00:00.000Z');
    await markForwarded(ctx, s.referrals[0]!.id);
    // 10 working days after Monday 26 October: Tuesday 27 October ... Monday 9 November, 17:00 GMT
    expect((await referralRow(s.referrals[0]!.id)).contactDueAt!.toISOString()).toBe('2026-11-09T17:00:00.000Z');
  });

  it('14 calendar days end with their day, at midnight GMT after the change', async () => {
    ctx.clock.set('2026-10-20T09:00:00Z'); // Tuesday, 10:00 BST
    const s = await receive([fire.questionId]);
    expect(s.referrals[0]!.forwardDueAt).toBe('2026-10-21T16:00:00.000Z'); // Wednesday, 17:00 BST
    await markForwarded(ctx, s.referrals[0]!.id);
    // Wednesday 21 October + 14 days: the end of Wednesday 4 November, midnight GMT
    expect((await referralRow(s.referrals[0]!.id)).contactDueAt!.toISOString()).toBe('2026-11-05T00:00:00.000Z');
  });
});

describe('warnings before a breach (SLA_WARN_WITHIN_HOURS=30)', () => {
  it('the dashboard counts and lists what falls due within 30 hours, per clock, and the API says so', async () => {
    ctx.clock.set('2026-11-16T10:00:00Z'); // Monday 10:00: forward due Tuesday 17:00, 31 hours on
    const s = await receive([fire.questionId]);
    const ref = s.referrals[0]!;
    expect(ref.forwardDueAt).toBe('2026-11-17T17:00:00.000Z');
    const hub = new WebClient(ctx.baseUrl);
    await hub.signIn(web.email, web.password);

    const dueSoonSection = (html: string) => html.slice(html.indexOf('id="due-soon"'), html.indexOf('id="failed"'));
    let page = dueSoonSection((await hub.get('/hub')).text);
    expect(page).toContain('Due within 30 hours');
    expect(page).toContain('0 to send to an agency');
    expect(page).not.toContain(ref.reference);

    ctx.clock.advance(2 * HOUR); // 29 hours before it is due
    page = dueSoonSection((await hub.get('/hub')).text);
    expect(page).toContain('1 to send to an agency');
    expect(page).toContain(`<a href="/hub/referrals/${ref.id}">${ref.reference}</a>`);

    const summary = await api.get('/api/v1/sla/summary', coordinator.token);
    expect(summary.body.warnWithinHours).toBe(30);
    const agency = summary.body.agencies.find((a: { agencyId: string }) => a.agencyId === fire.agencyId);
    expect(agency.dueSoon.forward).toBe(1);

    // once it is late it is a breach, not a warning
    ctx.clock.set(new Date(new Date(ref.forwardDueAt).getTime() + 60_000));
    page = dueSoonSection((await hub.get('/hub')).text);
    expect(page).not.toContain(ref.reference);
    await markForwarded(ctx, ref.id);
  });

  it("the agency's reminder marks the referrals due within 30 hours, with the time", async () => {
    // two advice referrals received a day apart: due Thursday 3 and Friday 4 December, 17:00
    ctx.clock.set('2026-11-18T10:00:00Z');
    const first = (await receive([advice.questionId])).referrals[0]!;
    await markForwarded(ctx, first.id);
    ctx.clock.set('2026-11-19T10:00:00Z');
    const second = (await receive([advice.questionId])).referrals[0]!;
    await markForwarded(ctx, second.id);
    expect((await referralRow(first.id)).contactDueAt!.toISOString()).toBe('2026-12-03T17:00:00.000Z');
    expect((await referralRow(second.id)).contactDueAt!.toISOString()).toBe('2026-12-04T17:00:00.000Z');

    ctx.clock.set('2026-12-03T08:00:00Z'); // Thursday 08:00: the first is due in 9 hours, the second in 33
    expect(await sendContactReminders(ctx)).toMatchObject({ sent: 1 });
    const n = await ctx.db.selectFrom('notifications').select('bodyText').where('kind', '=', 'contact_reminder').where('recipient', '=', advice.email).executeTakeFirstOrThrow();
    const lineOf = (reference: string) => n.bodyText.split('\n').find((l) => l.includes(reference))!;
    expect(lineOf(first.reference)).toBe(`- ${first.reference}: contact the person by Thursday 3 December 2026 (DUE WITHIN 30 HOURS: by 17:00)`);
    expect(lineOf(second.reference)).toBe(`- ${second.reference}: contact the person by Friday 4 December 2026`);
    expect(n.bodyText).toContain('One is due within 30 hours');
  });
});

describe('signpost holidays:import FILE', () => {
  let dir: string;
  let shipped: string;
  const held = () => ctx.db.selectFrom('bankHolidays').select(['day', 'title']).orderBy('day').execute();
  const cli = (args: string[]) => runCliCaptured(args, ctx.env);
  const fileWith = async (name: string, content: string) => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signpost-holidays-'));
    shipped = await readFile(new URL('../config/bank-holidays.json', import.meta.url), 'utf8');
  });

  it('the migration loaded the calendar the project ships', async () => {
    const days = await held();
    expect(days.length).toBe(JSON.parse(shipped)['england-and-wales'].events.length);
    expect(days).toContainEqual({ day: '2026-08-31', title: 'Summer bank holiday' });
  });

  it('imports the shipped file again with nothing to change', async () => {
    const r = await cli(['holidays:import', await fileWith('same.json', shipped)]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ division: 'england-and-wales', added: 0, changed: 0, removed: 0, first: '2024-01-01', last: '2028-12-26' });
  });

  it('refuses a bad file with the reason, and imports none of it', async () => {
    const before = await held();
    const good = JSON.parse(shipped);
    const withEvents = (events: unknown[]) => JSON.stringify({ 'england-and-wales': { division: 'england-and-wales', events } });
    const event = (date: string) => ({ title: 'New holiday', date, notes: '', bunting: true });
    const cases: [string, string, RegExp][] = [
      ['not-json.json', '{"england-and-wales": ', /the file is not JSON/],
      ['scotland.json', JSON.stringify({ scotland: { ...good['england-and-wales'], division: 'scotland' } }), /"path":"england-and-wales","message"/],
      ['wrong-division.json', JSON.stringify({ 'england-and-wales': { ...good['england-and-wales'], division: 'scotland' } }), /"path":"england-and-wales\.division"/],
      // one good new day, then a date that does not exist: nothing at all is imported
      ['bad-date.json', withEvents([event('2029-01-01'), event('2029-02-30')]), /"path":"england-and-wales\.events\.1\.date","message":"is not a real date"/],
      ['twice.json', withEvents([event('2029-01-01'), event('2029-01-01')]), /lists a date twice/],
      ['empty.json', withEvents([]), /must list at least one bank holiday/],
    ];
    for (const [name, content, reason] of cases) {
      const r = await cli(['holidays:import', await fileWith(name, content)]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(reason);
    }
    const missing = await cli(['holidays:import', join(dir, 'no-such-file.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ENOENT');
    expect(await held()).toEqual(before);
  });

  it('a refreshed calendar (a holiday moved, a year added) reaches the running process within its cache time', async () => {
    // a made-up change: the 2026 summer bank holiday moved to Monday 7 September, 2029 added
    const next = JSON.parse(shipped);
    const events = next['england-and-wales'].events as { title: string; date: string; notes: string; bunting: boolean }[];
    events.find((e) => e.date === '2026-08-31')!.date = '2026-09-07';
    events.push({ title: 'New Year’s Day', date: '2029-01-01', notes: '', bunting: true });
    ctx.clock.set('2026-09-04T09:00:00Z'); // Friday 4 September
    // this process read the calendar before the import
    expect((await ctx.holidays.get()).holidays.has('2026-09-07')).toBe(false);

    const r = await cli(['holidays:import', await fileWith('next.json', JSON.stringify(next))]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ added: 2, changed: 0, removed: 1, last: '2029-01-01' });
    const days = (await held()).map((d) => d.day);
    expect(days).toContain('2026-09-07');
    expect(days).not.toContain('2026-08-31');
    expect(days).toContain('2024-01-01');

    // the import ran in another process (the CLI): this one sees it once its cache expires
    expect((await receive([fire.questionId])).referrals[0]!.forwardDueAt).toBe('2026-09-07T16:00:00.000Z');
    ctx.clock.advance(CALENDAR_CACHE_TTL_MS);
    expect((await receive([fire.questionId])).referrals[0]!.forwardDueAt).toBe('2026-09-08T16:00:00.000Z');
  });
});
