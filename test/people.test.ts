/**
 * One person across all their checklists, against the real Postgres: the matching rule (sure
 * matches linked, likely ones flagged, the cases it gets wrong on purpose), one live referral
 * per person per agency, the person API (search, record, merge, dismiss) and who may use it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../src/kernel/clock.js';
import type { TestContext } from './helpers/context.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { randomDateOfBirth, randomNhsNumber, uniqueLetters } from './helpers/people.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { makeWebUser } from './helpers/browser.js';
import { WebClient } from './helpers/web-client.js';
import { MATCHES_PER_PAGE } from '../src/modules/people/pages/people.routes.js';
import { indexPersonSearchNames } from '../src/modules/people/index.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let otherWorker: TestUser;
let coordinator: TestUser;
let admin: TestUser;
let agencyUser: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker, otherWorker, coordinator, admin, agencyUser } = await createWorld({
    worker: 'link_worker',
    otherWorker: 'link_worker',
    coordinator: 'coordinator',
    admin: 'admin',
    agencyUser: { agencyOf: 0 },
  }));
});
afterAll(async () => ctx?.close());

type Person = Record<string, unknown>;
/** A made-up person nobody else in this file shares a name or birthday with. */
function someone(over: Person = {}): Person {
  return { givenName: 'Winifred', familyName: `Ash-${uniqueLetters()}`, dateOfBirth: randomDateOfBirth(), postcode: 'SE1 7PB', phone: '020 7946 0101', preferredContact: 'phone', ...over };
}
async function submit(person: Person, yes: number[], by = worker, headers?: Record<string, string>) {
  const res = await api.post('/api/v1/submissions', by.token, submissionBody(q, yes.map((i) => q.questions[i]!.id), { person }), headers);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; reference: string; personId: string; status: string; referrals: { id: string; agencyId: string }[]; alreadyOpen: { id: string; reference: string; agencyId: string; status: string }[] };
}
const flagsOf = (personId: string) =>
  ctx.db.selectFrom('personMatchFlags').selectAll().where((e) => e.or([e('personId', '=', personId), e('candidateId', '=', personId)])).execute();

describe('one person, many checklists', () => {
  it('links a second checklist a week later to the same person, with one live referral per agency', async () => {
    const ada = someone();
    const first = await submit(ada, [0]); // fire
    expect(first.personId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.alreadyOpen).toEqual([]);

    ctx.clock.advance(7 * DAY);
    // the same person, typed differently, with a new phone number; fire again, and benefits
    const again = { ...ada, givenName: ' winifred ', familyName: String(ada.familyName).toUpperCase(), postcode: 'se17pb', phone: '020 7946 0202' };
    const second = await submit(again, [0, 15], otherWorker);
    expect(second.personId).toBe(first.personId);
    expect(second.status).toBe('open');
    expect(second.referrals.map((r) => r.agencyId)).toEqual([q.questions[15]!.agencyId]);
    expect(second.alreadyOpen).toEqual([{ id: first.referrals[0]!.id, reference: expect.any(String), agencyId: q.questions[0]!.agencyId, status: 'pending' }]);

    // the live referral heard who referred the person again
    const events = await ctx.db.selectFrom('referralEvents').selectAll().where('referralId', '=', first.referrals[0]!.id).orderBy('id').execute();
    expect(events.at(-1)).toMatchObject({ fromStatus: 'pending', toStatus: 'pending', reason: 'referred_again', actorUserId: otherWorker.id });
    expect(events.at(-1)!.note).toContain(second.reference);
    const repeats = await ctx.db.selectFrom('referralRepeats').selectAll().where('submissionId', '=', second.id).execute();
    expect(repeats).toEqual([{ submissionId: second.id, referralId: first.referrals[0]!.id, questionIds: [q.questions[0]!.id], at: ctx.clock.now() }]);

    // one person row with the latest details; each checklist's details kept as given
    const person = await ctx.db.selectFrom('people').selectAll().where('id', '=', first.personId).executeTakeFirstOrThrow();
    expect(person.phone).toBe('020 7946 0202');
    const versions = await ctx.db.selectFrom('personVersions').select(['submissionId', 'phone']).where('personId', '=', first.personId).orderBy('recordedAt').execute();
    expect(versions).toEqual([
      { submissionId: first.id, phone: '020 7946 0101' },
      { submissionId: second.id, phone: '020 7946 0202' },
    ]);
    expect(await flagsOf(first.personId)).toEqual([]);
  });

  it('closes a checklist at once when every need is already open, and replays it the same', async () => {
    const bea = someone();
    const first = await submit(bea, [0, 15]);
    const key = { 'idempotency-key': `again-${uniqueLetters()}` };
    const second = await submit(bea, [0, 16], worker, key);
    expect(second.status).toBe('closed');
    expect(second.referrals).toEqual([]);
    expect(second.alreadyOpen.map((r) => r.id).sort()).toEqual(first.referrals.map((r) => r.id).sort());
    const replay = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id, q.questions[16]!.id], { person: bea }), key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(second);
    const row = await ctx.db.selectFrom('submissions').select(['status', 'closedAt']).where('id', '=', second.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'closed', closedAt: ctx.clock.now() });
  });

  it('makes a new referral once the earlier one has finished', async () => {
    const cat = someone();
    const first = await submit(cat, [0]);
    await ctx.db.transaction().execute(async (trx) => {
      const { updateReferralIfStatus } = await import('../src/modules/referrals/referral.repository.js');
      await updateReferralIfStatus(trx, first.referrals[0]!.id, 'pending', { status: 'cancelled', closedAt: ctx.clock.now(), updatedAt: ctx.clock.now() });
    });
    const second = await submit(cat, [0]);
    expect(second.personId).toBe(first.personId);
    expect(second.referrals).toHaveLength(1);
    expect(second.alreadyOpen).toEqual([]);
  });

  it('makes one person and one referral when two checklists for a new person arrive together', async () => {
    const dot = someone();
    const [a, b] = await Promise.all([submit(dot, [0]), submit(dot, [0], otherWorker)]);
    expect(a.personId).toBe(b.personId);
    expect(a.referrals.length + b.referrals.length).toBe(1);
    expect(a.alreadyOpen.length + b.alreadyOpen.length).toBe(1);
    const people = await ctx.db.selectFrom('people').select('id').where('familyName', '=', String(dot.familyName)).execute();
    expect(people).toHaveLength(1);
  });
});

