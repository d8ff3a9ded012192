/**
 * Erasure wins every race, against the real app and Postgres: an erasure on request and a new
 * checklist for the same person (same names, date of birth and postcode) started together, many
 * times; retention running while checklists arrive for the people it is erasing; a coordinator
 * reopening an erased person's referral, alone and while the erasure runs. Afterwards an erased
 * row holds no identifier, none of its versions is left, nothing of it is open, and a checklist
 * that came after the erasure belongs to a new person.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../src/kernel/clock.js';
import { runRetention } from '../src/modules/people/erasure.service.js';
import { apiClient } from './helpers/api.js';
import { makeWebUser } from './helpers/browser.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { randomDateOfBirth, uniqueLetters } from './helpers/people.js';
import { markForwarded } from './helpers/referrals.js';
import { WebClient } from './helpers/web-client.js';

let ctx: TestContext;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let worker: TestUser;
let coordinator: TestUser;
let admin: TestUser;

beforeAll(async () => {
  // every pair holds two connections at once, and several pairs run together
  ctx = await createTestContext({}, { poolSize: 40 });
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  worker = await makeUser(ctx, 'link_worker');
  coordinator = await makeUser(ctx, 'coordinator');
  admin = await makeUser(ctx, 'admin');
});
afterAll(async () => ctx?.close());

/** A person the intake can only match to themselves: letters of their own, a birthday of their own. */
function someone() {
  const letters = uniqueLetters();
  return { givenName: `Winifred${letters.slice(0, 3)}`, familyName: `Race${letters}`, dateOfBirth: randomDateOfBirth(), postcode: 'SE1 7PB', phone: '020 7946 0999', email: `w.${letters}@example.net`, addressLine: `${letters} Road`, preferredContact: 'phone' };
}
type Someone = ReturnType<typeof someone>;

const checklist = (p: Someone, yes: string[]) => api.post('/api/v1/submissions', worker.token, submissionBody(q, yes, { person: p }));
const erase = (personId: string) => api.post(`/api/v1/people/${personId}/erasure`, admin.token, { reason: 'The person asked us to erase their details' });

/** A person known from one closed checklist (every answer "no"), so that erasure is allowed. */
async function closedPerson(p: Someone): Promise<string> {
  const res = await checklist(p, []);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.personId as string;
}

const IDENTIFYING = ['givenName', 'familyName', 'dateOfBirth', 'postcode', 'phone', 'email', 'addressLine', 'nhsNumber', 'normGiven', 'normFamily', 'normPostcode', 'preferredContact', 'language', 'accessNeeds'] as const;

const erasedCount = async () => Number((await ctx.db.selectFrom('people').select((e) => e.fn.countAll<string>().as('n')).where('erasedAt', 'is not', null).executeTakeFirstOrThrow()).n);

/** What is wrong with an erased person now: identifiers on the row, versions left, anything open. */
async function leftOver(personId: string): Promise<string[]> {
  const row = await ctx.db.selectFrom('people').selectAll().where('id', '=', personId).executeTakeFirstOrThrow();
  const problems: string[] = [];
  if (!row.erasedAt) problems.push('not erased');
  for (const k of IDENTIFYING) if (row[k] !== null) problems.push(`people.${k} = ${String(row[k])}`);
  const versions = await ctx.db.selectFrom('personVersions').select(['id', 'dateOfBirth']).where('personId', '=', personId).execute();
  if (versions.length) problems.push(`${versions.length} person_versions row(s), e.g. date of birth ${versions[0]!.dateOfBirth}`);
  const open = await ctx.db.selectFrom('submissions').select('reference').where('personId', '=', personId).where('status', '=', 'open').execute();
  if (open.length) problems.push(`open checklist ${open.map((s) => s.reference).join(', ')}`);
  const live = await ctx.db
    .selectFrom('referrals as r')
    .innerJoin('submissions as s', 's.id', 'r.submissionId')
    .select(['r.reference', 'r.status'])
    .where('s.personId', '=', personId)
    .where('r.status', 'not in', ['completed', 'unable_to_contact', 'declined', 'rerouted', 'cancelled'])
    .execute();
  if (live.length) problems.push(`live referral ${live.map((r) => `${r.reference} ${r.status}`).join(', ')}`);
  return problems.map((x) => `${personId}: ${x}`);
}

