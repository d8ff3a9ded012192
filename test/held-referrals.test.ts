/**
 * A closed agency holds the clock (src/kernel/promise.ts, modules/referrals/held-referral.service.ts): a
 * referral to an agency closed to new referrals, for a question with no fallback, waits until
 * the day the agency reopens. Its dates count from midnight (London) that day, and every
 * surface gives those dates: the submission reply and the API, the person's confirmation and
 * printed record, the hub's pages; it is never "to send", at risk or breached before. The hub
 * re-routes it in one step from /hub/held; an agency that reopens early starts the clock that
 * day, one that stays closed longer holds it until its new day; on the day, the sweep sends it.
 *
 * Real Postgres, Redis and SMTP sink; time moved by the ManualClock, in British Summer Time so
 * that midnight in London (23:00 UTC) and midnight UTC are an hour apart. Every expected date
 * is written out here, worked by hand from the rule, not computed by the code under test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR } from '../src/kernel/clock.js';
import { JOBS } from '../src/platform/jobs/registry.js';
import { createMailer, type Mailer } from '../src/platform/mail/transport.js';
import { forwardReferral } from '../src/modules/forwarding/forward.service.js';
import { runSweep } from '../src/modules/sla/sla.service.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import type { TestContext } from './helpers/context.js';
import { makeUser, submissionBody, type TestUser } from './helpers/factories.js';
import { settle, startTestSink, to, type SmtpSink } from './helpers/smtp-sink.js';
import { startTestWorkers, waitUntil, type TestWorkers } from './helpers/workers.js';
import { WebClient } from './helpers/web-client.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let coordinator: TestUser;
let admin: TestUser;
let sink: SmtpSink;
let mailer: Mailer;
let hubWeb: WebUser;

/** One question's agency (each scenario has its own, so that one agency's closure touches only its referral). */
interface Agency {
  questionId: string;
  agencyId: string;
  name: string;
  email: string;
}
// the seeded agencies all count 14 calendar days to contact the person
let fire: Agency; // closed until 29 June: the referral of points 1 to 3
let police: Agency; // closed: a re-route to it is refused
let telecare: Agency; // accepting: where the held referral is re-routed
let falls: Agency; // reopens early
let smoking: Agency; // stays closed longer
let drugs: Agency; // its day comes
let befriending: Agency; // consent withdrawn

beforeAll(async () => {
  sink = await startTestSink();
  ({ ctx, api, q, coordinator, admin } = await createWorld({ coordinator: 'coordinator', admin: 'admin' }, { SMTP_URL: sink.url, PUBLIC_URL: 'https://signpost.test' }));
  mailer = createMailer(ctx.env);
  hubWeb = await makeWebUser(ctx, 'coordinator');
  const agencies = await ctx.db.selectFrom('agencies').select(['id', 'name', 'email']).execute();
  const pick = (i: number): Agency => {
    const question = q.questions[i]!;
    const a = agencies.find((x) => x.id === question.agencyId)!;
    return { questionId: question.id, agencyId: a.id, name: a.name, email: a.email };
  };
  [fire, police, telecare, falls, smoking, drugs, befriending] = [0, 1, 2, 3, 4, 5, 6].map(pick) as [Agency, Agency, Agency, Agency, Agency, Agency, Agency];
  expect(new Set([fire, police, telecare, falls, smoking, drugs, befriending].map((a) => a.agencyId)).size).toBe(7);
  // no question of the seeded checklist has a fallback agency
  expect(q.questions.slice(0, 7).map((x) => (x as { fallbackAgencyId?: string | null }).fallbackAgencyId ?? null)).toEqual(Array(7).fill(null));
});
afterAll(async () => {
  mailer?.close();
  await ctx?.close();
  await sink?.stop();
});

// ---- helpers ----

interface Reply {
  id: string;
  reference: string;
  personId: string;
  referrals: { id: string; reference: string; agencyId: string; status: string; heldUntil: string | null; forwardDueAt: string; contactDueAt: string }[];
}

