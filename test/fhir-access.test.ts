/**
 * The FHIR API's access rules and errors (issue 23, point 1): the same as /api/v1's (an agency
 * sees only the referrals forwarded to it; a link worker neither lists nor moves Tasks; the
 * Patient only for an agency that still may see the person), and every error an OperationOutcome:
 * 401, 403, 404, 405, 406, 409, 412, 415 and 400 from bad JSON, the body-shape guards, a bad
 * search and a bad JSON Patch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, type World } from './helpers/world.js';
import { markForwarded } from './helpers/referrals.js';
import { answer, fhir, FHIR_JSON, moveTo } from './helpers/fhir-client.js';
import { R4_CODES, r4Problems } from './helpers/fhir.js';

let w: World<'linkWorker' | 'otherWorker' | 'coordinator' | 'fire' | 'police'>;
let f: ReturnType<typeof fhir>;

beforeAll(async () => {
  w = await createWorld({ linkWorker: 'link_worker', otherWorker: 'link_worker', coordinator: 'coordinator', fire: { agencyOf: 0 }, police: { agencyOf: 1 } });
  f = fhir(w.api);
}, 60_000);
afterAll(async () => w?.ctx.close());

/** A forwarded referral to the fire service (question 0), from a checklist made through /fhir. */
async function fireReferral() {
  const q = (await f.get(`/fhir/Questionnaire/${w.q.id}`, w.linkWorker.token)).body;
  const res = await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, answer(q, [w.q.questions[0]!.id]));
  expect(res.status).toBe(201);
  const referral = await w.ctx.db.selectFrom('referrals').selectAll().where('submissionId', '=', res.body.id).executeTakeFirstOrThrow();
  await markForwarded(w.ctx, referral.id);
  const task = (await f.get(`/fhir/Task/${referral.id}`, w.fire.token)).body;
  return { submissionId: res.body.id as string, referral, task, patientId: (task.for.reference as string).split('/')[1]! };
}

/** An OperationOutcome, valid R4, with this status and issue code. */
function expectOutcome(res: { status: number; headers: Headers; body: any }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain(FHIR_JSON);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].code).toBe(code);
  expect(R4_CODES.issueType).toContain(code);
  expect(r4Problems(res.body)).toEqual([]);
}

