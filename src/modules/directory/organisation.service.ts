/**
 * Referrer organisations, managed by the hub (coordinators and admins): the organisation each
 * link worker works for, which every checklist records as it arrives, so that the hub can say
 * which referrers its referrals came from. Everyone signed in reads the list (a link worker's
 * page names their organisation). An organisation is never deleted: retired, it is offered for
 * no new account, and the checklists that name it keep it.
 */
import { z } from 'zod';
import { findOrganisation, insertOrganisation, listOrganisationRows, updateOrganisationRow } from './organisation.repository.js';
import { ORGANISATION_TYPES } from '../../kernel/organisation-types.js';
import { conflict, forbidden, notFound } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { oneLineText } from '../../kernel/text-fields.js';

const name = oneLineText().trim().min(2, 'must be at least 2 characters').max(200);
const type = z.enum(ORGANISATION_TYPES, { message: `must be one of: ${ORGANISATION_TYPES.join(', ')}` });

export const newOrganisationSchema = z.strictObject({ name, type });
export const organisationPatchSchema = z
  .strictObject({ name: name.optional(), type: type.optional(), active: z.boolean().optional() })
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: 'must name at least one field to change' });

const requireHub = (p: Principal) => {
  if (!isHub(p)) throw forbidden('only coordinators and admins manage organisations');
};
const duplicate = (err: unknown) => (err as { code?: string }).code === '23505';

export async function listOrganisations(deps: Pick<ServiceDeps, 'db'>) {
  return listOrganisationRows(deps.db);
}

export async function createOrganisation(deps: Pick<ServiceDeps, 'db' | 'clock' | 'ids'>, principal: Principal, body: z.infer<typeof newOrganisationSchema>) {
  requireHub(principal);
  try {
    return await insertOrganisation(deps.db, { id: deps.ids.uuid(), name: body.name, type: body.type, at: deps.clock.now() });
  } catch (err) {
    if (duplicate(err)) throw conflict('organisation_exists', 'an organisation with this name already exists');
    throw err;
  }
}

export async function updateOrganisation(deps: Pick<ServiceDeps, 'db' | 'clock'>, principal: Principal, id: string, patch: z.infer<typeof organisationPatchSchema>) {
  requireHub(principal);
  if (!(await findOrganisation(deps.db, id))) throw notFound('organisation');
  try {
    const row = await updateOrganisationRow(deps.db, id, { ...patch, at: deps.clock.now() });
    if (!row) throw notFound('organisation');
    return row;
  } catch (err) {
    if (duplicate(err)) throw conflict('organisation_exists', 'another organisation has this name');
    throw err;
  }
}