async function setCapacity(agency: Agency, body: { status: 'accepting' } | { status: 'closed'; closedUntil: string }, token = coordinator.token) {
  const res = await api.call('PUT', `/api/v1/agencies/${agency.agencyId}/capacity`, { token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function submitFor(agency: Agency): Promise<Reply> {
  const res = await api.post('/api/v1/submissions', coordinator.token, submissionBody(q, [agency.questionId]));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const reply = res.body as Reply;
  expect(reply.referrals.map((r) => r.agencyId)).toEqual([agency.agencyId]);
  return reply;
}

const referralRow = (id: string) =>
  ctx.db.selectFrom('referrals').select(['status', 'heldUntil', 'forwardDueAt', 'contactDueAt', 'forwardedAt', 'followUpDueAt']).where('id', '=', id).executeTakeFirstOrThrow();

/** The referral's dates as the API gives them (GET /api/v1/referrals/:id, the hub's view). */
async function apiDates(id: string) {
  const res = await api.get(`/api/v1/referrals/${id}`, coordinator.token);
  expect(res.status).toBe(200);
  const { status, heldUntil, forwardDueAt, contactDueAt } = res.body as Record<string, unknown>;
  return { status, heldUntil, forwardDueAt, contactDueAt };
}

const forwardQueue = () => ctx.jobs.queue(JOBS['forward-referral'].queue);
const forwardJobId = (referralId: string) => JOBS['forward-referral'].jobId({ referralId });

/** The referral's forward job in Redis: its state and the delay it was given (0: none). */
async function forwardJob(referralId: string) {
  const queue = forwardQueue();
  const id = forwardJobId(referralId);
  // the intake enqueues after its reply: a job not there yet is given a moment to arrive
  for (let i = 0; i < 20 && (await queue.getJobState(id)) === 'unknown'; i++) await new Promise((r) => setTimeout(r, 50));
  const [state, job] = await Promise.all([queue.getJobState(id), queue.getJob(id)]);
  return { state, delay: job?.opts.delay ?? 0 };
}

const events = async (id: string) =>
  ctx.db.selectFrom('referralEvents').select(['fromStatus', 'toStatus', 'reason', 'note']).where('referralId', '=', id).orderBy('id').execute();

const breachesOf = (id: string) => ctx.db.selectFrom('slaBreaches').select(['clock', 'dueAt']).where('referralId', '=', id).execute();

/** A web client signed in now (a session lasts SESSION_IDLE_HOURS of the injected clock). */
async function signedIn(user: WebUser): Promise<WebClient> {
  const web = new WebClient(ctx.baseUrl);
  expect((await web.signIn(user.email, user.password)).status).toBe(303);
  return web;
}

/** A page's words, without its markup (and without the space a closing tag leaves before punctuation). */
const textOf = (html: string) =>
  html
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replaceAll('&amp;', '&')
    .replaceAll('&#39;', "'")
    .replace(/\s+/g, ' ')
    .replace(/ ([:;,.)])/g, '$1'); // a tag's edge is no space in the page: "0001</a>)" reads "0001)"
// a date in words, long or short ('13 July 2026', '1 Jun 2026'), without its weekday
const DATE = /\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4}\b/g;
const datesIn = (text: string) => [...new Set(text.match(DATE) ?? [])];

// ---- 1 to 3: the fire service, closed until Monday 29 June 2026 ----

const D = '2026-06-29';
// received Monday 1 June 2026, 10:00 BST
const RECEIVED = '2026-06-01T09:00:00Z';
let held: Reply;
let heldId: string;

describe('a referral to an agency closed until a day D, for a question with no fallback', () => {
  it('is held until D: its forward and contact deadlines count from midnight (London) on D, in the reply, the API and the person’s record', async () => {
    ctx.clock.set(RECEIVED);
    await setCapacity(fire, { status: 'closed', closedUntil: D });
    held = await submitFor(fire);
    const r = held.referrals[0]!;
    heldId = r.id;
    // the clocks start at midnight BST on 29 June (23:00 UTC on the 28th): sent within 24 hours,
    // by midnight at the end of 29 June; then the fire service's 14 calendar days after 29 June,
    // to the end of Monday 13 July
    const promised = { heldUntil: D, forwardDueAt: '2026-06-29T23:00:00.000Z', contactDueAt: '2026-07-13T23:00:00.000Z' };
    expect(r).toMatchObject({ status: 'pending', ...promised });
    expect(await apiDates(r.id)).toEqual({ status: 'pending', ...promised });
    const row = await referralRow(r.id);
    expect(row).toMatchObject({ status: 'pending', heldUntil: D, forwardedAt: null });
    expect([row.forwardDueAt.toISOString(), row.contactDueAt!.toISOString()]).toEqual([promised.forwardDueAt, promised.contactDueAt]);

    // Counted from receipt instead, the person would have been told 16 June (sent by 2 June):
    // neither date, nor any other before D, is on their record as a promise.
    const web = await signedIn(hubWeb);
    const page = await web.get(`/submissions/${held.id}`);
    expect(page.status).toBe(200);
    const confirmation = textOf(page.text);
    expect(confirmation).toContain(`${fire.name} They are not taking new referrals until 29 June 2026, so yours waits until then.`);
    expect(confirmation).toContain('Will contact by Monday 13 July 2026 Waits until 29 June 2026, when they reopen');
    // the hub's call: the working day after the contact date, Tuesday 14 July
    expect(confirmation).toMatch(/will call Ada on Tuesday 14 July 2026, after those dates, to check their needs were met/);
    expect(confirmation).toContain('received 1 Jun 2026, 10:00');
    // besides the day it was received, only D and the dates counted from it
    expect(datesIn(confirmation).sort()).toEqual(['1 Jun 2026', '13 July 2026', '14 July 2026', '29 June 2026'].sort());

    const card = await web.get(`/submissions/${held.id}/postcard`);
    expect(card.status).toBe(200);
    const record = textOf(card.text);
    expect(record).toContain(`${fire.name} by Monday 13 July 2026 (phone 020 7946 0001). They are not taking new referrals until 29 June 2026, so yours waits until then.`);
    expect(record).toMatch(/will call you on Tuesday 14 July 2026 to check that you got the help you needed/);
    expect(record).toContain('Date: 1 June 2026');
    expect(datesIn(record).sort()).toEqual(['1 June 2026', '13 July 2026', '14 July 2026', '29 June 2026'].sort());
  });

  it('before D: not sent (held), no mail, never to send, at risk or breached, its job delayed to midnight on D', async () => {
    // the job was timed at intake (10:00 BST on 1 June) for 00:00 BST on 29 June: 27 days and 14 hours
    expect(await forwardJob(heldId)).toEqual({ state: 'delayed', delay: 27 * DAY + 14 * HOUR });

    // the forward worker, should it run early (any time before D), sends nothing
    expect(await forwardReferral({ ...ctx, mailer }, heldId)).toBe('held');
    ctx.clock.set('2026-06-28T22:59:00Z'); // 23:59 BST on Sunday 28 June: the UTC day is the 28th too, but one minute to D
    expect(await forwardReferral({ ...ctx, mailer }, heldId)).toBe('held');
    expect(await settle(sink, to(fire.email))).toEqual([]);
    expect(await ctx.db.selectFrom('notifications').select('kind').where('referralId', '=', heldId).execute()).toEqual([]);
    expect((await referralRow(heldId)).status).toBe('pending');

    // the dashboard, at receipt: nothing to send within 24 hours (counted from receipt, it would be
    // due by 10:00 on 2 June), and the held referral counted on its own
    ctx.clock.set(RECEIVED);
    const web = await signedIn(hubWeb);
    const dashboard = await web.get('/hub');
    expect(dashboard.status).toBe(200);
    const dueSoon = textOf(/<ul class="nhsuk-list" id="due-soon-counts">[\s\S]*?<\/ul>/.exec(dashboard.text)![0]);
    expect(dueSoon).toContain(' 0 to send to an agency ');
    expect(textOf(dashboard.text)).toContain('1 referral waits for a closed agency to reopen: none is late, their clocks start when it does.');
    // the SLA summary (the API's view of what is at risk) agrees
    const summary = await api.get('/api/v1/sla/summary', coordinator.token);
    expect(summary.status).toBe(200);
    const fireSummary = (summary.body.agencies as { agencyId: string; dueSoon: Record<string, number>; dueNext24Hours: Record<string, number> }[]).find((a) => a.agencyId === fire.agencyId)!;
    expect(fireSummary.dueSoon).toEqual({ forward: 0, contact: 0, follow_up: 0 });
    expect(fireSummary.dueNext24Hours).toEqual({ forward: 0, contact: 0, follow_up: 0 });

    // the SLA sweep, at any time before its forward deadline (midnight BST at the end of 29 June),
    // records no breach: not a day after receipt, not on the eve of D, not in D's last minute
    for (const at of ['2026-06-02T10:00:00Z', '2026-06-16T12:00:00Z', '2026-06-28T22:59:00Z', '2026-06-29T22:59:00Z']) {
      ctx.clock.set(at);
      const sweep = await runSweep(ctx);
      expect(sweep.skipped).toBe(false);
      expect(await breachesOf(heldId), at).toEqual([]);
      // its forward job is still there, delayed: the sweep has nothing to put back
      expect((await forwardJob(heldId)).state, at).toBe('delayed');
    }
    ctx.clock.set('2026-06-28T21:00:00Z'); // 22:00 BST on the eve of D: the deadline is 25 hours away
    const eve = await api.get('/api/v1/sla/summary', coordinator.token);
    expect((eve.body.agencies as { agencyId: string; dueSoon: { forward: number } }[]).find((a) => a.agencyId === fire.agencyId)!.dueSoon.forward).toBe(0);
    expect((await referralRow(heldId)).status).toBe('pending');
  });

  it('is listed on /hub/held, where re-routing it is one step; a closed agency or none chosen answers the page again (400); other roles get no access', async () => {
    ctx.clock.set('2026-06-03T13:00:00Z'); // Wednesday 3 June, 14:00 BST
    await setCapacity(police, { status: 'closed', closedUntil: '2026-07-20' });
    const web = await signedIn(hubWeb);
    const list = await web.get('/hub/held');
    expect(list.status).toBe(200);
    const listed = textOf(list.text);
    expect(listed).toContain('1 referral is waiting.');
    expect(listed).toContain(`${held.referrals[0]!.reference}: Ada`);
    expect(listed).toContain(`For ${fire.name}, closed until 29 June 2026. To be sent by Monday 29 June 2026; the person was told they would be contacted by Monday 13 July 2026.`);
    const csrf = WebClient.csrfOf(list.text);
    const reroute = `/hub/held/${heldId}/reroute`;

    // a link worker and an agency's staff (the fire service's own too) may not see or use it
    for (const [who, user, ownPage] of [
      ['link worker', await makeWebUser(ctx, 'link_worker'), '/checklist'],
      ['agency', await makeWebUser(ctx, 'agency', fire.agencyId), '/agency/capacity'],
    ] as const) {
      const other = await signedIn(user);
      const own = await other.get(ownPage);
      expect(own.status, who).toBe(200);
      const got = await other.get('/hub/held');
      expect(got.status, who).toBe(403);
      expect(got.text, who).not.toContain(held.referrals[0]!.reference);
      const posted = await other.post(reroute, { _csrf: WebClient.csrfOf(own.text), page: '1', targetAgencyId: telecare.agencyId });
      expect(posted.status, who).toBe(403);
      expect(posted.text, who).toContain('You cannot see this page');
    }

    // no agency chosen, or a closed one: the page again with the error beside the referral
    const none = await web.post(reroute, { _csrf: csrf, page: '1', targetAgencyId: '' });
    expect(none.status).toBe(400);
    expect(textOf(none.text)).toContain('Choose the agency to send it to');
    const toClosed = await web.post(reroute, { _csrf: csrf, page: '1', targetAgencyId: police.agencyId });
    expect(toClosed.status).toBe(400);
    expect(textOf(toClosed.text)).toContain('Error: This agency is closed to new referrals until 20 July 2026');
    expect(textOf(toClosed.text)).toContain('1 referral is waiting.');
    // the same refusal, in the same words, from the referral's own page
    const referralPage = `/hub/referrals/${heldId}`;
    const onPage = await web.post(referralPage, { _csrf: WebClient.csrfOf((await web.get(referralPage)).text), to: 'rerouted', targetAgencyId__rerouted: police.agencyId });
    expect(onPage.status).toBe(400);
    expect(textOf(onPage.text)).toContain('This agency is closed to new referrals until 20 July 2026');
    expect(textOf(onPage.text)).not.toContain('The agency this agency');
    expect((await referralRow(heldId)).status).toBe('pending');
    expect(await ctx.db.selectFrom('referrals').select('id').where('reroutedFromId', '=', heldId).execute()).toEqual([]);

    // one POST: re-routed to the telecare service, which is taking referrals
    const done = await web.post(reroute, { _csrf: csrf, page: '1', targetAgencyId: telecare.agencyId });
    expect(done.status).toBe(303);
    expect(done.location).toBe('/hub/held?done=rerouted&page=1');
    const old = await ctx.db.selectFrom('referrals').select(['status', 'reroutedToId']).where('id', '=', heldId).executeTakeFirstOrThrow();
    expect(old.status).toBe('rerouted');
    const replacement = await referralRow(old.reroutedToId!);
    // a fresh promise, from now: sent by 14:00 BST on Thursday 4 June, then 14 days after 4 June,
    // to the end of Thursday 18 June
    expect(replacement).toMatchObject({ status: 'pending', heldUntil: null, forwardedAt: null });
    expect([replacement.forwardDueAt.toISOString(), replacement.contactDueAt!.toISOString()]).toEqual(['2026-06-04T13:00:00.000Z', '2026-06-18T23:00:00.000Z']);
    expect(await apiDates(old.reroutedToId!)).toEqual({ status: 'pending', heldUntil: null, forwardDueAt: '2026-06-04T13:00:00.000Z', contactDueAt: '2026-06-18T23:00:00.000Z' });
    // it goes now: its forward job is waiting, not delayed
    expect(await forwardJob(old.reroutedToId!)).toEqual({ state: 'waiting', delay: 0 });

    const after = textOf((await web.get(done.location!)).text);
    expect(after).toContain('Referral sent to the other agency');
    expect(after).toContain('0 referrals are waiting.');
    expect(after).toContain('No referral is waiting for a closed agency.');
    expect(after).not.toContain(held.referrals[0]!.reference + ':');
  });
});

// ---- 4: the falls service reopens early ----

describe('an agency that reopens before its day', () => {
  it('starts the clock that day: held until today, sent within 24 hours of now, the contact date earlier, an event saying why; the mail goes at once', async () => {
    ctx.clock.set('2026-06-08T09:00:00Z'); // Monday 8 June, 10:00 BST
    await setCapacity(falls, { status: 'closed', closedUntil: '2026-07-06' });
    const s = await submitFor(falls);
    const id = s.referrals[0]!.id;
    // held until Monday 6 July: sent by midnight at its end, contacted by the end of Monday 20 July
    expect(s.referrals[0]).toMatchObject({ heldUntil: '2026-07-06', forwardDueAt: '2026-07-06T23:00:00.000Z', contactDueAt: '2026-07-20T23:00:00.000Z' });

    // Wednesday 10 June, 12:00 BST: the falls service says it is taking referrals again
    ctx.clock.set('2026-06-10T11:00:00Z');
    const staff = await makeUser(ctx, 'agency', falls.agencyId);
    await setCapacity(falls, { status: 'accepting' }, staff.token);
    // the clock starts now: sent by 12:00 BST on Thursday 11 June; contacted 14 days after 11 June,
    // by the end of Thursday 25 June
    const now = { status: 'pending', heldUntil: '2026-06-10', forwardDueAt: '2026-06-11T11:00:00.000Z', contactDueAt: '2026-06-25T23:00:00.000Z' };
    expect(await apiDates(id)).toEqual(now);
    expect((await referralRow(id)).forwardDueAt.getTime()).toBe(ctx.clock.now().getTime() + 24 * HOUR);
    const last = (await events(id)).at(-1)!;
    expect(last).toEqual({ fromStatus: 'pending', toStatus: 'pending', reason: 'agency_reopened', note: 'The agency is taking referrals again from 10 June 2026: sent now' });
    // no longer held: off the coordinators' list
    expect(textOf((await (await signedIn(hubWeb)).get('/hub/held')).text)).not.toContain(s.referrals[0]!.reference);
    // its forward job, timed again: at once
    expect(await forwardJob(id)).toEqual({ state: 'waiting', delay: 0 });

    // the person's record now gives the new date, and no longer says it waits for 6 July
    const web = await signedIn(hubWeb);
    for (const path of [`/submissions/${s.id}`, `/submissions/${s.id}/postcard`]) {
      const text = textOf((await web.get(path)).text);
      expect(text, path).toMatch(/by Thursday 25 June 2026/);
      expect(text, path).not.toMatch(/6 July 2026|20 July 2026/);
      expect(text, path).not.toMatch(/not taking new referrals|Waits until/);
    }

    expect(await forwardReferral({ ...ctx, mailer }, id)).toBe('forwarded');
    const [mail] = await sink.waitFor(1, { filter: to(falls.email) });
    expect(mail!.subject).toContain(s.referrals[0]!.reference);
    // the agency is given the person's (new) date
    expect(mail!.text).toContain('Please contact them by Thursday 25 June 2026: that is the date the person has been given.');
    const row = await referralRow(id);
    expect(row.status).toBe('forwarded');
    expect(row.contactDueAt!.toISOString()).toBe('2026-06-25T23:00:00.000Z');
  });
});

// ---- 5: the smoking service stays closed longer ----

describe('an agency that extends its closure', () => {
  it('holds the referral until its new day D2: the dates move later, an event says so, and the job is timed for D2', async () => {
    ctx.clock.set('2026-06-15T09:00:00Z'); // Monday 15 June
    await setCapacity(smoking, { status: 'closed', closedUntil: '2026-07-06' });
    const s = await submitFor(smoking);
    const id = s.referrals[0]!.id;
    expect(s.referrals[0]).toMatchObject({ heldUntil: '2026-07-06', forwardDueAt: '2026-07-06T23:00:00.000Z', contactDueAt: '2026-07-20T23:00:00.000Z' });

    // Wednesday 17 June, 10:00 BST: closed until Monday 3 August now
    ctx.clock.set('2026-06-17T09:00:00Z');
    await setCapacity(smoking, { status: 'closed', closedUntil: '2026-08-03' });
    // sent by midnight at the end of 3 August; contacted by the end of Monday 17 August
    expect(await apiDates(id)).toEqual({ status: 'pending', heldUntil: '2026-08-03', forwardDueAt: '2026-08-03T23:00:00.000Z', contactDueAt: '2026-08-17T23:00:00.000Z' });
    const last = (await events(id)).at(-1)!;
    expect(last).toEqual({ fromStatus: 'pending', toStatus: 'pending', reason: 'agency_closed', note: 'The agency is now closed until 3 August 2026: the referral waits until then' });
    // timed for 00:00 BST on 3 August, from 10:00 BST on 17 June: 46 days and 14 hours
    expect(await forwardJob(id)).toEqual({ state: 'delayed', delay: 46 * DAY + 14 * HOUR });

    // the person's record gives the later dates only
    const web = await signedIn(hubWeb);
    for (const path of [`/submissions/${s.id}`, `/submissions/${s.id}/postcard`]) {
      const text = textOf((await web.get(path)).text);
      expect(text, path).toMatch(/by Monday 17 August 2026/);
      expect(text, path).toContain('They are not taking new referrals until 3 August 2026, so yours waits until then.');
      expect(text, path).not.toMatch(/6 July 2026|20 July 2026/);
    }

    // after the old day, before the new: still held, and nothing is late
    ctx.clock.set('2026-07-08T09:00:00Z');
    expect(await forwardReferral({ ...ctx, mailer }, id)).toBe('held');
    await runSweep(ctx);
    expect(await breachesOf(id)).toEqual([]);
    expect(await settle(sink, to(smoking.email))).toEqual([]);
    expect((await referralRow(id)).status).toBe('pending');
  });
});

// ---- 6: the drugs service's day comes ----

describe('the day the agency reopens', () => {
  let workers: TestWorkers | undefined;
  afterAll(async () => workers?.stop());

  it('from midnight (London) the sweep enqueues its forward job without delay, and it is forwarded with the contact date the person was given', async () => {
    ctx.clock.set('2026-07-08T10:00:00Z'); // Wednesday 8 July
    await setCapacity(drugs, { status: 'closed', closedUntil: '2026-07-27' });
    const s = await submitFor(drugs);
    const id = s.referrals[0]!.id;
    // held until Monday 27 July: sent by midnight at its end; contacted by the end of Monday 10 August
    expect(s.referrals[0]).toMatchObject({ heldUntil: '2026-07-27', forwardDueAt: '2026-07-27T23:00:00.000Z', contactDueAt: '2026-08-10T23:00:00.000Z' });

    // Redis loses the job (a restart without persistence) on the eve of D, 19:00 BST: the sweep
    // puts it back, timed for midnight BST, five hours on
    ctx.clock.set('2026-07-26T18:00:00Z');
    expect(await forwardQueue().remove(forwardJobId(id))).toBe(1);
    expect((await runSweep(ctx)).reenqueued.forward).toBe(1);
    expect(await forwardJob(id)).toEqual({ state: 'delayed', delay: 5 * HOUR });

    // 00:00:30 BST on Monday 27 July (still 26 July in UTC). In service the delayed job fires
    // now; here Redis keeps its own time, so the test takes the job away and the sweep finds the
    // referral with no job: due now, it is enqueued without a delay.
    ctx.clock.set('2026-07-26T23:00:30Z');
    expect(await forwardQueue().remove(forwardJobId(id))).toBe(1);
    const sweep = await runSweep(ctx);
    expect(sweep.reenqueued.forward).toBe(1);
    expect(await forwardJob(id)).toEqual({ state: 'waiting', delay: 0 });
    expect(await breachesOf(id)).toEqual([]);

    workers = await startTestWorkers(ctx, ['forward']);
    const [mail] = await sink.waitFor(1, { filter: to(drugs.email), timeoutMs: 20_000 });
    expect(mail!.text).toContain('Please contact them by Monday 10 August 2026: that is the date the person has been given.');
    // the mail is accepted before the worker's transaction commits
    const forwarded = await waitUntil(async () => {
      const row = await referralRow(id);
      return row.status === 'forwarded' ? row : null;
    });
    expect(forwarded.forwardedAt!.toISOString()).toBe('2026-07-26T23:00:30.000Z');
    // the contact deadline is the one the person was given at intake
    expect(forwarded.contactDueAt!.toISOString()).toBe('2026-08-10T23:00:00.000Z');
    // the hub's call: the working day after, Tuesday 11 August, by 17:00 BST
    const followUp = await ctx.db.selectFrom('followUps').select('dueAt').where('submissionId', '=', s.id).executeTakeFirstOrThrow();
    expect(followUp.dueAt.toISOString()).toBe('2026-08-11T16:00:00.000Z');
    expect(await breachesOf(id)).toEqual([]);
  });
});

// ---- 7: consent withdrawn, then the person erased ----

describe('a held referral whose person withdraws consent', () => {
  it('is cancelled like any pending one, with no agency told (it never had it); the person can then be erased, and the held job goes with them', async () => {
    ctx.clock.set('2026-07-28T09:00:00Z');
    await setCapacity(befriending, { status: 'closed', closedUntil: '2026-08-17' });
    const s = await submitFor(befriending);
    const r = s.referrals[0]!;
    expect(r.heldUntil).toBe('2026-08-17');
    expect((await forwardJob(r.id)).state).toBe('delayed');

    ctx.clock.advance(HOUR);
    const res = await api.post(`/api/v1/people/${s.personId}/consent-withdrawals`, coordinator.token, { recordedAt: ctx.clock.now().toISOString() });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.cancelled).toEqual([expect.objectContaining({ id: r.id, agencyId: befriending.agencyId, agencyTold: false })]);
    expect((await referralRow(r.id)).status).toBe('cancelled');
    expect((await events(r.id)).at(-1)).toMatchObject({ fromStatus: 'pending', toStatus: 'cancelled', reason: 'consent_withdrawn' });
    // the agency never had it: no mail about it, now or when its day comes
    expect(await ctx.db.selectFrom('notifications').select('kind').where('referralId', '=', r.id).execute()).toEqual([]);
    expect(await forwardReferral({ ...ctx, mailer }, r.id)).toBe('not_pending');
    expect(textOf((await (await signedIn(hubWeb)).get('/hub/held')).text)).not.toContain(r.reference);

    // nothing live is left, so the person can be erased: their held job leaves Redis with them
    const erased = await api.post(`/api/v1/people/${s.personId}/erasure`, admin.token, { reason: 'asked to be forgotten' });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(await forwardQueue().getJobState(forwardJobId(r.id))).toBe('unknown');

    // the day the agency reopens: still nothing goes to it
    ctx.clock.set('2026-08-16T23:00:30Z');
    expect(await forwardReferral({ ...ctx, mailer }, r.id)).toBe('not_pending');
    await runSweep(ctx);
    expect(await forwardQueue().getJobState(forwardJobId(r.id))).toBe('unknown');
    expect(await settle(sink, to(befriending.email))).toEqual([]);
  });
});
