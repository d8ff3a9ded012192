import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR } from '../src/kernel/clock.js';
import { runSweep } from '../src/modules/sla/sla.service.js';
import type { TestContext } from './helpers/context.js';
import type { TestUser } from './helpers/factories.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { forward, setStatus, submit, type Submitted } from './helpers/sla-fixtures.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;
let late: Submitted;
let onTime: Submitted;
let fireId: string;
let adviceId: string;

beforeAll(async () => {
  ({ ctx, api, q, worker, coordinator } = await createWorld({ worker: 'link_worker', coordinator: 'coordinator' }));
  fireId = q.questions[0]!.agencyId;
  adviceId = q.questions[15]!.agencyId;

  // t0: two submissions. "onTime" is forwarded after 2 h; "late" (fire + advice) is not.
  late = await submit(api, worker, q, [0, 15]);
  onTime = await submit(api, worker, q, [0]);
  ctx.clock.advance(2 * HOUR);
  await forward(ctx, [onTime.referrals[0]!.id]);
  // t0 + 26 h: T1 breached for both "late" referrals; the fire one is then forwarded (2 h late)
  ctx.clock.advance(24 * HOUR);
  await runSweep(ctx);
  await forward(ctx, [late.referrals.find((r) => r.agencyId === fireId)!.id]);
  // contacted after 3 days
  ctx.clock.advance(3 * DAY);
  await setStatus(ctx, onTime.referrals[0]!.id, 'contacted');
});
afterAll(async () => ctx?.close());

describe('GET /api/v1/sla/breaches', () => {
  it('lists breaches with reference, agency, due, detected, resolved and how late', async () => {
    const res = await api.get('/api/v1/sla/breaches', coordinator.token);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(2);
    const fire = res.body.items.find((b: any) => b.agencyId === fireId);
    const advice = res.body.items.find((b: any) => b.agencyId === adviceId);
    expect(fire).toMatchObject({
      clock: 'forward',
      referralReference: late.referrals.find((r) => r.agencyId === fireId)!.reference,
      agencyName: expect.any(String),
      dueAt: late.referrals[0]!.forwardDueAt,
      lateBySeconds: 2 * 3600,
    });
    expect(fire.resolvedAt).not.toBeNull();
    // still open: late by "now - due" (2 h + 3 days)
    expect(advice).toMatchObject({ clock: 'forward', resolvedAt: null, lateBySeconds: 2 * 3600 + 3 * 86_400 });
  });

  it('filters by open, clock and agency', async () => {
    const open = await api.get('/api/v1/sla/breaches?open=true', coordinator.token);
    expect(open.body.items.map((b: any) => b.agencyId)).toEqual([adviceId]);
    const resolved = await api.get('/api/v1/sla/breaches?open=false&clock=forward', coordinator.token);
    expect(resolved.body.items.map((b: any) => b.agencyId)).toEqual([fireId]);
    expect((await api.get('/api/v1/sla/breaches?clock=contact', coordinator.token)).body.items).toEqual([]);
    const byAgency = await api.get(`/api/v1/sla/breaches?agencyId=${fireId}`, coordinator.token);
    expect(byAgency.body.items.map((b: any) => b.agencyId)).toEqual([fireId]);
  });

  it('answers 400 with the field for bad filters, and 403 to non-hub users', async () => {
    const bad = await api.get('/api/v1/sla/breaches?clock=weekly&open=maybe', coordinator.token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: any) => d.path).sort()).toEqual(['clock', 'open']);
    expect((await api.get('/api/v1/sla/breaches', worker.token)).status).toBe(403);
    expect((await api.get('/api/v1/sla/summary', worker.token)).status).toBe(403);
  });
});

describe('GET /api/v1/sla/summary', () => {
  it('gives each agency its open breaches, recent breaches, medians and what is due in the next 24 h', async () => {
    const res = await api.get('/api/v1/sla/summary', coordinator.token);
    expect(res.status).toBe(200);
    expect(res.body.windowDays).toBe(30);
    const byId = Object.fromEntries(res.body.agencies.map((a: any) => [a.agencyId, a]));
    expect(res.body.agencies.length).toBeGreaterThanOrEqual(17);

    expect(byId[adviceId]).toMatchObject({
      openBreaches: { forward: 1, contact: 0, follow_up: 0 },
      breachesLast30Days: 1,
      medianHoursToForward: null,
    });
    // fire: forwarded after 2 h and after 26 h -> median 14 h; contacted 3 days after forwarding
    expect(byId[fireId]).toMatchObject({
      openBreaches: { forward: 0, contact: 0, follow_up: 0 },
      breachesLast30Days: 1,
      medianHoursToForward: 14,
      medianHoursToContact: 72 + 24,
    });
  });

  it('counts items due in the next 24 hours (warnings before a breach)', async () => {
    const fresh = await submit(api, worker, q, [3]);
    const res = await api.get('/api/v1/sla/summary', coordinator.token);
    const a = res.body.agencies.find((x: any) => x.agencyId === fresh.referrals[0]!.agencyId);
    expect(a.dueNext24Hours.forward).toBe(1);
    // the fire referral forwarded at t0+26h is due for contact at t0+26h+14d; move to 1 h before
    ctx.clock.advance(11 * DAY - HOUR);
    const later = await api.get('/api/v1/sla/summary', coordinator.token);
    const fire = later.body.agencies.find((x: any) => x.agencyId === fireId);
    expect(fire.dueNext24Hours.contact).toBe(1);
  });
});
