/**
 * The audit log answers questions and shows tampering, against the real Postgres: every read of
 * a person is a row naming them; admins query by person, user and time; rows are sealed into a
 * hash chain that `signpost audit:verify` recomputes, and a changed or removed row is found.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../src/cli/index.js';
import { createAgencyLink } from '../src/modules/referrals/agency-link.service.js';
import { sealAudit, verifyAuditChain } from '../src/modules/audit/audit.service.js';
import { processRecords } from '../workers/records.js';
import { apiClient } from './helpers/api.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { markForwarded } from './helpers/referrals.js';

let ctx: TestContext;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let worker: TestUser;
let coordinator: TestUser;
let admin: TestUser;
let fireAgency: TestUser;
let personId: string;
let submissionId: string;
let referralId: string;

beforeAll(async () => {
  ctx = await createTestContext();
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  worker = await makeUser(ctx, 'link_worker');
  coordinator = await makeUser(ctx, 'coordinator');
  admin = await makeUser(ctx, 'admin');
  fireAgency = await makeUser(ctx, 'agency', q.questions[0]!.agencyId);
  const s = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id]));
  ({ personId, id: submissionId } = s.body);
  referralId = s.body.referrals[0].id;
  await markForwarded(ctx, referralId);
});
afterAll(async () => ctx?.close());

const rowsAbout = (id: string) => ctx.db.selectFrom('auditLog').select(['action', 'entity', 'actorUserId']).where('personId', '=', id).orderBy('id').execute();

describe('every read of a person is audited with who and which person', () => {
  it('records the submitter’s, the agency’s and the hub’s reads, lists included', async () => {
    const before = (await rowsAbout(personId)).length;
    const reads: [TestUser, string, string, string][] = [
      [worker, `/api/v1/submissions/${submissionId}`, 'read', 'submission'],
      [fireAgency, `/api/v1/referrals/${referralId}`, 'read', 'referral'],
      [fireAgency, '/api/v1/referrals', 'list', 'referral'],
      [coordinator, '/api/v1/follow-ups?state=upcoming', 'list', 'submission'],
      [coordinator, `/api/v1/people/${personId}`, 'read', 'person'],
      [coordinator, `/api/v1/people/${personId}/export`, 'person.export', 'person'],
    ];
    for (const [who, path, action, entity] of reads) {
      expect((await api.get(path, who.token)).status, path).toBe(200);
      const last = (await rowsAbout(personId)).at(-1)!;
      expect(last, path).toEqual({ action, entity, actorUserId: who.id });
    }
    expect((await rowsAbout(personId)).length).toBe(before + reads.length);
  });
});

describe('GET /api/v1/audit', () => {
  it('answers who has seen this person, and what this user saw, newest first, with organisations, a page at a time', async () => {
    const who = await api.get(`/api/v1/audit?personId=${personId}&limit=2`, admin.token);
    expect(who.status).toBe(200);
    expect(who.body.items).toHaveLength(2);
    // the newest row is this query itself: reading the audit log is audited too
    expect(who.body.items[0]).toMatchObject({ action: 'audit.read', personId, actor: { userId: admin.id, organisation: ctx.env.HUB_NAME } });
    const all: { action: string; actor: { organisation: string } }[] = [...who.body.items];
    let cursor = who.body.nextCursor as string | null;
    while (cursor) {
      const page = await api.get(`/api/v1/audit?personId=${personId}&limit=2&cursor=${cursor}`, admin.token);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    }
    expect(all.some((r) => r.actor.organisation === 'Fire & rescue: home fire safety visits')).toBe(true);
    const byUser = await api.get(`/api/v1/audit?userId=${fireAgency.id}`, admin.token);
    expect(byUser.body.items.map((r: { action: string }) => r.action).sort()).toEqual(['list', 'read']);
    const from = new Date(ctx.clock.now().getTime() + 1000).toISOString();
    expect((await api.get(`/api/v1/audit?from=${encodeURIComponent(from)}`, admin.token)).body.items).toEqual([]);
  });

  it('pages past rows written in the same millisecond without skipping one (the cursor keeps microseconds)', async () => {
    const about = crypto.randomUUID();
    const at = new Date(ctx.clock.now().getTime() - 86_400_000).toISOString();
    const { rows } = await sql<{ id: string }>`
      INSERT INTO audit_log (at, actor_user_id, actor_label, action, entity, entity_id, person_id)
      SELECT ${at}::timestamptz + g * interval '1 microsecond', ${admin.id}::uuid, 'test', 'read', 'person', ${about}::uuid, ${about}::uuid
        FROM generate_series(1, 3) g ORDER BY g RETURNING id::text`.execute(ctx.db);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res: { body: { items: { action: string; id: string }[]; nextCursor: string | null } } = await api.get(`/api/v1/audit?personId=${about}&limit=1${cursor ? `&cursor=${cursor}` : ''}`, admin.token);
      seen.push(...res.body.items.filter((r: { action: string }) => r.action === 'read').map((r: { id: string }) => String(r.id)));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(rows.map((r) => r.id).reverse());
  });

  it('names the agency whose emailed link was used, though the link has no user', async () => {
    const link = await createAgencyLink(ctx.db, ctx, referralId, ctx.clock.now());
    expect((await fetch(ctx.baseUrl + new URL(link).pathname)).status).toBe(200);
    const rows = await api.get(`/api/v1/audit?personId=${personId}&limit=5`, admin.token);
    const used = rows.body.items.find((r: { actor: { userId: string | null } }) => r.actor.userId === null);
    expect(used).toMatchObject({ action: 'agency_link.view', entity: 'referral', actor: { organisation: 'Fire & rescue: home fire safety visits' } });
  });

  it('is for admins only, and says what is wrong with a query', async () => {
    expect((await api.get('/api/v1/audit', coordinator.token)).status).toBe(403);
    const bad = await api.get('/api/v1/audit?personId=x&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', admin.token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['personId', 'to']);
    expect((await api.get('/api/v1/audit?cursor=bm9wZQ', admin.token)).body.error.details).toEqual([{ path: 'cursor', message: 'is not a cursor this API returned' }]);
  });
});

describe('the hash chain', () => {
  it('is append-only: no change, no delete, no truncate, except sealing', async () => {
    await sealAudit(ctx);
    const sealed = await ctx.db.selectFrom('auditLog').select('id').where('seq', 'is not', null).executeTakeFirstOrThrow();
    await expect(sql`UPDATE audit_log SET action = 'nothing' WHERE id = ${sealed.id}`.execute(ctx.db)).rejects.toMatchObject({ code: '42501' });
    await expect(sql`DELETE FROM audit_log WHERE id = ${sealed.id}`.execute(ctx.db)).rejects.toMatchObject({ code: '42501' });
    await expect(sql`TRUNCATE audit_log`.execute(ctx.db)).rejects.toMatchObject({ code: '42501' });
    // a new, unsealed row may be sealed but not changed
    await api.get(`/api/v1/referrals/${referralId}`, fireAgency.token);
    const fresh = await ctx.db.selectFrom('auditLog').select('id').where('seq', 'is', null).executeTakeFirstOrThrow();
    await expect(sql`UPDATE audit_log SET entity = 'nothing' WHERE id = ${fresh.id}`.execute(ctx.db)).rejects.toMatchObject({ code: '42501' });
  });

  it('seals every row in order, continues across runs, and verifies', async () => {
    // the scheduled job seals what arrived since
    const sealed = (await processRecords({ id: 'test', name: 'audit-seal', data: {} }, ctx)) as { sealed: number };
    expect(sealed.sealed).toBeGreaterThan(0);
    await api.get(`/api/v1/submissions/${submissionId}`, worker.token);
    let result = await verifyAuditChain(ctx);
    expect(result).toMatchObject({ ok: true, unsealed: 1, brokenAt: null });
    await sealAudit(ctx);
    result = await verifyAuditChain(ctx);
    const total = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM audit_log`.execute(ctx.db)).rows[0]!.n);
    expect(result).toMatchObject({ ok: true, sealed: total, unsealed: 0 });
    expect(result.head!.seq).toBe(String(total));
    const seqs = (await ctx.db.selectFrom('auditLog').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // the CLI says so too
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await runCli(['audit:verify'], ctx.env)).toBe(0);
    expect(JSON.parse(out.mock.calls[0]![0] as string)).toMatchObject({ ok: true, sealed: total });
    out.mockRestore();
  });

  it('finds a row changed behind the trigger’s back, and a row removed', async () => {
    await sealAudit(ctx);
    const target = await ctx.db.selectFrom('auditLog').select(['id', 'seq', 'actorLabel']).where('seq', '=', '3').executeTakeFirstOrThrow();
    // someone with the database's keys: triggers off for the session (as a superuser can)
    const tamper = (statement: ReturnType<typeof sql>) =>
      ctx.db.connection().execute(async (c) => {
        await sql`SET session_replication_role = replica`.execute(c);
        try {
          await statement.execute(c);
        } finally {
          await sql`SET session_replication_role = origin`.execute(c);
        }
      });
    await tamper(sql`UPDATE audit_log SET actor_label = 'someone else' WHERE id = ${target.id}`);
    const changed = await verifyAuditChain(ctx);
    expect(changed).toMatchObject({ ok: false, brokenAt: { seq: '3', id: String(target.id), problem: 'its content does not match its hash: the row was changed' } });
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await runCli(['audit:verify'], ctx.env)).toBe(1);
    expect(String(err.mock.calls[0]![0])).toContain('the audit log hash chain is broken');
    vi.restoreAllMocks();
    // put it back: the chain is whole again
    await tamper(sql`UPDATE audit_log SET actor_label = ${target.actorLabel} WHERE id = ${target.id}`);
    expect((await verifyAuditChain(ctx)).ok).toBe(true);

    await tamper(sql`DELETE FROM audit_log WHERE seq = 5`);
    const removed = await verifyAuditChain(ctx);
    expect(removed).toMatchObject({ ok: false, brokenAt: { seq: '6', problem: 'expected row 5 of the chain next: rows are missing' } });
  });
});
