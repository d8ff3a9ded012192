/**
 * One promise, the same everywhere. For a calendar-day agency and a working-day agency, a
 * weekend and the Christmas bank holidays, a checklist is received (by the injected clock), and
 * the dates it promises are written out here by hand: the hub's forward deadline, the day the
 * agency will have contacted the person by, and the day of the hub's call. Every surface must
 * show those dates: the API's reply and referral, the person's confirmation page and printed
 * record, the agency's mail, inbox and referral page, the hub's referral page, the follow-up
 * call scheduled when the referral is forwarded. And the one function that computes them
 * (src/kernel/promise.ts) must give the same, so no surface can carry a date of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referralPromise, promiseSettings } from '../src/kernel/promise.js';
import { ukDeadlineDate } from '../src/kernel/uk-dates.js';
import { createMailer, type Mailer } from '../src/platform/mail/transport.js';
import { forwardReferral } from '../src/modules/forwarding/forward.service.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import type { TestContext } from './helpers/context.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { startTestSink, subjectHas, type SmtpSink } from './helpers/smtp-sink.js';
import { WebClient } from './helpers/web-client.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

interface Case {
  name: string;
  agency: 'fire' | 'advice';
  receivedAt: string;
  forwardDueAt: string;
  contactDueAt: string;
  /** the contact deadline's day, as every surface writes it */
  contactBy: string;
  callDueAt: string;
  callOn: string;
}

// the fire service counts 14 calendar days; the advice team 10 working days (set below)
const CASES: Case[] = [
  {
    name: 'calendar days, a weekday',
    agency: 'fire',
    receivedAt: '2026-01-05T09:00:00Z', // Monday: forwarded by Tuesday 6 January 09:00
    forwardDueAt: '2026-01-06T09:00:00.000Z',
    contactDueAt: '2026-01-21T00:00:00.000Z', // 6 + 14: to the end of Tuesday 20 January
    contactBy: 'Tuesday 20 January 2026',
    callDueAt: '2026-01-21T17:00:00.000Z', // the next working day, by closing time
    callOn: 'Wednesday 21 January 2026',
  },
  {
    name: 'calendar days ending on a Saturday: the call waits for Monday',
    agency: 'fire',
    receivedAt: '2026-01-02T10:00:00Z', // Friday: forwarded by Saturday 3 January 10:00
    forwardDueAt: '2026-01-03T10:00:00.000Z',
    contactDueAt: '2026-01-18T00:00:00.000Z', // Saturday 17 January
    contactBy: 'Saturday 17 January 2026',
    callDueAt: '2026-01-19T17:00:00.000Z',
    callOn: 'Monday 19 January 2026',
  },
  {
    name: 'working days, received on a Saturday',
    agency: 'advice',
    receivedAt: '2026-11-07T11:00:00Z', // the 24 hours end on Sunday 8 November
    forwardDueAt: '2026-11-08T11:00:00.000Z',
    contactDueAt: '2026-11-20T17:00:00.000Z', // the 10th working day after Sunday: Friday 20, closing time
    contactBy: 'Friday 20 November 2026',
    callDueAt: '2026-11-23T17:00:00.000Z',
    callOn: 'Monday 23 November 2026',
  },
  {
    name: 'working days across Christmas, Boxing Day (substitute) and New Year',
    agency: 'advice',
    receivedAt: '2026-12-23T10:00:00Z', // the 24 hours end on Thursday 24 December
    forwardDueAt: '2026-12-24T10:00:00.000Z',
    // 25 Dec, 28 Dec and 1 Jan are bank holidays: 29, 30, 31 Dec, 4-8 Jan, 11 and 12 Jan
    contactDueAt: '2027-01-12T17:00:00.000Z',
    contactBy: 'Tuesday 12 January 2027',
    callDueAt: '2027-01-13T17:00:00.000Z',
    callOn: 'Wednesday 13 January 2027',
  },
  {
    name: 'calendar days across the same holidays: the days count, the call is on a working day',
    agency: 'fire',
    receivedAt: '2026-12-23T10:00:00Z',
    forwardDueAt: '2026-12-24T10:00:00.000Z',
    contactDueAt: '2027-01-08T00:00:00.000Z', // 24 December + 14: Thursday 7 January
    contactBy: 'Thursday 7 January 2027',
    callDueAt: '2027-01-08T17:00:00.000Z',
    callOn: 'Friday 8 January 2027',
  },
];

let ctx: TestContext;
let api: Api;
let q: Checklist;
let coordinator: TestUser;
let sink: SmtpSink;
let mailer: Mailer;
let hubUser: WebUser;
const agencies = {} as Record<Case['agency'], { questionId: string; agencyId: string; name: string; staff: WebUser }>;

/** Signed in now, by the injected clock (a session from a case months earlier has expired). */
async function signedIn(u: WebUser) {
  const c = new WebClient(ctx.baseUrl);
  await c.signIn(u.email, u.password);
  return c;
}

