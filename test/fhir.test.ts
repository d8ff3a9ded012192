/**
 * The FHIR R4 API (issue 23, points 1 and 2) on the real Postgres: every resource it returns is
 * valid R4 by @medplum/core, the Patient valid against UKCore-Patient, and each claims the UK Core
 * profile whose mustSupport elements it fills (docs/fhir.md lists the ones it does not, and why).
 * The round trip: read the Questionnaire, answer it as a QuestionnaireResponse, see the referral's
 * Task as its agency, move it to completed with a coded outcome, and see the checklist's Task
 * closed by the hub's follow-up call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, type World } from './helpers/world.js';
import { markForwarded } from './helpers/referrals.js';
import { answer, familyOf, fhir, FHIR_JSON, moveTo, OUTCOME_SYSTEM, STATUS_SYSTEM } from './helpers/fhir-client.js';
import { R4_CODES, r4Problems, ukCoreGaps, ukCorePatientProblems } from './helpers/fhir.js';

let w: World<'linkWorker' | 'coordinator' | 'agency'>;
let f: ReturnType<typeof fhir>;
const SNOMED_CODE = '871731000000106';

/** Valid R4, claiming its UK Core profile, with only the mustSupport gaps docs/fhir.md names. */
const KNOWN_GAPS: Record<string, string[]> = {
  Questionnaire: [],
  // the checklist's own Task has no deadline of its own (restriction): the referrals' Tasks do
  Task: ['reasonCode', 'reasonReference', 'input', 'restriction'],
  ServiceRequest: ['basedOn', 'priority'],
  Patient: ['active', 'gender', 'managingOrganization'],
};
function expectValid(resource: Record<string, unknown>) {
  expect(r4Problems(resource)).toEqual([]);
  const type = resource.resourceType as string;
  if (KNOWN_GAPS[type]) {
    const gaps = ukCoreGaps(resource, type);
    expect(gaps.claims).toBe(true);
    expect(gaps.missing.filter((m) => !KNOWN_GAPS[type]!.includes(m))).toEqual([]);
  }
}

beforeAll(async () => {
  w = await createWorld({ linkWorker: 'link_worker', coordinator: 'coordinator', agency: { agencyOf: 0 } });
  f = fhir(w.api);
  // the outcome the agency will use carries its SNOMED CT concept
  const set = await w.api.patch('/api/v1/outcomes/service_provided', w.coordinator.token, { snomedCode: SNOMED_CODE, snomedTerm: 'Referral to social prescribing service completed' });
  expect(set.status).toBe(200);
}, 60_000);
afterAll(async () => w?.ctx.close());

describe('GET /fhir/metadata', () => {
  it('is public, FHIR JSON, and lists exactly what is supported', async () => {
    const res = await f.get('/fhir/metadata');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain(FHIR_JSON);
    expect(r4Problems(res.body)).toEqual([]);
    const rest = res.body.rest[0];
    expect(rest.resource.map((r: { type: string; interaction: { code: string }[] }) => `${r.type}:${r.interaction.map((i) => i.code).join(',')}`)).toEqual([
      'Questionnaire:read,search-type',
      'QuestionnaireResponse:read,vread,create',
      'Task:read,search-type,update,patch',
      'ServiceRequest:read',
      'Patient:read',
    ]);
  });
});

describe('Questionnaire', () => {
  it('serves the checklist: one boolean item per question, grouped by section, each naming the agency a "yes" goes to', async () => {
    const res = await f.get('/fhir/Questionnaire?status=active', w.linkWorker.token);
    expect(res.status).toBe(200);
    expect(r4Problems(res.body)).toEqual([]);
    expect(res.body.entry).toHaveLength(1);
    const q = res.body.entry[0].resource;
    expectValid(q);
    expect(q.id).toBe(w.q.id);
    expect(q.status).toBe('active');
    expect(q.item.map((s: { text: string }) => s.text)).toEqual(w.q.sections.map((s) => s.title));
    const items = q.item.flatMap((s: { item: unknown[] }) => s.item);
    expect(items).toHaveLength(w.q.questions.length);
    for (const [i, question] of w.q.questions.entries()) {
      expect(items[i]).toMatchObject({ linkId: question.id, text: question.text, type: 'boolean' });
      expect(items[i].extension[0].valueReference).toEqual({ reference: `Organization/${question.agencyId}`, display: question.agencyName });
    }
    const one = await f.get(`/fhir/Questionnaire/${w.q.id}`, w.agency.token);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(q);
    expect(one.headers.get('etag')).toBe(`W/"${q.meta.versionId}"`);
    expect((await f.get('/fhir/Questionnaire?status=retired', w.linkWorker.token)).body.entry).toEqual([]);
  });
});

