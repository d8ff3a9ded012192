/**
 * Reading referrals: the agency inbox and the hub's lists (keyset pages), and one referral with
 * the person's contact details. Every read of personal data is audited, whoever reads it: a
 * list audits each row it shows a person on (a name beside the service it was referred to is
 * special-category data). What an agency may see follows referral-access.ts; it sees only the
 * questions that flagged ITS referral, never the rest of the answers. Status changes live in
 * referral-transition.service.ts (re-exported here).
 */
import { minimisePerson, PERSON_FIELDS } from '../../kernel/person-fields.js';
import { z } from 'zod';
import { badRequest, forbidden, notFound } from '../../kernel/errors.js';
import type { Consent } from '../../platform/db/database.js';
import { EXACT_MOMENT, type KeysetPlace } from '../../platform/db/keyset.js';
import { findQuestionTexts, findReferralDetails, listEventsOfReferrals, listReferralRows } from './referral.repository.js';
import { REFERRAL_STATUSES, type ReferralStatus } from '../../kernel/referral-state.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import { findReferralRoutings } from '../intake/index.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { accessTo, agencySeesPerson, allowedFor, type Channel } from './referral-access.js';
import { recordAudits } from '../audit/index.js';

export { transitionReferral, transitionSchema, type TransitionInput, type TransitionResult } from './referral-transition.service.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** The list's query string, shared by the JSON API and the web pages. */
export const referralListQuerySchema = z.object({
  status: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(REFERRAL_STATUSES, { message: `must be a comma-separated list of: ${REFERRAL_STATUSES.join(', ')}` })))
    .optional(),
  agencyId: z.uuid('must be an agency id').optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
});
/** Parsed filters (referralListQuerySchema's output); limit defaults to 50, at most 200. */
export interface ReferralListQuery {
  status?: ReferralStatus[] | undefined;
  agencyId?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
  /** only referrals changed after this moment (the FHIR API's _lastUpdated=gt...), in the order of change, oldest first */
  updatedAfter?: Date | undefined;
}

export interface ReferralListItem {
  id: string;
  reference: string;
  submissionId: string;
  agencyId: string;
  agencyName: string;
  status: ReferralStatus;
  /** null where the caller may no longer see the person (an agency's cancelled or re-routed referral) */
  person: { givenName: string | null; familyName: string | null } | null;
  receivedAt: Date;
  forwardDueAt: Date;
  forwardedAt: Date | null;
  contactDueAt: Date | null;
  contactedAt: Date | null;
  closedAt: Date | null;
}

/**
 * Which order a cursor is a place in: the list's own (by receipt, newest first) or the changes'
 * (by updated_at, oldest first: a search with updatedAfter). A cursor of one is refused by the other.
 */
export type CursorKind = 'received' | 'changed';

/**
 * An opaque position in the list: base64url of [moment to the microsecond, id] of the page's last
 * item (platform/db/keyset.ts), its moment its receipt; a place in the changes is
 * ['changed', updatedAt, id].
 */
export function encodeCursor(item: KeysetPlace, kind: CursorKind = 'received'): string {
  return Buffer.from(JSON.stringify(kind === 'received' ? [item.at, item.id] : [kind, item.at, item.id])).toString('base64url');
}

const placeSchema = z.union([z.tuple([z.string().regex(EXACT_MOMENT), z.uuid()]), z.tuple([z.literal('changed'), z.string().regex(EXACT_MOMENT), z.uuid()])]);

