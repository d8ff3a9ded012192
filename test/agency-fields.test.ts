/**
 * Per-agency minimum data, against the real Postgres, Redis and an SMTP sink: an agency
 * configured with some of the person's details sees only those (and the name, and the questions
 * that flagged it) through the API and in its full-content mail; the hub sees everything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSON_FIELDS } from '../src/kernel/person-fields.js';
import { apiClient } from './helpers/api.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { randomDateOfBirth, randomNhsNumber, uniqueLetters } from './helpers/people.js';
import { startTestSink, type SmtpSink } from './helpers/smtp-sink.js';
import { startTestWorkers, waitUntil, type TestWorkers } from './helpers/workers.js';

let ctx: TestContext;
let sink: SmtpSink;
let workers: TestWorkers;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let worker: TestUser;
let coordinator: TestUser;
let befriending: TestUser;

beforeAll(async () => {
  sink = await startTestSink();
  ctx = await createTestContext({ SMTP_URL: sink.url });
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  worker = await makeUser(ctx, 'link_worker');
  coordinator = await makeUser(ctx, 'coordinator');
  befriending = await makeUser(ctx, 'agency', q.questions[3]!.agencyId);
  workers = await startTestWorkers(ctx, ['forward'], { env: { FORWARD_EMAIL_CONTENT: 'full' } });
});
afterAll(async () => {
  await workers?.stop();
  await ctx?.close();
  await sink?.stop();
});

describe('per-agency minimum data', () => {
  it('is set by the hub, checked, and every detail by default', async () => {
    const id = q.questions[3]!.agencyId;
    const agency = (await api.get('/api/v1/agencies', worker.token)).body.items.find((a: { id: string }) => a.id === id);
    expect(agency.personFields).toEqual([...PERSON_FIELDS]);
    const bad = await api.patch(`/api/v1/agencies/${id}`, coordinator.token, { personFields: ['phone', 'shoeSize'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('personFields.1');
    expect((await api.patch(`/api/v1/agencies/${id}`, befriending.token, { personFields: ['phone'] })).status).toBe(403);
    // a befriending service needs to phone the person, in their language, and know their access needs
    const res = await api.patch(`/api/v1/agencies/${id}`, coordinator.token, { personFields: ['phone', 'preferredContact', 'language', 'accessNeeds'] });
    expect(res.status).toBe(200);
    expect(res.body.personFields).toEqual(['phone', 'preferredContact', 'language', 'accessNeeds']);
  });

  it('gives the agency only those details, in the API and in its mail; the hub sees them all', async () => {
    const person = {
      givenName: 'Olwen',
      familyName: `Brackley-${uniqueLetters()}`,
      dateOfBirth: randomDateOfBirth(),
      postcode: 'SE1 7PB',
      phone: '020 7946 0404',
      email: `olwen.${uniqueLetters()}@example.net`,
      addressLine: '4 Brackley Mews',
      preferredContact: 'phone',
      language: 'Cantonese',
      accessNeeds: 'Uses a wheelchair',
      nhsNumber: randomNhsNumber(),
    };
    const s = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[3]!.id], { person }));
    const ref = s.body.referrals[0];
    const [mail] = await sink.waitFor(1, { filter: (m) => m.subject.includes(ref.reference) });
    expect(mail!.text).toContain(`Name: Olwen ${person.familyName}`);
    expect(mail!.text).toContain('Phone: 020 7946 0404');
    expect(mail!.text).toContain('Language: Cantonese');
    expect(mail!.text).toContain('Access needs: Uses a wheelchair');
    for (const withheld of [person.dateOfBirth, person.email, person.addressLine, 'SE1 7PB', person.nhsNumber]) expect(mail!.raw).not.toContain(withheld);

    await waitUntil(() => ctx.db.selectFrom('referrals').select('id').where('id', '=', ref.id).where('status', '=', 'forwarded').executeTakeFirst());
    const asAgency = await api.get(`/api/v1/referrals/${ref.id}`, befriending.token);
    expect(asAgency.body.personFields).toEqual(['phone', 'preferredContact', 'language', 'accessNeeds']);
    expect(asAgency.body.person).toEqual({
      givenName: 'Olwen',
      familyName: person.familyName,
      dateOfBirth: null,
      postcode: null,
      phone: '020 7946 0404',
      email: null,
      addressLine: null,
      preferredContact: 'phone',
      language: 'Cantonese',
      accessNeeds: 'Uses a wheelchair',
      nhsNumber: null,
    });
    const asHub = await api.get(`/api/v1/referrals/${ref.id}`, coordinator.token);
    expect(asHub.body.person).toMatchObject({ dateOfBirth: person.dateOfBirth, addressLine: person.addressLine, email: person.email, nhsNumber: person.nhsNumber });
    expect(asHub.body.personFields).toEqual([...PERSON_FIELDS]);
  });
});