describe('the matching rule', () => {
  it('links on the NHS number with the date of birth, whatever the name and postcode', async () => {
    const nhs = randomNhsNumber();
    const eve = someone({ nhsNumber: `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}` });
    const first = await submit(eve, [1]);
    const married = await submit({ ...eve, familyName: `Married-${uniqueLetters()}`, postcode: 'N1 9GU', nhsNumber: nhs }, [2]);
    expect(married.personId).toBe(first.personId);
    const row = await ctx.db.selectFrom('people').select(['nhsNumber', 'postcode']).where('id', '=', first.personId).executeTakeFirstOrThrow();
    expect(row).toEqual({ nhsNumber: nhs, postcode: 'N1 9GU' });
  });

  it('refuses an NHS number whose check digit is wrong, naming the field', async () => {
    const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [], { person: someone({ nhsNumber: '943 476 5918' }) }));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'person.nhsNumber', message: 'is not a valid NHS number (its check digit does not match)' }]);
    const short = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [], { person: someone({ nhsNumber: '12345' }) }));
    expect(short.body.error.details[0]).toEqual({ path: 'person.nhsNumber', message: 'must be 10 digits, for example 943 476 5919' });
  });

  it('treats accents, apostrophes, hyphens, case and the postcode space as the same name', async () => {
    const fam = `O'Brien-${uniqueLetters()}`;
    const first = await submit(someone({ givenName: 'Zoë', familyName: fam }), [3]);
    const p = await ctx.db.selectFrom('people').select(['dateOfBirth']).where('id', '=', first.personId).executeTakeFirstOrThrow();
    const again = await submit({ givenName: 'ZOE', familyName: fam.replace("'", '').replace('-', ' ').toLowerCase(), dateOfBirth: p.dateOfBirth, postcode: 'se1 7pb', phone: '020 7946 0101', preferredContact: 'phone' }, [4]);
    expect(again.personId).toBe(first.personId);
  });

  it('flags, and never links, the likely matches: a typo, names swapped, moved house, a twin, the same NHS number with another birthday', async () => {
    const dob = randomDateOfBirth();
    const base = someone({ givenName: 'Harold', familyName: 'Smith', dateOfBirth: dob, postcode: 'E2 8AA' });
    const original = await submit(base, [5]);
    const cases: [string, Person, string][] = [
      ['typo', { ...base, familyName: 'Smyth' }, 'same date of birth and postcode, a family name that differs a little'],
      ['swapped', { ...base, givenName: 'Smith', familyName: 'Harold' }, 'same date of birth and postcode, names the other way round'],
      ['moved', { ...base, postcode: 'N1 9GU' }, 'same name and date of birth, another postcode'],
      ['twin', { ...base, givenName: 'Harriet' }, 'same family name, date of birth and postcode, another given name'],
    ];
    for (const [what, person, reason] of cases) {
      const s = await submit(person, [5]);
      expect(s.personId, what).not.toBe(original.personId);
      // a new person: its own referral, nothing "already open"
      expect(s.referrals, what).toHaveLength(1);
      const flags = await ctx.db.selectFrom('personMatchFlags').selectAll().where('personId', '=', s.personId).where('candidateId', '=', original.personId).execute();
      expect(flags.map((f) => [f.reason, f.status]), what).toEqual([[reason, 'open']]);
    }
    const nhs = randomNhsNumber();
    const withNhs = await submit(someone({ nhsNumber: nhs }), [6]);
    const otherBirthday = await submit(someone({ nhsNumber: nhs }), [6]);
    expect(otherBirthday.personId).not.toBe(withNhs.personId);
    expect((await flagsOf(otherBirthday.personId)).map((f) => f.reason)).toEqual(['same NHS number, another date of birth']);
  });

  it('misses, by design, a birthday typed wrong and records whose NHS numbers differ', async () => {
    const base = someone({ familyName: 'Whitlock', dateOfBirth: '1931-04-05', postcode: 'E2 8AA', givenName: 'Ivy' });
    const first = await submit(base, [7]);
    // a date of birth typed wrong: another person as far as the rule knows, and no flag
    const typo = await submit({ ...base, dateOfBirth: '1931-05-04' }, [7]);
    expect(typo.personId).not.toBe(first.personId);
    expect((await flagsOf(typo.personId)).map((f) => f.reason)).toEqual([]);
    // the same details but NHS numbers that differ: two people, never flagged
    const a = await submit({ ...base, dateOfBirth: '1932-06-07', nhsNumber: randomNhsNumber() }, [8]);
    const b = await submit({ ...base, dateOfBirth: '1932-06-07', nhsNumber: randomNhsNumber() }, [8]);
    expect(b.personId).not.toBe(a.personId);
    expect(await flagsOf(b.personId)).toEqual([]);
  });
});

