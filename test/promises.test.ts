/**
 * The date a person is told: "X will contact you by <day>" is fixed when the checklist arrives
 * (the hub's 24 hours plus the agency's contact days, as a day in London) and stored as the
 * agency's contact deadline (the end of that day). It does not move when the referral is
 * forwarded sooner than the 24 hours, on the confirmation page, the printed record or for the
 * agency; a re-route (a new agency) makes a new promise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR } from '../src/kernel/clock.js';
import type { TestContext } from './helpers/context.js';
import type { TestUser } from './helpers/factories.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import { markForwarded, moveThrough } from './helpers/referrals.js';
import { WebClient } from './helpers/web-client.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { submissionBody } from './helpers/factories.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let coordinator: TestUser;
let web: WebUser;

beforeAll(async () => {
  ({ ctx, api, q, coordinator } = await createWorld({ coordinator: 'coordinator' }));
  // the pages of a checklist the API's coordinator sent: a coordinator sees every submission
  web = await makeWebUser(ctx, 'coordinator');
});
afterAll(async () => ctx?.close());

const promised = (html: string, agency: string) => {
  const row = html.split(agency.replaceAll('&', '&amp;'))[1] ?? '';
  return /(\d{1,2} [A-Z][a-z]+ \d{4})/.exec(row)?.[1];
};

describe('the day a person is told', () => {
  it('stays the same once the referral is forwarded, on the confirmation and the printed record', async () => {
    // 23:30 in London on a Monday in winter: the 24 hours end on Tuesday night
    ctx.clock.set('2026-01-05T23:30:00Z');
    const fire = q.questions[0]!;
    const res = await api.post('/api/v1/submissions', coordinator.token, submissionBody(q, [fire.id]));
    expect(res.status).toBe(201);
    const s = res.body;
    const hub = new WebClient(ctx.baseUrl);
    await hub.signIn(web.email, web.password);
    const before = await hub.get(`/submissions/${s.id}`);
    // received 5 January 23:30: forwarded by 6 January 23:30, then the fire service's 14 days
    expect(promised(before.text, fire.agencyName)).toBe('20 January 2026');

    // forwarded at once, 23 hours sooner than promised: the agency's deadline is still the
    // person's date, to the end of that day (it was 19 January 23:30, a day apart from the person's)
    await markForwarded(ctx, s.referrals[0].id);
    const row = await ctx.db.selectFrom('referrals').select(['contactDueAt']).where('id', '=', s.referrals[0].id).executeTakeFirstOrThrow();
    expect(row.contactDueAt!.toISOString()).toBe('2026-01-21T00:00:00.000Z');
    expect(promised((await hub.get(`/submissions/${s.id}`)).text, fire.agencyName)).toBe('20 January 2026');
    expect(promised((await hub.get(`/submissions/${s.id}/postcard`)).text, fire.agencyName)).toBe('20 January 2026');
  });

  it('is made again when a re-route sends the referral to another agency', async () => {
    ctx.clock.set('2026-02-02T10:00:00Z');
    const fire = q.questions[0]!;
    const res = await api.post('/api/v1/submissions', coordinator.token, submissionBody(q, [fire.id]));
    const ref = res.body.referrals[0];
    await markForwarded(ctx, ref.id);
    ctx.clock.advance(3 * 24 * HOUR);
    await moveThrough(api, coordinator.token, ref.id, [{ to: 'rejected', reason: 'outside our area' }]);
    const target = q.questions.find((x) => x.agencyId !== fire.agencyId && x.agencyName.startsWith('Information and advice'))!;
    const moved = await moveThrough(api, coordinator.token, ref.id, [{ to: 'rerouted', targetAgencyId: target.agencyId }]);
    const replacement = await ctx.db.selectFrom('referrals').select('contactDueAt').where('id', '=', moved.body.replacement.id).executeTakeFirstOrThrow();
    // re-routed 5 February 10:00: forwarded by 6 February 10:00, then the advice team's 10 days,
    // to the end of 16 February
    expect(replacement.contactDueAt!.toISOString()).toBe('2026-02-17T00:00:00.000Z');
    expect(moved.body.replacement.contactDueAt).toBe('2026-02-17T00:00:00.000Z');
  });
});