beforeAll(async () => {
  sink = await startTestSink();
  ({ ctx, api, q, coordinator } = await createWorld({ coordinator: 'coordinator' }, { SMTP_URL: sink.url }));
  mailer = createMailer(ctx.env);
  const fire = q.questions[0]!;
  const advice = q.questions[15]!;
  const res = await api.patch(`/api/v1/agencies/${advice.agencyId}`, coordinator.token, { contactDays: 10, contactClock: 'working_days' });
  expect(res.status).toBe(200);
  hubUser = await makeWebUser(ctx, 'coordinator');
  for (const [key, question] of [['fire', fire], ['advice', advice]] as const) {
    agencies[key] = { questionId: question.id, agencyId: question.agencyId, name: question.agencyName, staff: await makeWebUser(ctx, 'agency', question.agencyId) };
  }
}, 120_000);
afterAll(async () => {
  mailer?.close();
  await ctx?.close();
  await sink?.stop();
});

const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    // a tag's edge is no space in the page: "0001</a>)" reads "0001)"
    .replace(/ ([.,:;)])/g, '$1');

describe.each(CASES)('one promise: $name', (c) => {
  it('is the one function’s, and every surface shows it', async () => {
    const a = agencies[c.agency];
    ctx.clock.set(c.receivedAt);
    const now = ctx.clock.now();
    const [hubWeb, agencyWeb] = [await signedIn(hubUser), await signedIn(a.staff)];

    // the one function gives the dates written out above
    const promise = referralPromise(
      { from: now, heldUntil: null, agency: c.agency === 'fire' ? { contactDays: 14, contactClock: 'calendar_days' } : { contactDays: 10, contactClock: 'working_days' } },
      promiseSettings(ctx.env),
      await ctx.holidays.get(),
    );
    expect([promise.forwardDueAt.toISOString(), promise.contactDueAt.toISOString(), promise.followUpDueAt.toISOString()]).toEqual([c.forwardDueAt, c.contactDueAt, c.callDueAt]);
    expect(ukDeadlineDate(promise.contactDueAt)).toBe(c.contactBy);
    expect(ukDeadlineDate(promise.followUpDueAt)).toBe(c.callOn);

    // the API's reply, and the referral read back
    const consent = { recordedAt: new Date(now.getTime() - 5 * 60_000).toISOString() };
    const submitted = await api.post('/api/v1/submissions', coordinator.token, submissionBody(q, [a.questionId], { consent }));
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const ref = submitted.body.referrals[0];
    expect([ref.forwardDueAt, ref.contactDueAt, ref.heldUntil]).toEqual([c.forwardDueAt, c.contactDueAt, null]);
    const read = await api.get(`/api/v1/referrals/${ref.id}`, coordinator.token);
    expect([read.body.forwardDueAt, read.body.contactDueAt, read.body.heldUntil]).toEqual([c.forwardDueAt, c.contactDueAt, null]);

    // the person's confirmation page and printed record: the agency's date, and the hub's call after it
    const page = text((await hubWeb.get(`/submissions/${submitted.body.id}`)).text);
    expect(page).toContain(`${a.name} Will contact by ${c.contactBy}`);
    expect(page).toContain(`will call Ada on ${c.callOn}, after those dates`);
    const record = text((await hubWeb.get(`/submissions/${submitted.body.id}/postcard`)).text);
    expect(record).toContain(`${a.name} by ${c.contactBy}`);
    expect(record).toContain(`will call you on ${c.callOn}`);
    // the hub's referral page, before it is sent
    expect(text((await hubWeb.get(`/hub/referrals/${ref.id}`)).text)).toContain(`The person was told they would be contacted by ${c.contactBy}.`);

    // forwarded at once: the agency's mail gives the person's date, not a count of days from the mail
    expect(await forwardReferral({ ...ctx, mailer }, ref.id)).toBe('forwarded');
    const [mail] = await sink.waitFor(1, { filter: subjectHas(ref.reference) });
    expect(mail!.text).toContain(`Please contact them by ${c.contactBy}: that is the date the person has been given.`);
    const row = await ctx.db.selectFrom('referrals').select(['contactDueAt', 'followUpDueAt']).where('id', '=', ref.id).executeTakeFirstOrThrow();
    expect([row.contactDueAt!.toISOString(), row.followUpDueAt!.toISOString()]).toEqual([c.contactDueAt, c.callDueAt]);
    const followUp = await ctx.db.selectFrom('followUps').select('dueAt').where('submissionId', '=', submitted.body.id).executeTakeFirstOrThrow();
    expect(followUp.dueAt.toISOString()).toBe(c.callDueAt);
    // the hub never calls before the day the person was given
    expect(followUp.dueAt.getTime()).toBeGreaterThan(new Date(c.contactDueAt).getTime());

    // the agency's inbox and referral page
    expect(text((await agencyWeb.get('/agency')).text)).toContain(`${ref.reference}`);
    expect(text((await agencyWeb.get('/agency')).text)).toContain(c.contactBy);
    expect(text((await agencyWeb.get(`/agency/referrals/${ref.id}`)).text)).toContain(`Contact the person by ${c.contactBy}.`);
    // the hub's referral page, and the person's pages, once it is with the agency
    // the hub's page speaks as the hub: the agency is to contact the person
    expect(text((await hubWeb.get(`/hub/referrals/${ref.id}`)).text)).toContain(`The agency is to contact the person by ${c.contactBy}.`);
    const after = text((await hubWeb.get(`/submissions/${submitted.body.id}`)).text);
    expect(after).toContain(`${a.name} Will contact by ${c.contactBy}`);
    expect(after).toContain(`will call Ada on ${c.callOn}`);
  });
});