describe('who sees what', () => {
  it('another agency gets 404 for the Task, the ServiceRequest and the Patient, and finds nothing by searching', async () => {
    const { referral, patientId } = await fireReferral();
    for (const path of [`/fhir/Task/${referral.id}`, `/fhir/ServiceRequest/${referral.id}`, `/fhir/Patient/${patientId}`]) {
      expectOutcome(await f.get(path, w.police.token), 404, 'not-found');
      expect((await f.get(path, w.fire.token)).status).toBe(200);
    }
    const theirs = await f.get(`/fhir/Task?owner=Organization/${referral.agencyId}`, w.police.token);
    expect(theirs.status).toBe(200);
    expect(theirs.body.entry).toEqual([]);
    const own = await f.get('/fhir/Task', w.police.token);
    expect(own.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).not.toContain(referral.id);
    expectOutcome(await f.patch(`/fhir/Task/${referral.id}`, w.police.token, moveTo('acknowledged')), 404, 'not-found');
  });

  it('a link worker submits and reads its checklist’s Task, but neither lists nor moves referrals’ Tasks nor reads a Patient', async () => {
    const { submissionId, referral, patientId } = await fireReferral();
    expect((await f.get(`/fhir/Task/${submissionId}`, w.linkWorker.token)).status).toBe(200);
    expectOutcome(await f.get('/fhir/Task', w.linkWorker.token), 403, 'forbidden');
    expectOutcome(await f.get(`/fhir/Patient/${patientId}`, w.linkWorker.token), 403, 'forbidden');
    expectOutcome(await f.patch(`/fhir/Task/${referral.id}`, w.linkWorker.token, moveTo('acknowledged')), 403, 'forbidden');
    expectOutcome(await f.get(`/fhir/Task/${referral.id}`, w.linkWorker.token), 404, 'not-found');
    // an agency does not read a checklist's own Task (it holds the whole checklist)
    expectOutcome(await f.get(`/fhir/Task/${submissionId}`, w.fire.token), 404, 'not-found');
    expect((await f.get(`/fhir/Task/${submissionId}`, w.coordinator.token)).status).toBe(200);
  });

  it('a QuestionnaireResponse is read by its submitter and the hub, audited; any other caller, an agency too, gets 404', async () => {
    const { submissionId } = await fireReferral();
    const path = `/fhir/QuestionnaireResponse/${submissionId}`;
    const own = await f.get(path, w.linkWorker.token);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ resourceType: 'QuestionnaireResponse', id: submissionId });
    const hub = await f.get(path, w.coordinator.token);
    expect(hub.status).toBe(200);
    expect(hub.body).toEqual(own.body);
    for (const token of [w.otherWorker.token, w.fire.token, w.police.token]) {
      expectOutcome(await f.get(path, token), 404, 'not-found');
      expectOutcome(await f.get(`${path}/_history/1`, token), 404, 'not-found');
    }
    expectOutcome(await f.get(`/fhir/QuestionnaireResponse/${crypto.randomUUID()}`, w.coordinator.token), 404, 'not-found');
    expectOutcome(await f.get('/fhir/QuestionnaireResponse/not-a-uuid', w.coordinator.token), 404, 'not-found');
    expectOutcome(await f.get(path), 401, 'login');
    const put = await f.put(path, w.linkWorker.token, own.body);
    expectOutcome(put, 405, 'not-supported');
    expect(put.headers.get('allow')).toBe('GET');
    // each read that was answered is a read of the person, as the JSON API's read of a submission is
    const audit = await w.ctx.db.selectFrom('auditLog').select(['actorUserId', 'personId']).where('entity', '=', 'submission').where('action', '=', 'read').where('entityId', '=', submissionId).execute();
    expect(audit.map((a) => a.actorUserId).sort()).toEqual([w.linkWorker.id, w.coordinator.id].sort());
    const { personId } = await w.ctx.db.selectFrom('submissions').select('personId').where('id', '=', submissionId).executeTakeFirstOrThrow();
    expect(audit.every((a) => a.personId === personId)).toBe(true);
  });

  it('hides the Patient from the agency once consent is withdrawn; the Task stays, without the person', async () => {
    const { referral, patientId } = await fireReferral();
    expect((await f.get(`/fhir/Patient/${patientId}`, w.fire.token)).status).toBe(200);
    const withdrawn = await w.api.post(`/api/v1/people/${patientId}/consent-withdrawals`, w.coordinator.token, { recordedAt: w.ctx.clock.now().toISOString() });
    expect(withdrawn.status).toBe(201);
    expectOutcome(await f.get(`/fhir/Patient/${patientId}`, w.fire.token), 404, 'not-found');
    const task = await f.get(`/fhir/Task/${referral.id}`, w.fire.token);
    expect(task.status).toBe(200);
    expect(task.body.businessStatus.coding[0].code).toBe('cancelled');
    // the hub still sees the person
    expect((await f.get(`/fhir/Patient/${patientId}`, w.coordinator.token)).status).toBe(200);
  });

  it('gives an agency only the person’s fields it is configured to receive, and audits the read', async () => {
    const { patientId } = await fireReferral();
    const { personFields } = await w.ctx.db.selectFrom('agencies').select('personFields').where('id', '=', w.fire.agencyId!).executeTakeFirstOrThrow();
    await w.ctx.db.updateTable('agencies').set({ personFields: ['phone'] }).where('id', '=', w.fire.agencyId!).execute();
    try {
      const res = await f.get(`/fhir/Patient/${patientId}`, w.fire.token);
      expect(res.status).toBe(200);
      expect(res.body.telecom).toEqual([expect.objectContaining({ system: 'phone' })]);
      for (const field of ['birthDate', 'address', 'identifier']) expect(res.body[field]).toBeUndefined();
      const full = await f.get(`/fhir/Patient/${patientId}`, w.coordinator.token);
      for (const field of ['birthDate', 'address', 'identifier']) expect(full.body[field]).toBeDefined();
      const audit = await w.ctx.db.selectFrom('auditLog').select(['actorUserId']).where('entity', '=', 'person').where('entityId', '=', patientId).execute();
      expect(audit.map((a) => a.actorUserId).sort()).toEqual([w.fire.id, w.coordinator.id].sort());
    } finally {
      await w.ctx.db.updateTable('agencies').set({ personFields }).where('id', '=', w.fire.agencyId!).execute();
    }
  });
});

