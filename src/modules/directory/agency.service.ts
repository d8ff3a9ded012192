/**
 * Partner agencies: listed for every signed-in user (the questionnaire names them), managed by
 * the hub. Names are unique regardless of case (a unique index on lower(name)).
 */
import { z } from 'zod';
import { badRequest, conflict, forbidden, notFound } from '../../kernel/errors.js';
import { findAgency, insertAgency, listAgencyRows, updateAgency as updateAgencyRow, type AgencyRow, advanceCapacityLinkGeneration } from './agency.repository.js';
import { PERSON_FIELDS } from '../../kernel/person-fields.js';
import { CLOCK_KINDS } from '../../kernel/working-days.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { Executor } from '../../platform/db/database.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { oneLineText } from '../../kernel/text-fields.js';

const phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9 ()-]{7,20}$/, 'must be a telephone number')
  .nullable();

/** The fields of an agency, shared by the JSON API and the web forms. */
export const agencyFields = {
  name: oneLineText().trim().min(1, 'must not be empty').max(200),
  email: z.email('must be an email address').max(254),
  phone: phone.optional(),
  status: z.enum(['active', 'paused']),
  contactDays: z.coerce.number().int('must be a whole number of days').min(1).max(90),
  /** whether contactDays count calendar days or working days (Monday to Friday, not bank holidays) */
  contactClock: z.enum(CLOCK_KINDS, { message: `must be one of: ${CLOCK_KINDS.join(', ')}` }),
  /** the person's details the agency receives, besides the name; every one when left out */
  personFields: z
    .array(z.enum(PERSON_FIELDS, { message: `must be one of: ${PERSON_FIELDS.join(', ')}` }))
    .max(PERSON_FIELDS.length)
    .transform((f) => [...new Set(f)]),
};

export const newAgencySchema = z.strictObject({
  ...agencyFields,
  status: agencyFields.status.default('active'),
  // absent: the configured default, CONTACT_WITHIN_DAYS (see createAgency)
  contactDays: agencyFields.contactDays.optional(),
  // absent: the configured default, CONTACT_CLOCK
  contactClock: agencyFields.contactClock.optional(),
  personFields: agencyFields.personFields.optional(),
});
export type NewAgencyInput = z.infer<typeof newAgencySchema>;

export const agencyPatchSchema = z
  .strictObject({
    name: agencyFields.name.optional(),
    email: agencyFields.email.optional(),
    phone: agencyFields.phone,
    status: agencyFields.status.optional(),
    contactDays: agencyFields.contactDays.optional(),
    contactClock: agencyFields.contactClock.optional(),
    personFields: agencyFields.personFields.optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: 'must name at least one field to change' });
export type AgencyPatch = z.infer<typeof agencyPatchSchema>;

function duplicateName(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === 'agencies_name_key';
}

/** An agency the ORUK import made stays paused until the hub gives it an inbox (the table's check). */
function inboxNotSet(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23514' && e.constraint === 'agencies_inbox_set_when_active';
}
const inboxNeeded = () => badRequest('an agency needs an email for referrals before it is active', [{ path: 'email', message: 'must be set before the agency is active' }]);

const requireHub = (p: Principal) => {
  if (!isHub(p)) throw forbidden('only coordinators and admins manage agencies');
};

export async function listAgencies(deps: Pick<ServiceDeps, 'db'>): Promise<AgencyRow[]> {
  return listAgencyRows(deps.db);
}

/** One agency, for its page; undefined when there is none with this id. */
export async function getAgency(deps: Pick<ServiceDeps, 'db'>, id: string): Promise<AgencyRow | undefined> {
  return findAgency(deps.db, id);
}

export async function createAgency(deps: ServiceDeps, principal: Principal, input: NewAgencyInput): Promise<AgencyRow> {
  requireHub(principal);
  try {
    return await insertAgency(deps.db, {
      id: deps.ids.uuid(),
      name: input.name,
      email: input.email,
      phone: input.phone ?? null,
      status: input.status,
      contactDays: input.contactDays ?? deps.env.CONTACT_WITHIN_DAYS,
      contactClock: input.contactClock ?? deps.env.CONTACT_CLOCK,
      personFields: input.personFields,
      now: deps.clock.now(),
    });
  } catch (err) {
    if (duplicateName(err)) throw conflict('duplicate_name', `an agency named "${input.name}" already exists`, [{ path: 'name', message: 'is already used' }]);
    if (inboxNotSet(err)) throw inboxNeeded();
    throw err;
  }
}

export async function updateAgency(deps: ServiceDeps, principal: Principal, id: string, patch: AgencyPatch): Promise<AgencyRow> {
  requireHub(principal);
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  try {
    const row = await updateAgencyRow(deps.db, id, set, deps.clock.now());
    if (!row) throw notFound('agency');
    return row;
  } catch (err) {
    if (duplicateName(err)) throw conflict('duplicate_name', `an agency named "${patch.name}" already exists`, [{ path: 'name', message: 'is already used' }]);
    if (inboxNotSet(err)) throw inboxNeeded();
    throw err;
  }
}

/**
 * In the transaction that makes a staff account able to sign in (created with a password, or
 * given one): for an agency user, every capacity link of the agency stops for good, so that none
 * works again should its accounts later be disabled. The account's own audit row records the act.
 */
export async function stopCapacityLinksForStaff(trx: Executor, user: { role: string; agencyId: string | null; disabledAt?: Date | null }): Promise<void> {
  if (user.role === 'agency' && user.agencyId && !user.disabledAt) await advanceCapacityLinkGeneration(trx, user.agencyId, null);
}
