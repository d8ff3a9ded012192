/**
 * The day a person is told when the hub's working day ends at midnight (WORKING_DAY_ENDS_AT=24:00,
 * FORWARD_CLOCK=next_working_day): the forward deadline is the first instant of the day after,
 * but the promise counts from the day the deadline closes, at intake and at a re-route alike,
 * for calendar-day and working-day agencies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineDay, ukDeadlineDate, ukDeadlineTime } from '../src/kernel/uk-dates.js';
import { referralPromise } from '../src/kernel/promise.js';
import { createViews } from '../src/platform/pages/render.js';
import type { TestContext } from './helpers/context.js';
import type { TestUser } from './helpers/factories.js';
import { submissionBody } from './helpers/factories.js';
import { markForwarded, moveThrough } from './helpers/referrals.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let coordinator: TestUser;
let fire: Checklist['questions'][number];
let advice: Checklist['questions'][number];

beforeAll(async () => {
  ({ ctx, api, q, coordinator } = await createWorld({ coordinator: 'coordinator' }, { WORKING_DAY_ENDS_AT: '24:00', FORWARD_CLOCK: 'next_working_day' }));
  fire = q.questions[0]!;
  advice = q.questions.find((x) => x.agencyId !== fire.agencyId && x.agencyName.startsWith('Information and advice'))!;
  // the advice team counts 10 working days; the fire service keeps 14 calendar days
  const res = await api.patch(`/api/v1/agencies/${advice.agencyId}`, coordinator.token, { contactDays: 10, contactClock: 'working_days' });
  expect(res.status).toBe(200);
}, 60_000);
afterAll(async () => ctx?.close());

const promiseOf = async (id: string) =>
  ctx.db
    .selectFrom('referrals')
    .select(['forwardDueAt', 'contactDueAt'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow()
    .then((r) => ({ forwardDueAt: r.forwardDueAt, contactPromisedOn: deadlineDay(r.contactDueAt!) }));

describe('the day a deadline closes', () => {
  it('is its own London day, or the day before when it falls at midnight', () => {
    expect(deadlineDay(new Date('2026-01-08T17:00:00Z'))).toBe('2026-01-08');
    expect(deadlineDay(new Date('2026-01-09T00:00:00Z'))).toBe('2026-01-08');
    // midnight in summer time is 23:00 UTC
    expect(deadlineDay(new Date('2026-07-09T23:00:00Z'))).toBe('2026-07-09');
    expect(deadlineDay(new Date('2026-07-09T22:59:59Z'))).toBe('2026-07-09');
    expect(deadlineDay(new Date('2026-07-09T23:00:01Z'))).toBe('2026-07-10');
    const cal = { holidays: new Set<string>(), dayEndsAtMinute: 1440 };
    const settings = { forward: { kind: 'next_working_day' as const, hours: 24 }, followUpWorkingDaysAfterContact: 1 };
    // received Wednesday 7 January: forward deadline 24:00 Thursday (the first instant of Friday)
    const from = new Date('2026-01-07T10:00:00Z');
    const calendarDays = referralPromise({ from, heldUntil: null, agency: { contactDays: 14, contactClock: 'calendar_days' } }, settings, cal);
    const workingDays = referralPromise({ from, heldUntil: null, agency: { contactDays: 10, contactClock: 'working_days' } }, settings, cal);
    expect(calendarDays.forwardDueAt.toISOString()).toBe('2026-01-09T00:00:00.000Z');
    expect(deadlineDay(calendarDays.contactDueAt)).toBe('2026-01-22');
    expect(deadlineDay(workingDays.contactDueAt)).toBe('2026-01-22');
  });

  it('is the day the agency’s pages and reminder give, with midnight written 24:00', () => {
    const midnight = new Date('2026-01-09T00:00:00Z');
    const fivePm = new Date('2026-01-08T17:00:00Z');
    expect([ukDeadlineDate(midnight), ukDeadlineTime(midnight)]).toEqual(['Thursday 8 January 2026', '24:00']);
    expect([ukDeadlineDate(fivePm), ukDeadlineTime(fivePm)]).toEqual(['Thursday 8 January 2026', '17:00']);
    const views = createViews();
    expect(views.renderString('{{ d | ukDeadline }}', { d: midnight })).toBe('Thursday 8 January 2026');
    expect(views.renderString('{{ d | ukDeadline }}', { d: '2026-07-09T23:00:00.000Z' })).toBe('Thursday 9 July 2026');
  });
});

describe('with the working day ending at 24:00', () => {
  it('promises from the day the forward deadline closes, for a calendar-day and a working-day agency', async () => {
    // Wednesday 7 January 10:00: forwarded by the end of Thursday, 24:00, the first instant of Friday
    ctx.clock.set('2026-01-07T10:00:00Z');
    const res = await api.post('/api/v1/submissions', coordinator.token, submissionBody(q, [fire.id, advice.id]));
    expect(res.status).toBe(201);
    const byAgency = new Map(res.body.referrals.map((r: { agencyId: string; id: string }) => [r.agencyId, r.id]));
    const f = await promiseOf(byAgency.get(fire.agencyId) as string);
    const a = await promiseOf(byAgency.get(advice.agencyId) as string);
    expect(f.forwardDueAt.toISOString()).toBe('2026-01-09T00:00:00.000Z');
    // Thursday 8 January + 14 days (counted from Friday it would be the 23rd)
    expect(f.contactPromisedOn).toBe('2026-01-22');
    // the 10th working day after Thursday 8 January (after Friday it would be the 23rd)
    expect(a.contactPromisedOn).toBe('2026-01-22');
  });

  it('a re-route makes the new promise on the same rule', async () => {
    ctx.clock.set('2026-01-29T10:00:00Z');
    const res = await api.post('/api/v1/submissions', coordinator.token, submissionBody(q, [fire.id]));
    const ref = res.body.referrals[0];
    await markForwarded(ctx, ref.id);
    // Monday 2 February 10:00: the replacement is forwarded by the end of Tuesday 3 February, 24:00
    ctx.clock.set('2026-02-02T10:00:00Z');
    await moveThrough(api, coordinator.token, ref.id, [{ to: 'rejected', reason: 'outside our area' }]);
    const moved = await moveThrough(api, coordinator.token, ref.id, [{ to: 'rerouted', targetAgencyId: advice.agencyId }]);
    const replacement = await promiseOf(moved.body.replacement.id);
    expect(replacement.forwardDueAt.toISOString()).toBe('2026-02-04T00:00:00.000Z');
    // the 10th working day after Tuesday 3 February (the old rule said Thursday 19th)
    expect(replacement.contactPromisedOn).toBe('2026-02-17');
  });
});