describe('the round trip', () => {
  it('answer the Questionnaire, see the Task as the agency, complete it with an outcome, see the checklist closed by the hub’s call', async () => {
    // 1. the link worker's system reads the checklist and answers it: "yes" to question 0
    const q = (await f.get('/fhir/Questionnaire?status=active', w.linkWorker.token)).body.entry[0].resource;
    const question = w.q.questions[0]!;
    const qr = answer(q, [question.id]);
    expect(r4Problems(qr)).toEqual([]);
    const created = await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, qr);
    expect(created.status).toBe(201);
    const submissionId = created.body.id as string;
    expect(created.headers.get('location')).toMatch(new RegExp(`/fhir/QuestionnaireResponse/${submissionId}/_history/1$`));
    expectValid(created.body);
    const referral = await w.ctx.db.selectFrom('referrals').selectAll().where('submissionId', '=', submissionId).executeTakeFirstOrThrow();
    expect(referral.agencyId).toBe(question.agencyId);

    // the checklist's own Task, open
    let parent = await f.get(`/fhir/Task/${submissionId}`, w.linkWorker.token);
    expect(parent.status).toBe(200);
    expectValid(parent.body);
    expect(parent.body).toMatchObject({ status: 'in-progress', focus: { reference: `QuestionnaireResponse/${submissionId}` } });

    // 2. not the agency's until it is forwarded to it
    expect((await f.get(`/fhir/Task/${referral.id}`, w.agency.token)).status).toBe(404);
    await markForwarded(w.ctx, referral.id);
    const search = await f.get(`/fhir/Task?owner=Organization/${question.agencyId}&status=requested`, w.agency.token);
    expect(search.status).toBe(200);
    expect(r4Problems(search.body)).toEqual([]);
    const task = search.body.entry.find((e: { resource: { id: string } }) => e.resource.id === referral.id).resource;
    expectValid(task);
    expect(task).toMatchObject({
      status: 'requested',
      businessStatus: { coding: [{ system: STATUS_SYSTEM, code: 'forwarded' }] },
      partOf: [{ reference: `Task/${submissionId}` }],
      owner: { reference: `Organization/${question.agencyId}` },
      intent: 'order',
    });
    expect(R4_CODES.taskStatus).toContain(task.status);

    const sr = await f.get(`/fhir/ServiceRequest/${referral.id}`, w.agency.token);
    expect(sr.status).toBe(200);
    expectValid(sr.body);
    expect(R4_CODES.requestStatus).toContain(sr.body.status);
    expect(sr.body.reasonCode).toEqual([{ text: question.text }]);

    const patientRef = task.for.reference as string;
    const patient = await f.get(`/fhir/${patientRef}`, w.agency.token);
    expect(patient.status).toBe(200);
    expectValid(patient.body);
    expect(ukCorePatientProblems(patient.body)).toEqual([]);
    expect(patient.body.name[0]).toMatchObject({ family: familyOf(qr), given: ['Ada'] });
    const audited = await w.ctx.db.selectFrom('auditLog').selectAll().where('entity', '=', 'person').where('actorUserId', '=', w.agency.id).execute();
    expect(audited.map((a) => a.entityId)).toContain(patientRef.split('/')[1]);

    // 3. the agency moves it: acknowledged, then contacted (Task.status alone), then completed with a coded outcome
    let moved = await f.patch(`/fhir/Task/${referral.id}`, w.agency.token, moveTo('acknowledged'), { 'if-match': search.body.entry[0] && `W/"${task.meta.versionId}"` });
    expect(moved.status).toBe(200);
    expect(moved.body.businessStatus.coding[0].code).toBe('acknowledged');
    expect(moved.headers.get('etag')).toBe(`W/"${moved.body.meta.versionId}"`);
    moved = await f.patch(`/fhir/Task/${referral.id}`, w.agency.token, [
      { op: 'replace', path: '/status', value: 'in-progress' },
      { op: 'add', path: '/note/-', value: { text: 'phoned, appointment booked' } },
    ]);
    expect(moved.status).toBe(200);
    expect(moved.body.businessStatus.coding[0].code).toBe('contacted');
    expect(moved.body.note.at(-1).text).toBe('phoned, appointment booked');
    moved = await f.patch(`/fhir/Task/${referral.id}`, w.agency.token, moveTo('completed', { outcome: 'service_provided' }));
    expect(moved.status).toBe(200);
    expectValid(moved.body);
    expect(moved.body.status).toBe('completed');
    expect(moved.body.output[0].valueCodeableConcept.coding).toEqual([
      expect.objectContaining({ system: OUTCOME_SYSTEM, code: 'service_provided' }),
      { system: 'http://snomed.info/sct', code: SNOMED_CODE, display: 'Referral to social prescribing service completed' },
    ]);
    expect((await w.ctx.db.selectFrom('referrals').select('status').where('id', '=', referral.id).executeTakeFirstOrThrow()).status).toBe('completed');

    // 4. still open until the hub's call; the coordinator records it, and the checklist's Task is completed
    parent = await f.get(`/fhir/Task/${submissionId}`, w.linkWorker.token);
    expect(parent.body.status).toBe('in-progress');
    const followUp = await w.ctx.db.selectFrom('followUps').selectAll().where('submissionId', '=', submissionId).executeTakeFirstOrThrow();
    w.ctx.clock.set(followUp.dueAt);
    const call = await w.api.post(`/api/v1/follow-ups/${followUp.id}`, w.coordinator.token, { contactMade: true, outcomes: [{ referralId: referral.id, needsMet: 'yes' }] });
    expect(call.status).toBe(200);
    expect(call.body.submissionClosed).toBe(true);
    parent = await f.get(`/fhir/Task/${submissionId}`, w.linkWorker.token);
    expect(parent.status).toBe(200);
    expectValid(parent.body);
    expect(parent.body).toMatchObject({ status: 'completed', businessStatus: { coding: [{ code: 'closed' }] }, executionPeriod: { end: w.ctx.clock.now().toISOString() } });
  }, 60_000);
});