describe('a Task’s notes', () => {
  it('are what people wrote on the work, without the hub’s routing: no mail address, message id or re-routed referral', async () => {
    const { referral } = await fireReferral();
    const { email } = await w.ctx.db.selectFrom('agencies').select('email').where('id', '=', referral.agencyId).executeTakeFirstOrThrow();
    // the history holds the forwarding mail's receipt, naming the agency's address
    const logged = await w.ctx.db.selectFrom('referralEvents').select('note').where('referralId', '=', referral.id).execute();
    expect(logged.map((e) => e.note).join(' ')).toContain(email);

    const moved = await f.patch(`/fhir/Task/${referral.id}`, w.fire.token, moveTo('rejected', { reason: 'not in our area', note: 'outside our patch' }));
    expect(moved.status).toBe(200);
    for (const token of [w.fire.token, w.coordinator.token]) {
      const task = (await f.get(`/fhir/Task/${referral.id}`, token)).body;
      expect(task.note.map((n: { text: string }) => n.text)).toEqual(['outside our patch']);
      expect(JSON.stringify(task)).not.toContain(email);
      expect(JSON.stringify(task)).not.toContain(`forward-${referral.id}`);
    }

    // re-routed to the police: their Task does not name the fire service's referral
    const rerouted = await w.api.post(`/api/v1/referrals/${referral.id}/transitions`, w.coordinator.token, { to: 'rerouted', targetAgencyId: w.police.agencyId, note: 'the police can help instead' });
    expect(rerouted.status).toBe(200);
    const replacement = rerouted.body.replacement.id as string;
    await markForwarded(w.ctx, replacement);
    const theirs = await f.get(`/fhir/Task/${replacement}`, w.police.token);
    expect(theirs.status).toBe(200);
    // its history says which referral it came from; the police's Task does not
    const history = await w.ctx.db.selectFrom('referralEvents').select('note').where('referralId', '=', replacement).execute();
    expect(history.map((e) => e.note)).toContain(`re-routed from ${referral.reference}`);
    expect(theirs.body.note).toBeUndefined();
    expect(JSON.stringify(theirs.body)).not.toContain(email);
    const search = await f.get(`/fhir/Task?owner=Organization/${w.police.agencyId}`, w.police.token);
    const found = search.body.entry.find((e: { resource: { id: string } }) => e.resource.id === replacement).resource;
    expect(found).toEqual(theirs.body);
  });
});