export function decodeCursor(cursor: string, kind: CursorKind = 'received'): KeysetPlace {
  const bad = (message = 'is not a cursor this API returned') => badRequest('invalid cursor', [{ path: 'cursor', message }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const shape = placeSchema.safeParse(parsed);
  if (!shape.success) throw bad();
  const [at, id] = shape.data.length === 3 ? [shape.data[1], shape.data[2]] : shape.data;
  if (Number.isNaN(Date.parse(at))) throw bad();
  const its: CursorKind = shape.data.length === 3 ? 'changed' : 'received';
  if (its !== kind) {
    throw bad(kind === 'changed' ? 'is a cursor of the list by receipt, not of this search for changes (_lastUpdated)' : 'is a cursor of a search for changes (_lastUpdated), not of this list');
  }
  return { at, id };
}

/**
 * Agency users: their own agency's referrals that were forwarded to it, always. The hub: all,
 * optionally one agency's. Audited: one row per referral whose person the page shows.
 */
export async function listReferrals(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  principal: Principal,
  query: ReferralListQuery,
  requestId?: string,
  channel: Channel = 'account',
): Promise<{ items: ReferralListItem[]; nextCursor: string | null }> {
  if (!isHub(principal) && principal.role !== 'agency') throw forbidden('only agencies and the hub see referrals');
  const f = { ...query, limit: Math.min(Math.max(1, Math.trunc(query.limit ?? DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE) };
  if (principal.role === 'agency' && f.agencyId !== undefined && f.agencyId !== principal.agencyId) {
    // an agency's filter can only narrow to itself; asking for another agency finds nothing
    return { items: [], nextCursor: null };
  }
  const agencyId = principal.role === 'agency' ? principal.agencyId! : f.agencyId;
  const isAgency = principal.role === 'agency';
  // a search for changes pages in the order of change (referral.repository.ts), and its cursor says so
  const kind: CursorKind = f.updatedAfter !== undefined ? 'changed' : 'received';
  const rows = await listReferralRows(deps.db, {
    agencyId,
    forwardedOnly: isAgency,
    statuses: f.status,
    updatedAfter: f.updatedAfter,
    after: f.cursor ? decodeCursor(f.cursor, kind) : undefined,
    limit: f.limit,
  });
  const page = rows.slice(0, f.limit);
  const items: ReferralListItem[] = page.map(({ givenName, familyName, status, personId: _p, consentWithdrawn, cursorAt: _c, ...r }) => ({
    ...r,
    status: status as ReferralStatus,
    person: !isAgency || agencySeesPerson(status, consentWithdrawn, channel) ? { givenName, familyName } : null,
  }));
  const shown = page.filter((x, i) => items[i]!.person !== null);
  if (shown.length) {
    const at = deps.clock.now();
    await recordAudits(deps.db, shown.map((x) => ({ principal, action: 'list', entity: 'referral', entityId: x.id, personId: x.personId, requestId, at })));
  }
  const last = page[page.length - 1];
  return { items, nextCursor: rows.length > f.limit && last ? encodeCursor({ at: last.cursorAt, id: last.id }, kind) : null };
}

function minimiseFor<T extends Parameters<typeof minimisePerson>[0]>(actor: 'agency' | 'hub', fields: readonly string[], person: T): T {
  return actor === 'agency' ? minimisePerson(person, fields) : person;
}

export type ReferralDetail = NonNullable<Awaited<ReturnType<typeof getReferralForActor>>>;
export type ReferralDetailWithPerson = Awaited<ReturnType<typeof getReferralWithPersonId>>;

/**
 * One referral for its agency or the hub, with the person's contact details, the questions that
 * flagged it (only those), its history and what the caller may do next. Audited. Where the
 * caller may see only a summary (referral-access.ts), `person`, `consent` and `questions` are
 * null and the history keeps its dates and statuses but not its free text.
 */
export async function getReferralForActor(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  principal: Principal,
  id: string,
  requestId?: string,
  channel: Channel = 'account',
) {
  const { personId: _personId, events, ...detail } = await readReferral(deps, principal, id, requestId, channel);
  return { ...detail, events: events.map(({ bySystem: _bySystem, ...e }) => e) };
}

/**
 * getReferralForActor's read with the person's id beside it (the FHIR API's Task.for names the
 * Patient by it); the same access rule and audit.
 */
export async function getReferralWithPersonId(deps: Pick<ServiceDeps, 'db' | 'clock'>, principal: Principal, id: string, requestId?: string) {
  return readReferral(deps, principal, id, requestId, 'account');
}

/**
 * getReferralWithPersonId for a page of referrals (the FHIR API's Task search), in the order of
 * `ids`, in four statements whatever the page's size; one the caller may not read is left out.
 */
export async function getReferralsWithPersonId(deps: Pick<ServiceDeps, 'db' | 'clock'>, principal: Principal, ids: string[], requestId?: string) {
  return readReferrals(deps, principal, ids, requestId, 'account');
}

async function readReferral(deps: Pick<ServiceDeps, 'db' | 'clock'>, principal: Principal, id: string, requestId: string | undefined, channel: Channel) {
  const [one] = await readReferrals(deps, principal, [id], requestId, channel);
  if (!one) throw notFound('referral');
  return one;
}

async function readReferrals(deps: Pick<ServiceDeps, 'db' | 'clock'>, principal: Principal, ids: string[], requestId: string | undefined, channel: Channel) {
  const byId = new Map((await findReferralDetails(deps.db, ids)).map((r) => [r.id, r]));
  const readable = ids.flatMap((id) => {
    const r = byId.get(id);
    const access = r ? accessTo(principal, r, channel) : null;
    return r && access ? [{ r, access, full: access.view === 'full' }] : [];
  });
  const full = readable.filter((x) => x.full);
  const [texts, events] = await Promise.all([
    findQuestionTexts(deps.db, [...new Set(full.flatMap((x) => x.r.questionIds))]),
    listEventsOfReferrals(deps.db, readable.map((x) => x.r.id)),
  ]);
  // written before the data is returned: no read of personal data goes unaudited
  const at = deps.clock.now();
  await recordAudits(deps.db, full.map(({ r }) => ({ principal, action: 'read' as const, entity: 'referral' as const, entityId: r.id, personId: r.personId, requestId, at })));
  return readable.map(({ r, access, full }) => referralDetail(r, access, full ? texts.filter((q) => r.questionIds.includes(q.id)) : null, events.filter((e) => e.referralId === r.id)));
}

type DetailRow = Awaited<ReturnType<typeof findReferralDetails>>[number];
type EventRow = Awaited<ReturnType<typeof listEventsOfReferrals>>[number];

function referralDetail(r: DetailRow, access: NonNullable<ReturnType<typeof accessTo>>, questions: { id: string; text: string }[] | null, events: EventRow[]) {
  const full = access.view === 'full';
  const consent = r.consent as Consent;
  const actor = access.actor;
  return {
    id: r.id,
    reference: r.reference,
    submissionId: r.submissionId,
    submissionReference: r.submissionReference,
    agencyId: r.agencyId,
    agencyName: r.agencyName,
    status: r.status as ReferralStatus,
    view: access.view,
    /** the person's details this caller is given besides the name (an agency's configured fields; the hub: all) */
    personFields: actor === 'agency' ? r.personFields : [...PERSON_FIELDS],
    // an agency sees only the details it is configured to receive (kernel/person-fields.ts)
    person: full
      ? minimiseFor(actor, r.personFields, {
          givenName: r.givenName,
          familyName: r.familyName,
          dateOfBirth: r.dateOfBirth,
          postcode: r.postcode,
          phone: r.phone,
          email: r.email,
          addressLine: r.addressLine,
          preferredContact: r.preferredContact,
          language: r.language,
          accessNeeds: r.accessNeeds,
          nhsNumber: r.nhsNumber,
        })
      : null,
    consent: full ? { by: consent.by, representativeName: consent.representativeName ?? null, recordedAt: consent.recordedAt } : null,
    questions,
    events: events.map((e) => ({
      at: e.at,
      actorLabel: e.actorLabel,
      fromStatus: e.fromStatus,
      toStatus: e.toStatus,
      reason: full ? e.reason : null,
      outcome: e.outcome,
      note: full ? e.note : null,
      /** written by the hub itself (the forwarding worker, the sweep), not by a person; not in getReferralForActor's reply */
      bySystem: e.actorUserId === null,
    })),
    reroutedFromId: r.reroutedFromId,
    reroutedToId: r.reroutedToId,
    receivedAt: r.receivedAt,
    // the hub's promise (src/kernel/promise.ts): the same dates the person was given
    heldUntil: r.heldUntil,
    forwardDueAt: r.forwardDueAt,
    forwardedAt: r.forwardedAt,
    contactDueAt: r.contactDueAt,
    contactedAt: r.contactedAt,
    followUpDueAt: r.followUpDueAt,
    followedUpAt: r.followedUpAt,
    closedAt: r.closedAt,
    outcome: r.outcome,
    onHoldUntil: r.onHoldUntil,
    updatedAt: r.updatedAt,
    // an erased person's referral moves no more (referral-transition.service.ts)
    personErased: r.personErasedAt !== null,
    allowedNext: r.personErasedAt ? [] : allowedFor(r, actor),
    personId: r.personId,
  };
}

/** How capacity shaped a referral when it was made (a fallback used and why, a wait), for its page; the caller has authorised the read. */
export async function referralRoutingNote(deps: Pick<ServiceDeps, 'db'>, referralId: string): Promise<string | null> {
  return (await findReferralRoutings(deps.db, [referralId])).get(referralId)?.note ?? null;
}
