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
import { CompiledQuery, sql } from 'kysely';
import { referralListQuery } from '../src/modules/referrals/referral.repository.js';

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
    // the submitter reads no answers (health data); the hub reads them
    expect(own.body.item).toBeUndefined();
    const hub = await f.get(path, w.coordinator.token);
    expect(hub.status).toBe(200);
    const { item, ...rest } = hub.body;
    expect(rest).toEqual(own.body);
    expect(item.length).toBeGreaterThan(0);
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

describe('polling for changes (_lastUpdated)', () => {
  const ids = (res: { body: { entry: { resource: { id: string } }[] } }) => res.body.entry.map((e) => e.resource.id);
  const nextOf = (res: { body: { link: { relation: string; url: string }[] } }) => {
    const url = res.body.link.find((l) => l.relation === 'next')?.url;
    return url === undefined ? undefined : url.slice(url.indexOf('/fhir/'));
  };

  it('pages oldest change first: a Task changed after its page comes again further on, none is skipped or repeated', async () => {
    const since = w.ctx.clock.now().toISOString();
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      w.ctx.clock.advance(1_000);
      made.push((await fireReferral()).referral.id);
    }
    const [a, b, c] = made as [string, string, string];
    const seen: { id: string; version: string; lastUpdated: string }[] = [];
    const take = async (path: string) => {
      const res = await f.get(path, w.fire.token);
      expect(res.status).toBe(200);
      expect(r4Problems(res.body)).toEqual([]);
      for (const e of res.body.entry) seen.push({ id: e.resource.id, version: e.resource.meta.versionId, lastUpdated: e.resource.meta.lastUpdated });
      return res;
    };
    const first = await take(`/fhir/Task?_lastUpdated=gt${since}&_count=1`);
    expect(ids(first)).toEqual([a]);
    // a, already seen, changes
    w.ctx.clock.advance(1_000);
    expect((await f.patch(`/fhir/Task/${a}`, w.fire.token, moveTo('acknowledged'))).status).toBe(200);
    const second = await take(nextOf(first)!);
    expect(ids(second)).toEqual([b]);
    // c, not seen yet, changes: it moves after a's change, and is still seen once
    w.ctx.clock.advance(1_000);
    expect((await f.patch(`/fhir/Task/${c}`, w.fire.token, moveTo('acknowledged'))).status).toBe(200);
    let page = second;
    while (nextOf(page)) page = await take(nextOf(page)!);
    expect(seen.map((x) => x.id)).toEqual([a, b, a, c]);
    expect(seen[2]!.version).not.toBe(seen[0]!.version);
    expect(seen[3]!.lastUpdated > seen[2]!.lastUpdated).toBe(true);
    const times = seen.map((x) => x.lastUpdated);
    expect([...times].sort()).toEqual(times);

    // the next poll, from the last change seen, finds nothing new; then only what changed since
    expect(ids(await f.get(`/fhir/Task?_lastUpdated=gt${seen.at(-1)!.lastUpdated}`, w.fire.token))).toEqual([]);
    w.ctx.clock.advance(1_000);
    expect((await f.patch(`/fhir/Task/${b}`, w.fire.token, moveTo('acknowledged'))).status).toBe(200);
    expect(ids(await f.get(`/fhir/Task?_lastUpdated=gt${seen.at(-1)!.lastUpdated}`, w.fire.token))).toEqual([b]);
  });

  it('refuses a cursor of the other kind of search with 400', async () => {
    await fireReferral();
    await fireReferral();
    const changes = await f.get('/fhir/Task?_lastUpdated=gt2020-01-01&_count=1', w.fire.token);
    const byReceipt = await f.get('/fhir/Task?_count=1', w.fire.token);
    const cursorOf = (path: string) => new URL(path, 'http://x').searchParams.get('_cursor')!;
    const changeCursor = cursorOf(nextOf(changes)!);
    const receiptCursor = cursorOf(nextOf(byReceipt)!);
    expect((await f.get(`/fhir/Task?_lastUpdated=gt2020-01-01&_count=1&_cursor=${changeCursor}`, w.fire.token)).status).toBe(200);
    expect((await f.get(`/fhir/Task?_count=1&_cursor=${receiptCursor}`, w.fire.token)).status).toBe(200);
    expectOutcome(await f.get(`/fhir/Task?_count=1&_cursor=${changeCursor}`, w.fire.token), 400, 'invalid');
    expectOutcome(await f.get(`/fhir/Task?_lastUpdated=gt2020-01-01&_count=1&_cursor=${receiptCursor}`, w.fire.token), 400, 'invalid');
    // the JSON API's list takes only its own
    expect((await w.api.get(`/api/v1/referrals?limit=1&cursor=${changeCursor}`, w.fire.token)).status).toBe(400);
  });

  it('reads an agency’s changes through referrals_agency_changes_idx, and the hub’s through referrals_changes_idx, in the index’s order', async () => {
    const planOf = async (f: Parameters<typeof referralListQuery>[1]) =>
      w.ctx.db.transaction().execute(async (trx) => {
        // a table this small is read whole when allowed; with sequential scans off, the plan shows what the index can serve
        await sql`SET LOCAL enable_seqscan = off`.execute(trx);
        const q = referralListQuery(trx, f).compile();
        const { rows } = await trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${q.sql}`, [...q.parameters]));
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
    const after = { at: '2026-01-05T09:00:00.000000Z', id: crypto.randomUUID() };
    const agency = await planOf({ agencyId: w.fire.agencyId!, forwardedOnly: true, updatedAfter: new Date('2026-01-01T00:00:00Z'), after, limit: 50 });
    expect(agency).toMatch(/Index Scan using referrals_agency_changes_idx on referrals r/);
    // the index gives the order: no sort of the referrals
    expect(agency).not.toMatch(/Sort/);
    const hub = await planOf({ updatedAfter: new Date('2026-01-01T00:00:00Z'), limit: 50 });
    expect(hub).toMatch(/Index Scan using referrals_changes_idx on referrals r/);
    expect(hub).not.toMatch(/Sort/);
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