describe('POST /fhir/QuestionnaireResponse', () => {
  const questionnaire = async () => (await f.get(`/fhir/Questionnaire/${w.q.id}`, w.linkWorker.token)).body;

  it('makes one checklist per Idempotency-Key or If-None-Exist', async () => {
    const qr = answer(await questionnaire(), [w.q.questions[3]!.id]);
    const first = await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, qr, { 'idempotency-key': 'fhir-key-1' });
    const again = await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, qr, { 'idempotency-key': 'fhir-key-1' });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    const other = answer(await questionnaire(), [w.q.questions[4]!.id]);
    const condition = { 'if-none-exist': 'identifier=https://gp.example/checklists|42' };
    const made = await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, other, condition);
    const matched = await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, other, condition);
    expect([made.status, matched.status]).toEqual([201, 200]);
    expect(matched.body.id).toBe(made.body.id);
    expect(await w.ctx.db.selectFrom('submissions').select('id').where('id', 'in', [first.body.id, made.body.id]).execute()).toHaveLength(2);
  });

  it('answers with what it stored, and its Location reads it back as the create returned it', async () => {
    const q = await questionnaire();
    const yes = w.q.questions[2]!.id;
    const sent = answer(q, [yes]);
    const created = await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, sent);
    expect(created.status).toBe(201);
    expectValid(created.body);
    const s = await w.ctx.db.selectFrom('submissions').select(['id', 'reference', 'receivedAt']).where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(created.body).toMatchObject({
      identifier: { value: s.reference },
      questionnaire: q.url,
      status: 'completed',
      authored: s.receivedAt.toISOString(),
      subject: { reference: '#patient' },
    });
    // a link worker reads back no answers (health data: the JSON API's rule for a submission)
    expect(created.body.item).toBeUndefined();
    // the person as the submitter's read of a submission shows them: the name and how to contact them, no more
    expect(created.body.contained[0]).toEqual({
      resourceType: 'Patient',
      id: 'patient',
      extension: [{ url: 'https://signpost.example/fhir/StructureDefinition/preferred-contact', valueCode: 'phone' }],
      name: [{ family: familyOf(sent), given: ['Ada'] }],
    });
    expect(created.body.contained[1]).toMatchObject({ resourceType: 'Consent', status: 'active', dateTime: '2026-01-05T08:55:00.000Z', performer: [{ reference: '#patient' }], provision: { type: 'permit' } });

    const location = created.headers.get('location')!;
    for (const path of [location.slice(location.indexOf('/fhir/')), `/fhir/QuestionnaireResponse/${created.body.id}`]) {
      const read = await f.get(path, w.linkWorker.token);
      expect(read.status).toBe(200);
      expect(read.headers.get('content-type')).toContain(FHIR_JSON);
      expect(read.headers.get('etag')).toBe('W/"1"');
      expect(read.body).toEqual(created.body);
    }
    expect((await f.get(`/fhir/QuestionnaireResponse/${created.body.id}/_history/2`, w.linkWorker.token)).status).toBe(404);

    // the hub reads the same resource with every answer, grouped as the Questionnaire groups them
    const hub = await f.get(`/fhir/QuestionnaireResponse/${created.body.id}`, w.coordinator.token);
    expect(hub.status).toBe(200);
    expectValid(hub.body);
    const { item, ...rest } = hub.body;
    expect(rest).toEqual(created.body);
    const answers = item.flatMap((g: { item: { linkId: string; answer: { valueBoolean: boolean }[] }[] }) => g.item.map((i) => [i.linkId, i.answer[0]!.valueBoolean]));
    expect(Object.fromEntries(answers)).toEqual(Object.fromEntries(w.q.questions.map((x) => [x.id, x.id === yes])));
    expect(item.map((g: { linkId: string }) => g.linkId)).toEqual(w.q.sections.map((x) => x.id));
  });

  it('answers the intake’s own rules as an OperationOutcome with expressions into the request', async () => {
    const q = await questionnaire();
    const noBirthDate = answer(q, [w.q.questions[0]!.id], { patient: { birthDate: undefined } });
    let res = await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, noBirthDate);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(r4Problems(res.body)).toEqual([]);
    expect(res.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? [])).toContain('QuestionnaireResponse.contained[0].birthDate');

    const future = answer(q, [], { patient: { birthDate: '2999-01-01' } });
    res = await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, future);
    expect(res.status).toBe(400);
    expect(res.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? [])).toContain('QuestionnaireResponse.contained[0].birthDate');

    const refused = answer(q, [w.q.questions[0]!.id], { consent: { status: 'rejected', provision: { type: 'deny' } } });
    res = await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, refused);
    expect(res.status).toBe(422);
    expect(res.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? []).sort()).toEqual(['QuestionnaireResponse.contained[1].provision.type', 'QuestionnaireResponse.contained[1].status']);

    const unanswered = answer(q, []);
    (unanswered.item[0] as { item: unknown[] }).item.pop();
    res = await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, unanswered);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.issue)).toContain("QuestionnaireResponse.item.descendants().where(linkId=");
    expect(await w.ctx.db.selectFrom('people').select('id').where('familyName', 'in', [noBirthDate, future, refused, unanswered].map(familyOf)).execute()).toEqual([]);
  });
});