describe('moving a Task', () => {
  it('answers 409 for a step the state machine refuses, 412 for a stale or missing If-Match, 400 for what cannot change', async () => {
    const { referral, task } = await fireReferral();
    const path = `/fhir/Task/${referral.id}`;
    const refused = await f.patch(path, w.fire.token, moveTo('completed', { outcome: 'service_provided' }));
    expectOutcome(refused, 409, 'conflict');
    expect(refused.body.issue.at(-1).diagnostics).toBe('allowed next: acknowledged, accepted, contacted, on_hold, unable_to_contact, declined, rejected');
    expectOutcome(await f.patch(path, w.fire.token, [{ op: 'replace', path: '/owner', value: { reference: 'Organization/x' } }]), 400, 'invalid');
    expectOutcome(await f.patch(path, w.fire.token, [{ op: 'replace', path: '/status', value: 'requested' }]), 400, 'invalid');
    expectOutcome(await f.patch(path, w.fire.token, [{ op: 'add', path: '/businessStatus/__proto__/polluted', value: 1 }]), 400, 'invalid');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const onHold = await f.patch(path, w.fire.token, moveTo('on_hold', { reason: 'in hospital' }));
    expectOutcome(onHold, 400, 'invalid');
    expect(onHold.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? [])[0]).toContain('on-hold-until');

    // sent back with its keys in another order, and without the elements the server keeps
    const { meta: _meta, lastModified: _lastModified, ...rest } = task;
    const put = Object.fromEntries(Object.entries({ ...rest, businessStatus: { coding: [{ system: task.businessStatus.coding[0].system, code: 'acknowledged' }] } }).reverse());
    put.owner = { display: task.owner.display, reference: task.owner.reference };
    expectOutcome(await f.put(path, w.fire.token, put), 412, 'conflict');
    expectOutcome(await f.put(path, w.fire.token, put, { 'if-match': 'W/"99"' }), 412, 'conflict');
    const ok = await f.put(path, w.fire.token, put, { 'if-match': `W/"${task.meta.versionId}"` });
    expect(ok.status).toBe(200);
    expect(ok.body.businessStatus.coding[0].code).toBe('acknowledged');
    expect(ok.body.meta.versionId).not.toBe(task.meta.versionId);
    // the same PUT again: its version is stale now
    expectOutcome(await f.put(path, w.fire.token, put, { 'if-match': `W/"${task.meta.versionId}"` }), 412, 'conflict');
  });

  it('pages a search with next links and filters by _lastUpdated', async () => {
    await fireReferral();
    await fireReferral();
    const first = await f.get('/fhir/Task?_count=1', w.fire.token);
    expect(first.body.entry).toHaveLength(1);
    const next = first.body.link.find((l: { relation: string }) => l.relation === 'next').url as string;
    const second = await f.get(next.slice(next.indexOf('/fhir/')), w.fire.token);
    expect(second.status).toBe(200);
    expect(second.body.entry).toHaveLength(1);
    expect(second.body.entry[0].resource.id).not.toBe(first.body.entry[0].resource.id);
    const since = w.ctx.clock.now().toISOString();
    w.ctx.clock.advance(60_000);
    const { referral } = await fireReferral();
    w.ctx.clock.advance(60_000);
    const changed = await f.get(`/fhir/Task?_lastUpdated=gt${since}`, w.fire.token);
    expect(changed.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([referral.id]);
    expectOutcome(await f.get('/fhir/Task?_lastUpdated=lt2026-01-01', w.fire.token), 400, 'invalid');
    expectOutcome(await f.get('/fhir/Task?status=bogus', w.fire.token), 400, 'invalid');
    expectOutcome(await f.get('/fhir/Task?_count=0', w.fire.token), 400, 'invalid');
  });
});

describe('every error an OperationOutcome', () => {
  it('401, 404, 405, 406, 415, and 400 for bad JSON and the body-shape guards', async () => {
    expectOutcome(await f.get('/fhir/Task'), 401, 'login');
    expectOutcome(await f.get('/fhir/Task', 'not-a-token'), 401, 'login');
    expectOutcome(await f.get('/fhir/Observation/1', w.coordinator.token), 404, 'not-found');
    expectOutcome(await f.get('/fhir/Task/not-a-uuid', w.coordinator.token), 404, 'not-found');
    const del = await w.api.call('DELETE', `/fhir/Task/${crypto.randomUUID()}`, { token: w.coordinator.token });
    expectOutcome(del, 405, 'not-supported');
    expect(del.headers.get('allow')).toBe('GET, PUT, PATCH');
    expectOutcome(await w.api.call('GET', '/fhir/metadata', { headers: { accept: 'application/fhir+xml' } }), 406, 'not-supported');
    expectOutcome(await w.api.call('POST', '/fhir/QuestionnaireResponse', { token: w.linkWorker.token, body: 'x', headers: { 'content-type': 'text/plain' } }), 415, 'not-supported');
    expectOutcome(await f.patch(`/fhir/Task/${crypto.randomUUID()}`, w.coordinator.token, '{"op":', {}), 400, 'structure');
    expectOutcome(await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, '['.repeat(50) + ']'.repeat(50)), 400, 'invalid');
    expectOutcome(await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, { resourceType: 'QuestionnaireResponse', status: 'completed\u0000' }), 400, 'invalid');
    const notQr = await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, { resourceType: 'Patient' });
    expectOutcome(notQr, 400, 'invalid');
    expect(notQr.body.issue[1].expression).toEqual(['QuestionnaireResponse.resourceType']);
    const draft = await f.post('/fhir/QuestionnaireResponse', w.linkWorker.token, { resourceType: 'QuestionnaireResponse', status: 'in-progress' });
    expectOutcome(draft, 400, 'invalid');
    expect(draft.body.issue[1].expression).toEqual(['QuestionnaireResponse.status']);
    expectOutcome(await w.api.call('PATCH', `/fhir/Task/${crypto.randomUUID()}`, { token: w.coordinator.token, body: [], headers: { 'content-type': FHIR_JSON } }), 415, 'not-supported');
  });
});