describe('an erasure and a checklist for the same person, at the same moment', () => {
  const PAIRS = 60;
  const AT_ONCE = 6;

  it(`leaves no identifier on the erased row, whichever commits first (${PAIRS} pairs)`, async () => {
    const people = Array.from({ length: PAIRS }, () => someone());
    const ids = await Promise.all(people.map((p) => closedPerson(p)));
    const problems: string[] = [];
    const seen = { erasedThenNew: 0, checklistFirst: 0, refusedStillOpen: 0 };
    for (let i = 0; i < PAIRS; i += AT_ONCE) {
      await Promise.all(
        people.slice(i, i + AT_ONCE).map(async (p, k) => {
          const n = i + k;
          const personId = ids[n]!;
          // most come with a "yes" (an open checklist and a referral); some with every answer "no"
          const yes = n % 3 === 2 ? [] : [q.questions[0]!.id];
          // started together, the checklist sometimes a few milliseconds later: both orders, and every overlap between
          const [erased, sent] = await Promise.all([erase(personId), sleep((n % 8) * 3).then(() => checklist(p, yes))]);
          if (sent.status !== 201) return void problems.push(`pair ${n}: checklist ${sent.status} ${JSON.stringify(sent.body)}`);
          if (erased.status === 409 && erased.body.error.code === 'still_open') {
            // the checklist came first and is open: the erasure was rightly refused
            seen.refusedStillOpen++;
            if (sent.body.personId !== personId) problems.push(`pair ${n}: refused as still open, yet the checklist went to another person`);
            return;
          }
          if (erased.status !== 200) return void problems.push(`pair ${n}: erasure ${erased.status} ${JSON.stringify(erased.body)}`);
          problems.push(...(await leftOver(personId)));
          if (sent.body.personId === personId) {
            // the checklist committed first and the erasure took it too: only possible for a closed one
            seen.checklistFirst++;
            if (yes.length) problems.push(`pair ${n}: an open checklist was joined to the person being erased`);
          } else {
            seen.erasedThenNew++;
            const fresh = await ctx.db.selectFrom('people').select(['familyName', 'dateOfBirth', 'erasedAt']).where('id', '=', sent.body.personId).executeTakeFirstOrThrow();
            expect(fresh).toEqual({ familyName: p.familyName, dateOfBirth: p.dateOfBirth, erasedAt: null });
          }
        }),
      );
    }
    expect(problems).toEqual([]);
    // the race was run both ways round
    expect(seen.erasedThenNew).toBeGreaterThan(0);
    expect(seen.erasedThenNew + seen.checklistFirst + seen.refusedStillOpen).toBe(PAIRS);
  });
});

describe('retention while checklists arrive for the people it erases', () => {
  it('erases each person whole or not at all, and the checklists that came after make new people', async () => {
    const people = Array.from({ length: 150 }, () => someone());
    const ids = await Promise.all(people.map((p) => closedPerson(p)));
    // past retention (24 months after the checklist closed, plus a day)
    ctx.clock.advance((2 * 366 + 1) * DAY);
    const erasedBefore = await erasedCount();
    // while retention works through them (two batches), checklists for them arrive in four lanes
    const sent: Awaited<ReturnType<typeof checklist>>[] = [];
    const lanes = [0, 1, 2, 3].map(async (lane) => {
      for (let i = lane; i < people.length; i += 4) sent[i] = await checklist(people[i]!, i % 2 ? [] : [q.questions[0]!.id]);
    });
    const [ran] = await Promise.all([runRetention(ctx, { dryRun: false }), ...lanes]);
    expect(sent.map((s) => s.status)).toEqual(people.map(() => 201));
    const problems: string[] = [];
    const seen = { erased: 0, erasedThenNew: 0, checklistFirst: 0 };
    for (const [i, personId] of ids.entries()) {
      const row = await ctx.db.selectFrom('people').select('erasedAt').where('id', '=', personId).executeTakeFirstOrThrow();
      if (!row.erasedAt) {
        // the checklist came first: the person is active again, and theirs
        seen.checklistFirst++;
        if (sent[i]!.body.personId !== personId) problems.push(`${personId}: not erased, yet their checklist went to another person`);
        continue;
      }
      seen.erased++;
      problems.push(...(await leftOver(personId)));
      if (sent[i]!.body.personId !== personId) seen.erasedThenNew++;
      // a closed checklist that came first may be erased with the person; an open one never
      else if (i % 2 === 0) problems.push(`${personId}: an open checklist was joined to a person retention erased`);
    }
    expect(problems).toEqual([]);
    expect(await erasedCount()).toBe(erasedBefore + ran.erased);
    expect(seen.erasedThenNew).toBeGreaterThan(0);
  });
});