describe('the person API', () => {
  it('finds a person by name, date of birth, postcode or reference, and audits each person shown', async () => {
    const fam = `Quill-${uniqueLetters()}`;
    const s = await submit(someone({ givenName: 'Norah', familyName: fam, dateOfBirth: '1930-02-03', postcode: 'W1A 1AA' }), [9]);
    const find = async (term: string) => (await api.post('/api/v1/people/search', coordinator.token, { q: term })).body.items.map((p: { id: string }) => p.id);
    expect(await find(`norah ${fam.toLowerCase()}`)).toEqual([s.personId]);
    // the deprecated search with its terms in the URL gives the same answer
    expect((await api.get(`/api/v1/people?q=${encodeURIComponent(`norah ${fam}`)}`, coordinator.token)).body.items.map((p: { id: string }) => p.id)).toEqual([s.personId]);
    expect(await find(`${fam.slice(0, 8)} 03/02/1930`)).toEqual([s.personId]);
    expect(await find('w1a1aa')).toContain(s.personId);
    expect(await find(s.reference)).toEqual([s.personId]);
    const audit = await ctx.db.selectFrom('auditLog').select(['action', 'entity']).where('personId', '=', s.personId).where('actorUserId', '=', coordinator.id).execute();
    expect(audit.filter((a) => a.action === 'list' && a.entity === 'person').length).toBe(5);
    // a typo or two in a name still finds her (pg_trgm), once the name indexer has run (the
    // workers run it every PERSON_SEARCH_INDEX_EVERY_MS); a name nothing like hers does not
    const typo = `${fam.slice(0, -1)}${fam.endsWith('a') ? 'e' : 'a'}`;
    await indexPersonSearchNames(ctx);
    expect(await find(`Norha ${typo}`)).toEqual([s.personId]);
    expect(await find(`Zebedee ${fam}`)).toEqual([]);

    const bad = await api.post('/api/v1/people/search', coordinator.token, { q: '!!' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ path: 'q', message: 'search by name, date of birth, postcode or reference' }]);
    expect((await api.post('/api/v1/people/search', coordinator.token, { q: 'x' })).status).toBe(400);
    expect((await api.get('/api/v1/people?q=x', coordinator.token)).status).toBe(400);
    const noTerm = await api.post('/api/v1/people/search', coordinator.token, { limit: 5 });
    expect(noTerm.status).toBe(400);
    expect(noTerm.body.error.details[0].path).toBe('q');
    // shaped like a date but not on the calendar: named, not a 500 (found by test/fuzz.test.ts)
    for (const day of ['2026-02-30', '31/4/1940']) {
      const notADay = await api.post('/api/v1/people/search', coordinator.token, { q: `${fam} ${day}` });
      expect(notADay.status).toBe(400);
      expect(notADay.body.error.details[0]).toEqual({ path: 'q', message: expect.stringContaining('is not a real date') });
    }
  });

  it('shows the whole record in time order, with who has seen it', async () => {
    const p = someone();
    const first = await submit(p, [0]);
    ctx.clock.advance(DAY);
    await submit(p, [15]);
    await api.get(`/api/v1/referrals/${first.referrals[0]!.id}`, coordinator.token);
    const res = await api.get(`/api/v1/people/${first.personId}`, coordinator.token);
    expect(res.status).toBe(200);
    expect(res.body.checklists).toHaveLength(2);
    expect(res.body.referrals).toHaveLength(2);
    expect(res.body.consents).toHaveLength(2);
    expect(res.body.versions).toHaveLength(2);
    const at = res.body.timeline.map((e: { at: string }) => e.at);
    expect([...at].sort()).toEqual(at);
    expect(res.body.timeline.map((e: { kind: string }) => e.kind)).toEqual(expect.arrayContaining(['checklist', 'details', 'consent', 'referral']));
    // the referral read above and this read, each with who and for which organisation
    expect(res.body.access.slice(0, 2)).toEqual([
      expect.objectContaining({ who: coordinator.name, organisation: ctx.env.HUB_NAME, action: 'read', entity: 'person' }),
      expect.objectContaining({ who: coordinator.name, action: 'read', entity: 'referral' }),
    ]);
  });

  it('lists likely duplicates, merges one (keeping every checklist, referral and event) and dismisses another', async () => {
    const dob = randomDateOfBirth();
    const fam = `Lark-${uniqueLetters()}`;
    const a = await submit(someone({ givenName: 'Mabel', familyName: fam, dateOfBirth: dob }), [0]);
    // a minute apart, so that the record lists them in a known order
    ctx.clock.advance(60_000);
    const b = await submit(someone({ givenName: 'Mable', familyName: fam, dateOfBirth: dob }), [15]);
    const c = await submit(someone({ givenName: 'Maude', familyName: fam, dateOfBirth: dob }), [16]);
    const matches = await api.get('/api/v1/people/matches', coordinator.token);
    expect(matches.status, JSON.stringify(matches.body)).toBe(200);
    const ours = matches.body.items.filter((m: { person: { id: string } }) => [b.personId, c.personId].includes(m.person.id));
    const pairs = ours.map((m: { person: { id: string }; candidate: { id: string } }) => `${m.person.id}>${m.candidate.id}`).sort();
    expect(pairs).toEqual([`${b.personId}>${a.personId}`, `${c.personId}>${a.personId}`, `${c.personId}>${b.personId}`].sort());

    const merged = await api.post(`/api/v1/people/${a.personId}/merge`, coordinator.token, { otherId: b.personId });
    expect(merged.status).toBe(200);
    expect(merged.body).toEqual({ id: a.personId, merged: b.personId, checklistsMoved: 1 });
    const record = (await api.get(`/api/v1/people/${a.personId}`, coordinator.token)).body;
    expect(record.checklists.map((s: { id: string }) => s.id)).toEqual([a.id, b.id]);
    expect(record.referrals).toHaveLength(2);
    expect(record.versions).toHaveLength(2);
    expect(record.mergedFrom.map((m: { id: string }) => m.id)).toEqual([b.personId]);
    const events = await ctx.db.selectFrom('referralEvents').select('id').where('referralId', '=', b.referrals[0]!.id).execute();
    expect(events.length).toBeGreaterThan(0);
    const other = await ctx.db.selectFrom('people').selectAll().where('id', '=', b.personId).executeTakeFirstOrThrow();
    expect(other).toMatchObject({ mergedInto: a.personId, givenName: 'Mable', mergedBy: coordinator.id });
    // the pair's flag is merged; C's flag against B now stands against A (once)
    const flags = await ctx.db.selectFrom('personMatchFlags').select(['personId', 'candidateId', 'status']).where('personId', 'in', [b.personId, c.personId]).orderBy('createdAt').execute();
    expect(flags.filter((f) => f.status === 'open').map((f) => [f.personId, f.candidateId])).toEqual([[c.personId, a.personId]]);
    expect((await api.post(`/api/v1/people/${a.personId}/merge`, coordinator.token, { otherId: b.personId })).body.error.code).toBe('person_merged');
    expect((await api.post(`/api/v1/people/${a.personId}/merge`, coordinator.token, { otherId: a.personId })).status).toBe(400);
    expect((await api.post(`/api/v1/people/${a.personId}/merge`, coordinator.token, { otherId: 'nope' })).body.error.details[0].path).toBe('otherId');

    const openFlag = (await ctx.db.selectFrom('personMatchFlags').select('id').where('personId', '=', c.personId).where('status', '=', 'open').executeTakeFirstOrThrow()).id;
    const dismissed = await api.post(`/api/v1/people/matches/${openFlag}/dismiss`, coordinator.token);
    expect(dismissed.body).toEqual({ id: openFlag, status: 'dismissed' });
    expect((await api.post(`/api/v1/people/matches/${openFlag}/dismiss`, coordinator.token)).status).toBe(409);
    // a later checklist for the merged person finds the one kept
    const later = await submit(someone({ givenName: 'Mable', familyName: fam, dateOfBirth: dob }), [15]);
    expect(later.personId).toBe(a.personId);
  });

  it('is the hub’s: link workers and agencies are refused, and ids are checked', async () => {
    for (const u of [worker, agencyUser]) {
      expect((await api.get('/api/v1/people?q=ada', u.token)).status).toBe(403);
      expect((await api.post('/api/v1/people/search', u.token, { q: 'ada' })).status).toBe(403);
      expect((await api.get('/api/v1/people/matches', u.token)).status).toBe(403);
    }
    expect((await api.get('/api/v1/people/not-a-uuid', coordinator.token)).body.error.details).toEqual([{ path: 'id', message: 'must be a UUID' }]);
    expect((await api.get(`/api/v1/people/${crypto.randomUUID()}`, admin.token)).status).toBe(404);
  });
});

