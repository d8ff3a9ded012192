/**
 * The outcome codes an agency completes a referral with: a list the hub manages (coordinators
 * and admins), each with a label, whether it is offered now, and optionally the SNOMED CT
 * concept a GP practice would record it as. Everyone signed in reads the active codes (the
 * agency's form offers them); the hub also sees the retired ones. A retired code stays valid on
 * the referrals that used it; no code is ever deleted, so the history and the reports keep
 * their meaning.
 */
import { z } from 'zod';
import { findOutcomeCode, insertOutcomeCode, listOutcomeCodes, updateOutcomeCode } from './outcome.repository.js';
import type { Executor } from '../../platform/db/database.js';
import { snomedConceptProblem } from './snomed.js';
import { conflict, forbidden, notFound } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { oneLineText } from '../../kernel/text-fields.js';

const label = oneLineText().trim().min(2, 'must be at least 2 characters').max(80);
const snomedCode = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    const problem = snomedConceptProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .nullable();
const snomedTerm = oneLineText().trim().min(2, 'must be at least 2 characters').max(255).nullable();
const pairProblem = { path: ['snomedTerm'], message: 'give a SNOMED CT code and its term together, or neither' };
const paired = (o: { snomedCode?: string | null | undefined; snomedTerm?: string | null | undefined }) =>
  (o.snomedCode === undefined && o.snomedTerm === undefined) || (o.snomedCode == null) === (o.snomedTerm == null);

export const newOutcomeSchema = z
  .strictObject({
    code: z.string().trim().regex(/^[a-z][a-z0-9_]{1,39}$/, 'must be 2 to 40 lower-case letters, digits or _, starting with a letter'),
    label,
    snomedCode: snomedCode.optional(),
    snomedTerm: snomedTerm.optional(),
  })
  .refine(paired, pairProblem);

export const outcomePatchSchema = z
  .strictObject({ label: label.optional(), active: z.boolean().optional(), snomedCode: snomedCode.optional(), snomedTerm: snomedTerm.optional() })
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: 'must name at least one field to change' })
  .refine(paired, pairProblem);

const requireHub = (p: Principal) => {
  if (!isHub(p)) throw forbidden('only coordinators and admins manage outcome codes');
};

const duplicate = (err: unknown) => (err as { code?: string }).code === '23505';

/** The codes this caller may see: the active ones, or, for the hub, every one. */
export async function listOutcomes(deps: Pick<ServiceDeps, 'db'>, principal: Principal) {
  return listOutcomeCodes(deps.db, !isHub(principal));
}

/** The codes a completion may use now. */
export async function activeOutcomeCodes(db: Executor): Promise<string[]> {
  return (await listOutcomeCodes(db, true)).map((o) => o.code);
}

export async function createOutcome(deps: Pick<ServiceDeps, 'db' | 'clock'>, principal: Principal, body: z.infer<typeof newOutcomeSchema>) {
  requireHub(principal);
  try {
    return await insertOutcomeCode(deps.db, { code: body.code, label: body.label, snomedCode: body.snomedCode ?? null, snomedTerm: body.snomedTerm ?? null, at: deps.clock.now() });
  } catch (err) {
    if (duplicate(err)) throw conflict('outcome_exists', 'an outcome with this code or label already exists');
    throw err;
  }
}

export async function updateOutcome(deps: Pick<ServiceDeps, 'db' | 'clock'>, principal: Principal, code: string, patch: z.infer<typeof outcomePatchSchema>) {
  requireHub(principal);
  if (!(await findOutcomeCode(deps.db, code))) throw notFound('outcome');
  try {
    const row = await updateOutcomeCode(deps.db, code, { ...patch, at: deps.clock.now() });
    if (!row) throw notFound('outcome');
    return row;
  } catch (err) {
    if (duplicate(err)) throw conflict('outcome_exists', 'another outcome already has this label');
    throw err;
  }
}
