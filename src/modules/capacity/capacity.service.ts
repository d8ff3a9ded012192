/**
 * Agency capacity: the agency says what it can take, itself (its pages, the API, the link in
 * its reminder mail); coordinators may say it for any agency. Every change and every "still
 * the same" is kept with who said it and through what (agency_capacity_changes). Rules of
 * reading: kernel/capacity.ts.
 */
import { z } from 'zod';
import { findCapacityRecord, listCapacityChanges, listCapacityRecords, writeCapacity } from './capacity.repository.js';
import type { CapacityVia } from '../../platform/db/database.js';
import { CAPACITY_STATUSES, closedUntilProblem, effectiveCapacity, type Capacity } from '../../kernel/capacity.js';
import { londonDay } from '../../kernel/uk-dates.js';
import { badRequest, forbidden, notFound } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { holdCapacityLink } from './capacity-link.js';
import { findAgency, listAgencyRows } from '../directory/index.js';
import { replanHeldReferrals, retimeHeldForwards } from '../referrals/index.js';
import { dispatchWebhookDeliveries, recordWebhookEvent } from '../webhooks/index.js';

/** Who is saying it: a signed-in user, or an agency through its emailed link (no user). */
export interface CapacityActor {
  userId: string | null;
  name: string;
  /** what the actor may act for: a principal's role decides; a link is its agency's */
  principal?: Principal;
  linkAgencyId?: string;
  /** a link's: the agency's link counter it was signed with (modules/capacity/capacity-link.ts) */
  linkGeneration?: number;
}

export const capacityInputSchema = z
  .strictObject({
    status: z.enum(CAPACITY_STATUSES, { message: `must be one of: ${CAPACITY_STATUSES.join(', ')}` }),
    waitWeeks: z.number('must be a whole number of weeks').int('must be a whole number of weeks').min(1, 'must be at least 1').max(104, 'must be at most 104').nullish(),
    closedUntil: z.iso.date('must be a date, YYYY-MM-DD').nullish(),
  })
  .superRefine((v, ctx) => {
    if (v.status === 'waiting_list' && v.waitWeeks == null) ctx.addIssue({ code: 'custom', path: ['waitWeeks'], message: 'is required for a waiting list' });
    if (v.status !== 'waiting_list' && v.waitWeeks != null) ctx.addIssue({ code: 'custom', path: ['waitWeeks'], message: 'is only for a waiting list' });
    if (v.status === 'closed' && v.closedUntil == null) ctx.addIssue({ code: 'custom', path: ['closedUntil'], message: 'is required when closed' });
    if (v.status !== 'closed' && v.closedUntil != null) ctx.addIssue({ code: 'custom', path: ['closedUntil'], message: 'is only for a closed agency' });
  });
export type CapacityInput = z.infer<typeof capacityInputSchema>;

function mayActFor(actor: CapacityActor, agencyId: string): boolean {
  if (actor.linkAgencyId !== undefined) return actor.linkAgencyId === agencyId;
  const p = actor.principal;
  return p !== undefined && (isHub(p) || (p.role === 'agency' && p.agencyId === agencyId));
}

const actorOf = (p: Principal): CapacityActor => ({ userId: p.userId, name: p.name, principal: p });
export { actorOf as capacityActorOf };

async function agencyOrThrow(deps: Pick<ServiceDeps, 'db'>, actor: CapacityActor, agencyId: string) {
  if (!mayActFor(actor, agencyId)) throw forbidden('an agency sees and sets its own capacity only');
  const agency = await findAgency(deps.db, agencyId);
  if (!agency) throw notFound('agency');
  return agency;
}

export interface CapacityView extends Capacity {
  agencyId: string;
  agencyName: string;
}

function view(agency: { id: string; name: string }, c: Capacity): CapacityView {
  return { agencyId: agency.id, agencyName: agency.name, ...c };
}

/** One agency's capacity as read now, with its history when asked for (the pages and the API). */
export async function getAgencyCapacity(deps: Pick<ServiceDeps, 'db' | 'clock' | 'env'>, actor: CapacityActor, agencyId: string, opts: { history?: boolean } = {}) {
  const agency = await agencyOrThrow(deps, actor, agencyId);
  const c = effectiveCapacity(await findCapacityRecord(deps.db, agencyId), deps.clock.now(), deps.env.CAPACITY_UNCONFIRMED_AFTER_DAYS);
  return { ...view(agency, c), history: opts.history ? await listCapacityChanges(deps.db, agencyId) : undefined };
}

