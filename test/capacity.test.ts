/**
 * Agency capacity: an agency says what it can take (API, pages, the link in its reminder mail),
 * the hub sees who said what and what is unconfirmed, and intake routes around a closed agency:
 * to a question's fallback (the reason recorded), or, with none, the referral waits and the
 * coordinators are told; the mail link refused for another agency or once expired, and the hub's
 * capacity page refused to agency users and link workers. Real Postgres, Redis and SMTP sink;
 * time moved by the ManualClock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR } from '../src/kernel/clock.js';
import { writeCapacity } from '../src/modules/capacity/capacity.repository.js';
import { capacityLinkFor } from '../src/modules/capacity/capacity-link.js';
import { capacityOverview } from '../src/modules/capacity/capacity.service.js';
import { sendContactReminders } from '../src/modules/sla/reminder.service.js';
import { apiClient } from './helpers/api.js';
import { makeWebUser } from './helpers/browser.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { forward } from './helpers/sla-fixtures.js';
import { startTestSink, type SmtpSink } from './helpers/smtp-sink.js';
import { WebClient } from './helpers/web-client.js';

let ctx: TestContext;
let sink: SmtpSink;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let worker: TestUser;
let coordinator: TestUser;
// the agencies of three questions, each its own agency
let fire: { questionId: string; agencyId: string };
let advice: { questionId: string; agencyId: string };
let council: { questionId: string; agencyId: string };
let fireUser: TestUser;
let adviceUser: TestUser;

const put = (path: string, token: string, body: unknown) => api.call('PUT', path, { token, body });
const capacityPath = (agencyId: string) => `/api/v1/agencies/${agencyId}/capacity`;
const day = (days: number) => new Date(ctx.clock.now().getTime() + days * DAY).toISOString().slice(0, 10);

beforeAll(async () => {
  sink = await startTestSink();
  ctx = await createTestContext({ SMTP_URL: sink.url, PUBLIC_URL: 'https://signpost.test' });
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  const pick = (i: number) => ({ questionId: q.questions[i]!.id, agencyId: q.questions[i]!.agencyId });
  fire = pick(0);
  advice = pick(15);
  council = pick(q.questions.findIndex((x) => x.agencyId !== fire.agencyId && x.agencyId !== advice.agencyId));
  worker = await makeUser(ctx, 'link_worker');
  coordinator = await makeUser(ctx, 'coordinator');
  fireUser = await makeUser(ctx, 'agency', fire.agencyId);
  adviceUser = await makeUser(ctx, 'agency', advice.agencyId);
});
afterAll(async () => {
  await ctx?.close();
  await sink?.stop();
});

async function submit(yes: string[]) {
  const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, yes));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as {
    id: string;
    referrals: { id: string; agencyId: string; questionIds: string[]; heldUntil: string | null; contactDueAt: string; capacity: { status: string; waitWeeks: number | null; closedUntil: string | null; likelyWait: string | null; fallbackFor: { agencyId: string; questionIds: string[] }[] } }[];
  };
}

describe('an agency says what it can take (API)', () => {
  it('sets each status for its own agency, and reads who said it', async () => {
    let res = await put(capacityPath(fire.agencyId), fireUser.token, { status: 'waiting_list', waitWeeks: 6 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ agencyId: fire.agencyId, status: 'waiting_list', waitWeeks: 6, closedUntil: null, unconfirmed: false, confirmedByLabel: fireUser.name });

    res = await put(capacityPath(fire.agencyId), fireUser.token, { status: 'closed', closedUntil: day(30) });
    expect(res.body).toMatchObject({ status: 'closed', closedUntil: day(30), waitWeeks: null });

    res = await put(capacityPath(fire.agencyId), fireUser.token, { status: 'accepting' });
    expect(res.body).toMatchObject({ status: 'accepting', waitWeeks: null, closedUntil: null });
    // the same again is a confirmation, kept in the history as one
    await put(capacityPath(fire.agencyId), fireUser.token, { status: 'accepting' });

    const got = await api.get(capacityPath(fire.agencyId), fireUser.token);
    expect(got.status).toBe(200);
    expect(got.body.history.map((h: { status: string; confirmedOnly: boolean; via: string }) => [h.status, h.confirmedOnly, h.via])).toEqual([
      ['accepting', true, 'api'],
      ['accepting', false, 'api'],
      ['closed', false, 'api'],
      ['waiting_list', false, 'api'],
    ]);
  });

  it('answers 403 for another agency’s capacity, and to a link worker; a coordinator sets any', async () => {
    expect((await put(capacityPath(advice.agencyId), fireUser.token, { status: 'accepting' })).status).toBe(403);
    expect((await api.get(capacityPath(advice.agencyId), fireUser.token)).status).toBe(403);
    expect((await api.get(capacityPath(advice.agencyId), worker.token)).status).toBe(403);
    expect((await put(capacityPath(advice.agencyId), worker.token, { status: 'accepting' })).status).toBe(403);
    const res = await put(capacityPath(advice.agencyId), coordinator.token, { status: 'accepting' });
    expect(res.status).toBe(200);
    expect(res.body.confirmedByLabel).toBe(coordinator.name);
    expect((await api.get(capacityPath('00000000-0000-4000-8000-000000000000'), coordinator.token)).status).toBe(404);
  });

  it('answers 400 naming the field and the reason, and changes nothing', async () => {
    const before = await api.get(capacityPath(fire.agencyId), fireUser.token);
    const cases: [unknown, string, RegExp][] = [
      [{ status: 'waiting_list' }, 'waitWeeks', /required/],
      [{ status: 'waiting_list', waitWeeks: 0 }, 'waitWeeks', /at least 1/],
      [{ status: 'waiting_list', waitWeeks: 105 }, 'waitWeeks', /at most 104/],
      [{ status: 'waiting_list', waitWeeks: 2.5 }, 'waitWeeks', /whole number/],
      [{ status: 'accepting', waitWeeks: 3 }, 'waitWeeks', /only for a waiting list/],
      [{ status: 'closed' }, 'closedUntil', /required/],
      [{ status: 'closed', closedUntil: '3 March' }, 'closedUntil', /date/],
      [{ status: 'closed', closedUntil: day(0) }, 'closedUntil', /after today/],
      [{ status: 'closed', closedUntil: day(-3) }, 'closedUntil', /after today/],
      [{ status: 'full' }, 'status', /one of/],
      [{ status: 'accepting', extra: 1 }, '(body)', /extra/],
    ];
    for (const [body, path, message] of cases) {
      const res = await put(capacityPath(fire.agencyId), fireUser.token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const details = res.body.error.details as { path: string; message: string }[];
      expect(details.some((d) => d.path === path && message.test(d.message)), JSON.stringify(details)).toBe(true);
    }
    const after = await api.get(capacityPath(fire.agencyId), fireUser.token);
    expect(after.body.history).toEqual(before.body.history);
  });
});

describe('at referral', () => {
  it('carries a waiting list’s wait in the submission response, and records it on the referral', async () => {
    await put(capacityPath(advice.agencyId), adviceUser.token, { status: 'waiting_list', waitWeeks: 6 });
    const s = await submit([advice.questionId]);
    const r = s.referrals[0]!;
    expect(r.agencyId).toBe(advice.agencyId);
    expect(r.capacity).toMatchObject({ status: 'waiting_list', waitWeeks: 6, fallbackFor: [] });

    // the checklist says so beside the question, the confirmation and the printed record tell the person
    const web = new WebClient(ctx.baseUrl);
    const hubUser = await makeWebUser(ctx, 'coordinator');
    await web.signIn(hubUser.email, hubUser.password);
    expect((await web.get('/checklist')).text).toMatch(/Sent to [^<]*\. Waiting list: usually 6 weeks/);
    expect((await web.get(`/submissions/${s.id}?sent=1`)).text).toContain('it is usually about 6 weeks before they can help');
    expect((await web.get(`/submissions/${s.id}/postcard`)).text).toContain('it is usually about 6 weeks before they can help');
    expect(r.capacity.likelyWait).toContain('usually about 6 weeks');
    const routing = await ctx.db.selectFrom('referralRoutings').selectAll().where('referralId', '=', r.id).executeTakeFirstOrThrow();
    expect(routing).toMatchObject({ capacity: 'waiting_list', waitWeeks: 6 });
    // an agency accepting without a wait adds nothing
    await put(capacityPath(advice.agencyId), adviceUser.token, { status: 'accepting' });
    const plain = (await submit([advice.questionId])).referrals[0]!;
    expect(plain.capacity).toMatchObject({ status: 'accepting', likelyWait: null });
    expect(await ctx.db.selectFrom('referralRoutings').select('referralId').where('referralId', '=', plain.id).executeTakeFirst()).toBeUndefined();
  });

  it('routes a closed agency’s question to its fallback, recording that it did and why', async () => {
    // a new checklist version whose fire question falls back to the council's agency
    const draft = await api.post('/api/v1/questionnaires', coordinator.token, { copyFrom: 'current' });
    expect(draft.status).toBe(201);
    const sections = (draft.body.sections as { title: string; questions: { text: string; agencyId: string }[] }[]).map((s) => ({
      title: s.title,
      questions: s.questions.map((x, i) => ({ text: x.text, agencyId: x.agencyId, ...(s === draft.body.sections[0] && i === 0 ? { fallbackAgencyId: council.agencyId } : {}) })),
    }));
    expect(sections[0]!.questions[0]!.agencyId).toBe(fire.agencyId);
    // its own agency as fallback is refused
    const bad = await api.patch(`/api/v1/questionnaires/${draft.body.id}`, coordinator.token, {
      sections: sections.map((s, si) => ({ ...s, questions: s.questions.map((x, qi) => (si === 0 && qi === 0 ? { ...x, fallbackAgencyId: fire.agencyId } : x)) })),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('sections.0.questions.0.fallbackAgencyId');
    expect((await api.patch(`/api/v1/questionnaires/${draft.body.id}`, coordinator.token, { sections })).status).toBe(200);
    const published = await api.post(`/api/v1/questionnaires/${draft.body.id}/publish`, coordinator.token);
    expect(published.status).toBe(200);
    const current = await api.get('/api/v1/questionnaire', worker.token);
    q = { ...current.body, questions: current.body.sections.flatMap((s: { questions: unknown[] }) => s.questions) };
    const fireQ = q.questions[0] as unknown as { id: string; fallbackAgencyId: string };
    expect(fireQ.fallbackAgencyId).toBe(council.agencyId);
    fire = { ...fire, questionId: fireQ.id };
    // the new version's questions have new ids
    council = { ...council, questionId: q.questions.find((x) => x.agencyId === council.agencyId)!.id };
    advice = { ...advice, questionId: q.questions.find((x) => x.agencyId === advice.agencyId)!.id };

    await put(capacityPath(fire.agencyId), fireUser.token, { status: 'closed', closedUntil: '2026-03-03' });
    const s = await submit([fire.questionId, council.questionId]);
    // one referral, to the council's agency, carrying both questions
    expect(s.referrals).toHaveLength(1);
    const r = s.referrals[0]!;
    expect(r.agencyId).toBe(council.agencyId);
    expect(r.questionIds).toEqual([fire.questionId, council.questionId]);
    expect(r.capacity.fallbackFor).toEqual([expect.objectContaining({ agencyId: fire.agencyId, questionIds: [fire.questionId], closedUntil: '2026-03-03' })]);

    const routing = await ctx.db.selectFrom('referralRoutings').selectAll().where('referralId', '=', r.id).executeTakeFirstOrThrow();
    expect(routing.fallbacks).toEqual([{ fromAgencyId: fire.agencyId, questionIds: [fire.questionId], closedUntil: '2026-03-03' }]);
    expect(routing.note).toMatch(/instead of Fire & rescue.*closed to new referrals until 3 March 2026/);
    // the referral's history says so, next to its creation, for the hub and the agency
    const referral = await api.get(`/api/v1/referrals/${r.id}`, coordinator.token);
    const events = referral.body.events as { fromStatus: string | null; toStatus: string; reason: string | null; note: string | null }[];
    expect(events.map((e) => [e.fromStatus, e.toStatus, e.reason])).toEqual([
      [null, 'pending', null],
      ['pending', 'pending', 'routed_to_fallback'],
    ]);
    expect(events[1]!.note).toBe(routing.note);
    // the referral page says how it was routed
    const web = new WebClient(ctx.baseUrl);
    const hubUser = await makeWebUser(ctx, 'coordinator');
    await web.signIn(hubUser.email, hubUser.password);
    expect((await web.get(`/hub/referrals/${r.id}`)).text).toMatch(/How it was routed[\s\S]*instead of Fire &amp; rescue/);
  });

  it('routes again from Postgres when another process closed the agency after this one cached it', async () => {
    await put(capacityPath(fire.agencyId), fireUser.token, { status: 'accepting' });
    await ctx.capacities.records(); // this process now believes the fire service is accepting
    // another API process takes the fire service's word: this process's cache is not told
    await ctx.db.transaction().execute((trx) =>
      writeCapacity(trx, { agencyId: fire.agencyId, status: 'closed', waitWeeks: null, closedUntil: '2026-02-01', at: ctx.clock.now(), actorUserId: fireUser.id, actorLabel: fireUser.name, via: 'api' }),
    );
    const s = await submit([fire.questionId]);
    expect(s.referrals.map((r) => r.agencyId)).toEqual([council.agencyId]);
  });

  it('without a fallback, makes the referral, which waits for the agency to reopen (test/held-referrals.test.ts)', async () => {
    await put(capacityPath(advice.agencyId), adviceUser.token, { status: 'closed', closedUntil: '2026-02-20' });
    const s = await submit([advice.questionId]);
    const r = s.referrals[0]!;
    expect(r.agencyId).toBe(advice.agencyId);
    expect(r.capacity).toMatchObject({ status: 'closed', closedUntil: '2026-02-20' });
    expect(r.capacity.likelyWait).toContain('not taking new referrals until 20 February 2026');
    expect(r.heldUntil).toBe('2026-02-20');
    const routing = await ctx.db.selectFrom('referralRoutings').selectAll().where('referralId', '=', r.id).executeTakeFirstOrThrow();
    expect(routing.note).toMatch(/no fallback agency: the referral waits/);
    // the agency reopens: the referral's clock starts now
    await put(capacityPath(advice.agencyId), adviceUser.token, { status: 'accepting' });
    const after = await ctx.db.selectFrom('referrals').select(['heldUntil', 'forwardDueAt']).where('id', '=', r.id).executeTakeFirstOrThrow();
    expect(after.forwardDueAt.getTime()).toBe(ctx.clock.now().getTime() + 24 * HOUR);
  });
});

describe('unconfirmed', () => {
  it('shows a capacity not confirmed for 30 days as unconfirmed, and a closing date that has come as accepting but unconfirmed', async () => {
    await put(capacityPath(council.agencyId), coordinator.token, { status: 'waiting_list', waitWeeks: 3 });
    const overview = async () => (await capacityOverview(ctx, { userId: coordinator.id, name: coordinator.name, role: 'coordinator', agencyId: null })).find((c) => c.agencyId === council.agencyId)!;
    expect(await overview()).toMatchObject({ status: 'waiting_list', unconfirmed: false });
    ctx.clock.advance(29 * DAY);
    expect((await overview()).unconfirmed).toBe(false);
    ctx.clock.advance(DAY + HOUR);
    expect(await overview()).toMatchObject({ status: 'waiting_list', unconfirmed: true });
    expect((await api.get(capacityPath(council.agencyId), coordinator.token)).body.unconfirmed).toBe(true);

    await put(capacityPath(council.agencyId), coordinator.token, { status: 'closed', closedUntil: day(2) });
    expect(await overview()).toMatchObject({ status: 'closed', unconfirmed: false });
    ctx.clock.advance(2 * DAY);
    expect(await overview()).toMatchObject({ status: 'accepting', closedUntil: null, unconfirmed: true, reopened: true });
  });
});

describe('the reminder mail’s link', () => {
  it('opens the page without confirming anything; its POST confirms, through the link or signed in', async () => {
    // an advice referral close to its contact date: the advice team (no web accounts) gets a reminder
    await put(capacityPath(advice.agencyId), adviceUser.token, { status: 'accepting' });
    const s = await submit([advice.questionId]);
    await forward(ctx, [s.referrals[0]!.id]);
    // two days before the contact date (REMINDER_DAYS_BEFORE is 4)
    ctx.clock.set(new Date(new Date(s.referrals[0]!.contactDueAt).getTime() - 2 * DAY));
    await sendContactReminders(ctx);
    const mail = await ctx.db.selectFrom('notifications').select('bodyText').where('kind', '=', 'contact_reminder').where('agencyId', '=', advice.agencyId).executeTakeFirstOrThrow();
    const link = /https:\/\/signpost\.test(\/capacity\/[^\s]+)/.exec(mail.bodyText)?.[1];
    expect(mail.bodyText).toContain('Still accepting referrals?');
    expect(link).toMatch(new RegExp(`^/capacity/${advice.agencyId}/\\d+/[A-Za-z0-9_-]+$`));

    const confirmed = async () => (await ctx.db.selectFrom('agencyCapacity').select('confirmedAt').where('agencyId', '=', advice.agencyId).executeTakeFirstOrThrow()).confirmedAt;
    const changes = async () => (await ctx.db.selectFrom('agencyCapacityChanges').select('id').where('agencyId', '=', advice.agencyId).execute()).length;
    const [before, beforeChanges] = [await confirmed(), await changes()];
    ctx.clock.advance(HOUR);

    // a mail scanner (or the agency) opens it twice: nothing changes
    const web = new WebClient(ctx.baseUrl);
    const page = await web.get(link!);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Yes, still accepting');
    await web.get(link!);
    expect(await confirmed()).toEqual(before);
    expect(await changes()).toBe(beforeChanges);

    // a POST without the page's token, or to a forged link, is refused
    expect((await web.post(`${link}/confirm`, { _csrf: 'nope' })).status).toBe(403);
    const forged = link!.replace(/[A-Za-z0-9_-]$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await web.get(forged)).status).toBe(404);
    expect(await changes()).toBe(beforeChanges);

    const res = await web.post(`${link}/confirm`, { _csrf: WebClient.csrfOf(page.text) });
    expect(res.status).toBe(303);
    expect((await confirmed()).getTime()).toBe(ctx.clock.now().getTime());
    const last = await ctx.db.selectFrom('agencyCapacityChanges').selectAll().where('agencyId', '=', advice.agencyId).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(last).toMatchObject({ status: 'accepting', confirmedOnly: true, via: 'mail_link', actorUserId: null });
    expect(last.actorLabel).toContain('agency link: ');

    // the change form, through the link: a waiting list
    const changed = await web.post(link!, { _csrf: WebClient.csrfOf(page.text), status: 'waiting_list', waitWeeks: '4' });
    expect(changed.status).toBe(303);
    expect((await api.get(capacityPath(advice.agencyId), adviceUser.token)).body).toMatchObject({ status: 'waiting_list', waitWeeks: 4 });
  });

  it('sends an agency whose staff sign in to its own page, where GET changes nothing and POST confirms', async () => {
    const staff = await makeWebUser(ctx, 'agency', fire.agencyId);
    await put(capacityPath(fire.agencyId), fireUser.token, { status: 'accepting' });
    const s = await submit([fire.questionId]);
    // the fire service is accepting again: its own referral
    expect(s.referrals[0]!.agencyId).toBe(fire.agencyId);
    await forward(ctx, [s.referrals[0]!.id]);
    ctx.clock.set(new Date(new Date(s.referrals[0]!.contactDueAt).getTime() - 2 * DAY));
    await sendContactReminders(ctx);
    const mail = await ctx.db.selectFrom('notifications').select('bodyText').where('kind', '=', 'contact_reminder').where('agencyId', '=', fire.agencyId).orderBy('createdAt', 'desc').executeTakeFirstOrThrow();
    expect(mail.bodyText).toContain('https://signpost.test/agency/capacity');
    expect(mail.bodyText).not.toContain('/capacity/');

    const web = new WebClient(ctx.baseUrl);
    expect((await web.get('/agency/capacity')).status).toBe(303); // to sign in
    await web.signIn(staff.email, staff.password);
    const before = await ctx.db.selectFrom('agencyCapacityChanges').select('id').where('agencyId', '=', fire.agencyId).execute();
    const page = await web.get('/agency/capacity');
    expect(page.status).toBe(200);
    expect((await ctx.db.selectFrom('agencyCapacityChanges').select('id').where('agencyId', '=', fire.agencyId).execute()).length).toBe(before.length);
    // the form's errors, inline
    const invalid = await web.post('/agency/capacity', { _csrf: WebClient.csrfOf(page.text), status: 'closed' });
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain('Enter the date you open again');
    const res = await web.post('/agency/capacity/confirm', { _csrf: WebClient.csrfOf(page.text) });
    expect(res.status).toBe(303);
    const last = await ctx.db.selectFrom('agencyCapacityChanges').selectAll().where('agencyId', '=', fire.agencyId).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(last).toMatchObject({ confirmedOnly: true, via: 'page', actorUserId: staff.id });
  });
});

describe('who may use the capacity pages', () => {
  const changesOf = async (agencyId: string) => (await ctx.db.selectFrom('agencyCapacityChanges').select('id').where('agencyId', '=', agencyId).execute()).length;

  it('refuses the mail link with another agency’s id in it, and once it has expired, changing nothing', async () => {
    const link = new URL(await capacityLinkFor(ctx.db, ctx.env, advice.agencyId, ctx.clock.now())).pathname;
    expect(link).toMatch(new RegExp(`^/capacity/${advice.agencyId}/\\d+/[A-Za-z0-9_-]+$`));
    const web = new WebClient(ctx.baseUrl);
    const page = await web.get(link);
    expect(page.status).toBe(200);
    const csrf = WebClient.csrfOf(page.text);
    const [adviceBefore, councilBefore] = [await changesOf(advice.agencyId), await changesOf(council.agencyId)];

    // the advice team's signature on the council's id: not a link to either
    const swapped = link.replace(advice.agencyId, council.agencyId);
    for (const res of [await web.get(swapped), await web.post(`${swapped}/confirm`, { _csrf: csrf }), await web.post(swapped, { _csrf: csrf, status: 'closed', 'closedUntil[day]': '1', 'closedUntil[month]': '1', 'closedUntil[year]': '2099' })]) {
      expect(res.status).toBe(404);
      expect(res.text).toContain('This link no longer works');
    }

    // the same genuine link, a day after it ran out (AGENCY_LINK_TTL_DAYS), with the token its page gave
    ctx.clock.advance((ctx.env.AGENCY_LINK_TTL_DAYS + 1) * DAY);
    for (const res of [await web.get(link), await web.post(`${link}/confirm`, { _csrf: csrf }), await web.post(link, { _csrf: csrf, status: 'waiting_list', waitWeeks: '9' })]) {
      expect(res.status).toBe(404);
      expect(res.text).toContain('This link no longer works');
    }
    expect([await changesOf(advice.agencyId), await changesOf(council.agencyId)]).toEqual([adviceBefore, councilBefore]);
  });

  it('refuses the hub’s capacity page to an agency user (its own agency’s or another’s) and to a link worker, read or write', async () => {
    const [fireBefore, adviceBefore] = [await changesOf(fire.agencyId), await changesOf(advice.agencyId)];
    for (const [who, user, ownPage] of [
      ['agency', await makeWebUser(ctx, 'agency', fire.agencyId), '/agency/capacity'],
      ['link worker', await makeWebUser(ctx, 'link_worker'), '/checklist'],
    ] as const) {
      const web = new WebClient(ctx.baseUrl);
      expect((await web.signIn(user.email, user.password)).status).toBe(303);
      const csrf = WebClient.csrfOf((await web.get(ownPage)).text);
      for (const agencyId of [fire.agencyId, advice.agencyId]) {
        const base = `/hub/agencies/${agencyId}/capacity`;
        for (const res of [await web.get(base), await web.post(base, { _csrf: csrf, status: 'waiting_list', waitWeeks: '9' }), await web.post(`${base}/confirm`, { _csrf: csrf })]) {
          expect(res.status, `${who}: ${base}`).toBe(403);
          // the role's refusal, not the CSRF check's
          expect(res.text, `${who}: ${base}`).toContain('You cannot see this page');
        }
      }
    }
    expect([await changesOf(fire.agencyId), await changesOf(advice.agencyId)]).toEqual([fireBefore, adviceBefore]);
  });
});