describe("an erased person's referrals", () => {
  /** A person whose one referral reached its agency and was then cancelled; the checklist closed. */
  async function cancelledAfterForward(): Promise<{ personId: string; referralId: string }> {
    const res = await checklist(someone(), [q.questions[0]!.id]);
    expect(res.status).toBe(201);
    const referralId = res.body.referrals[0].id as string;
    await markForwarded(ctx, referralId);
    const cancelled = await api.post(`/api/v1/referrals/${referralId}/transitions`, coordinator.token, { to: 'cancelled', reason: 'entered in error' });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    // the hub's call has nothing left to ask: record it so that the checklist closes
    const followUp = await ctx.db.selectFrom('followUps').select('id').where('submissionId', '=', res.body.id).executeTakeFirstOrThrow();
    const call = await api.post(`/api/v1/follow-ups/${followUp.id}`, coordinator.token, { contactMade: true, outcomes: [] });
    expect(call.status, JSON.stringify(call.body)).toBe(200);
    const sub = await ctx.db.selectFrom('submissions').select('status').where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(sub.status).toBe('closed');
    return { personId: res.body.personId, referralId };
  }

  const reopen = (referralId: string, note = 'Reopened: the person rang back') => api.post(`/api/v1/referrals/${referralId}/transitions`, coordinator.token, { to: 'accepted', note });

  it('cannot be reopened or moved with new words, on the API or the page, and show no next step', async () => {
    const { personId, referralId } = await cancelledAfterForward();
    expect((await erase(personId)).status).toBe(200);

    const res = await reopen(referralId);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('person_erased');
    // refused before anything else is judged: even a request missing its note
    const bare = await api.post(`/api/v1/referrals/${referralId}/transitions`, coordinator.token, { to: 'accepted' });
    expect(bare.status).toBe(409);
    expect(bare.body.error.code).toBe('person_erased');
    const shown = await api.get(`/api/v1/referrals/${referralId}`, coordinator.token);
    expect(shown.body.allowedNext).toEqual([]);

    const web = await makeWebUser(ctx, 'coordinator');
    const client = new WebClient(ctx.baseUrl);
    expect((await client.signIn(web.email, web.password)).status).toBe(303);
    const page = await client.get(`/hub/referrals/${referralId}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('name="to"');
    expect(page.text).toContain('the person’s details were erased, so this referral cannot be reopened or changed');
    // the form as it was before the erasure, posted anyway (the page has no form now: the token from another)
    const posted = await client.postWithCsrf('/hub/organisations', `/hub/referrals/${referralId}`, { to: 'accepted', note: 'Reopened by the page' });
    expect(posted.status).toBe(409);
    expect(posted.text).toContain('This person’s details were erased, so their referrals cannot be reopened or changed.');

    const r = await ctx.db.selectFrom('referrals').select('status').where('id', '=', referralId).executeTakeFirstOrThrow();
    expect(r.status).toBe('cancelled');
    const notes = await ctx.db.selectFrom('referralEvents').select('note').where('referralId', '=', referralId).where('note', 'is not', null).execute();
    expect(notes).toEqual([]);
  });

  it('cannot be reopened by a coordinator while the erasure runs (20 pairs)', async () => {
    const problems: string[] = [];
    let erasedFirst = 0;
    for (let i = 0; i < 20; i++) {
      const { personId, referralId } = await cancelledAfterForward();
      const [erased, reopened] = await Promise.all([erase(personId), reopen(referralId)]);
      if (reopened.status === 200) {
        if (erased.status !== 409 || erased.body.error.code !== 'still_open') problems.push(`pair ${i}: reopened, yet the erasure answered ${erased.status} ${JSON.stringify(erased.body)}`);
        continue;
      }
      if (erased.status !== 200) problems.push(`pair ${i}: erasure ${erased.status} ${JSON.stringify(erased.body)}`);
      else erasedFirst++;
      if (reopened.status !== 409 || reopened.body.error.code !== 'person_erased') problems.push(`pair ${i}: reopen ${reopened.status} ${JSON.stringify(reopened.body)}`);
      problems.push(...(await leftOver(personId)));
      const notes = await ctx.db.selectFrom('referralEvents').select('note').where('referralId', '=', referralId).where('note', 'is not', null).execute();
      if (notes.length) problems.push(`pair ${i}: a note was written after erasure`);
    }
    expect(problems).toEqual([]);
    expect(erasedFirst).toBeGreaterThan(0);
  });
});