describe('the possible duplicates page', () => {
  it('shows the oldest 25 pairs, says how many wait, and audits only the records it shows', async () => {
    // a pair a family: Mabel and Mable, same birthday (a likely match, flagged, never linked)
    for (let i = 0; i < MATCHES_PER_PAGE + 2; i++) {
      const fam = `Page-${uniqueLetters()}`;
      const dob = randomDateOfBirth();
      await submit(someone({ givenName: 'Mabel', familyName: fam, dateOfBirth: dob }), [0]);
      ctx.clock.advance(1_000);
      await submit(someone({ givenName: 'Mable', familyName: fam, dateOfBirth: dob }), [0]);
    }
    const open = await ctx.db.selectFrom('personMatchFlags').select(['id', 'personId', 'candidateId']).where('status', '=', 'open').orderBy('createdAt').orderBy('id').execute();
    expect(open.length).toBeGreaterThan(MATCHES_PER_PAGE);

    const hub = await makeWebUser(ctx, 'coordinator');
    const c = new WebClient(ctx.baseUrl);
    expect((await c.signIn(hub.email, hub.password)).status).toBe(303);
    const res = await c.request('GET', '/hub/people/matches');
    expect(res.status).toBe(200);
    const shown = [...res.text.matchAll(/action="\/hub\/people\/matches\/([0-9a-f-]{36})"/g)].map((m) => m[1]);
    // two forms a pair (merge, dismiss): the oldest 25, oldest first
    expect([...new Set(shown)]).toEqual(open.slice(0, MATCHES_PER_PAGE).map((f) => f.id));
    expect(res.text).toContain(`These are the ${MATCHES_PER_PAGE} oldest of ${open.length} possible duplicates.`);
    const audited = await ctx.db.selectFrom('auditLog').select('entityId').where('actorUserId', '=', hub.id).where('action', '=', 'list').where('entity', '=', 'person').execute();
    expect(new Set(audited.map((a) => a.entityId))).toEqual(new Set(open.slice(0, MATCHES_PER_PAGE).flatMap((f) => [f.personId, f.candidateId])));
  });
});
