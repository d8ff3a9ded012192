import { JOBS } from '../src/platform/jobs/registry.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../src/kernel/clock.js';
import { sendContactReminders } from '../src/modules/sla/reminder.service.js';
import { processReminders } from '../src/modules/sla/reminders.worker.js';
import type { TestContext } from './helpers/context.js';
import type { TestUser } from './helpers/factories.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { forward, setStatus, submit } from './helpers/sla-fixtures.js';
import { startTestWorkers } from './helpers/workers.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker } = await createWorld({ worker: 'link_worker' }));
});
afterAll(async () => ctx?.close());

const reminders = () => ctx.db.selectFrom('notifications').selectAll().where('kind', '=', 'contact_reminder').orderBy('createdAt').orderBy('recipient').execute();

describe('contact reminders', () => {
  it('sends one mail per agency per day, listing its referrals close to their contact date, without personal data', async () => {
    // fire (q0, 14 contact days) twice and the advice team (q15, 10 contact days) once
    const subs = [await submit(api, worker, q, [0, 15]), await submit(api, worker, q, [0])];
    const all = subs.flatMap((s) => s.referrals);
    await forward(ctx, all.map((r) => r.id));
    const fire = all.filter((r) => r.agencyId === q.questions[0]!.agencyId);
    const advice = all.find((r) => r.agencyId === q.questions[15]!.agencyId)!;

    // received Monday 5 January: the 24 hours end on the 6th; advice is due by the end of
    // Friday 16 January (10 days), fire by the end of Tuesday 20 January (14 days)
    expect(advice.contactDueAt).toBe('2026-01-17T00:00:00.000Z');
    for (const r of fire) expect(r.contactDueAt).toBe('2026-01-21T00:00:00.000Z');

    // 12 January, 09:00: advice is more than 4 days away -> nothing
    ctx.clock.set('2026-01-12T09:00:00Z');
    expect((await sendContactReminders(ctx)).sent).toBe(0);

    // 13 January, 10:00: advice is within 4 days; fire is not
    ctx.clock.set('2026-01-13T10:00:00Z');
    let res = await sendContactReminders(ctx);
    expect(res).toMatchObject({ agencies: 1, sent: 1 });
    let rows = await reminders();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.agencyId).toBe(advice.agencyId);
    expect(rows[0]!.recipient).toBe('advice@hub.example.org');
    expect(rows[0]!.dedupeKey).toBe(`reminder:${advice.agencyId}:${ctx.clock.now().toISOString().slice(0, 10)}`);
    expect(rows[0]!.bodyText).toContain(advice.reference);
    expect(rows[0]!.bodyText).toContain('contact the person by Friday 16 January 2026');
    expect(rows[0]!.bodyText).not.toMatch(/Ada|Test-|020 7946 0123/);
    expect(await ctx.jobs.queue(JOBS['send-notification'].queue).getJobState(`notify-${rows[0]!.id}`)).toBe('waiting');

    // a second run the same day (a retry, another worker, the daily job) sends nothing
    res = await processReminders({ id: 'j', data: {} }, ctx);
    expect(res.sent).toBe(0);
    expect(await reminders()).toHaveLength(1);

    // 17 January, 10:00: advice is past due (T2's breach, no reminder); both fire referrals in ONE mail
    ctx.clock.set('2026-01-17T10:00:00Z');
    res = await sendContactReminders(ctx);
    expect(res).toMatchObject({ agencies: 1, sent: 1 });
    rows = await reminders();
    expect(rows).toHaveLength(2);
    expect(rows[1]!.agencyId).toBe(fire[0]!.agencyId);
    for (const r of fire) expect(rows[1]!.bodyText).toContain(r.reference);
    expect(rows[1]!.subject).toContain('2 referrals');

    // next day: fire again, but without the referral the agency has since contacted
    ctx.clock.advance(DAY);
    await setStatus(ctx, fire[0]!.id, 'contacted');
    res = await processReminders({ id: 'j2', data: {} }, ctx);
    expect(res).toMatchObject({ agencies: 1, sent: 1 });
    rows = await reminders();
    expect(rows).toHaveLength(3);
    expect(rows[2]!.bodyText).toContain(fire[1]!.reference);
    expect(rows[2]!.bodyText).not.toContain(fire[0]!.reference);
  });

  it('is registered as the daily schedule, at 08:00 London time, with bounded retention', async () => {
    const workers = await startTestWorkers(ctx, ['reminders']);
    try {
      const queue = ctx.jobs.queue(JOBS['contact-reminders'].queue);
      const s = await queue.getJobScheduler('daily-contact-reminders');
      expect(s).toMatchObject({ key: 'daily-contact-reminders', name: 'contact-reminders', pattern: '0 8 * * *', tz: 'Europe/London' });
      expect(s!.template?.opts).toMatchObject({
        attempts: 8,
        removeOnComplete: JOBS['contact-reminders'].options.removeOnComplete,
        removeOnFail: JOBS['contact-reminders'].options.removeOnFail,
      });
    } finally {
      await workers.stop();
    }
  });
});