/**
 * The agency's new word; the same word again is a confirmation. 400 names each bad field: a
 * closing date after today and at most CAPACITY_CLOSED_MAX_DAYS ahead (kernel/capacity.ts).
 */
export async function setAgencyCapacity(deps: ServiceDeps, actor: CapacityActor, agencyId: string, input: CapacityInput, via: CapacityVia): Promise<CapacityView> {
  const agency = await agencyOrThrow(deps, actor, agencyId);
  const now = deps.clock.now();
  const problem = input.status === 'closed' && input.closedUntil ? closedUntilProblem(input.closedUntil, londonDay(now), deps.env.CAPACITY_CLOSED_MAX_DAYS) : null;
  if (problem) throw badRequest('invalid capacity', [{ path: 'closedUntil', message: problem }]);
  const said = { status: input.status, closedUntil: input.status === 'closed' ? (input.closedUntil ?? null) : null };
  const calendar = await deps.holidays.get();
  const webhookDeliveryIds: string[] = [];
  const replanned = await deps.db.transaction().execute(async (trx) => {
    // a link stopped while this request ran writes nothing
    await holdCapacityLink(trx, actor);
    await writeCapacity(trx, {
      agencyId,
      status: input.status,
      waitWeeks: input.status === 'waiting_list' ? (input.waitWeeks ?? null) : null,
      closedUntil: said.closedUntil,
      at: now,
      actorUserId: actor.userId,
      actorLabel: actor.name,
      via,
    });
    // the hub's endpoints and the agency's own hear of it (a confirmation of the same is a change of its confirmed date)
    webhookDeliveryIds.push(
      ...(await recordWebhookEvent(trx, {
        type: 'capacity.changed',
        at: now,
        agencyId,
        data: { id: agencyId, status: input.status, waitWeeks: input.status === 'waiting_list' ? (input.waitWeeks ?? null) : null, closedUntil: said.closedUntil },
      })),
    );
    // referrals held for it start their clocks on the day it now reopens
    const clock = { contactDays: agency.contactDays, contactClock: agency.contactClock };
    return replanHeldReferrals(trx, deps, { id: agencyId, clock }, said, { actorUserId: actor.userId, actorLabel: actor.name }, now, calendar);
  });
  deps.capacities.invalidate();
  await dispatchWebhookDeliveries(deps.jobs, webhookDeliveryIds);
  await retimeHeldForwards(deps, replanned, now);
  deps.logger.info({ agencyId, status: input.status, via }, 'agency capacity set');
  return view(agency, effectiveCapacity(await findCapacityRecord(deps.db, agencyId), now, deps.env.CAPACITY_UNCONFIRMED_AFTER_DAYS));
}

/** "Yes, still the same": confirms what is true now (a closing date that has come confirms accepting). */
export async function confirmAgencyCapacity(deps: ServiceDeps, actor: CapacityActor, agencyId: string, via: CapacityVia): Promise<CapacityView> {
  await agencyOrThrow(deps, actor, agencyId);
  const c = effectiveCapacity(await findCapacityRecord(deps.db, agencyId), deps.clock.now(), deps.env.CAPACITY_UNCONFIRMED_AFTER_DAYS);
  return setAgencyCapacity(deps, actor, agencyId, { status: c.status, waitWeeks: c.waitWeeks, closedUntil: c.closedUntil }, via);
}

/** Every agency's capacity now, for the hub's dashboard and agencies page (a fresh read: few rows). */
export async function capacityOverview(deps: Pick<ServiceDeps, 'db' | 'clock' | 'env'>, principal: Principal): Promise<CapacityView[]> {
  if (!isHub(principal)) throw forbidden('only coordinators and admins see every agency');
  const [agencies, records] = await Promise.all([listAgencyRows(deps.db), listCapacityRecords(deps.db)]);
  const now = deps.clock.now();
  return agencies.map((a) => view(a, effectiveCapacity(records.get(a.id), now, deps.env.CAPACITY_UNCONFIRMED_AFTER_DAYS)));
}
