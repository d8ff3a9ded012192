/** The outcome codes the hub manages (outcome_codes): listed in their order. */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';

export async function listOutcomeCodes(db: Executor, activeOnly: boolean) {
  let q = db.selectFrom('outcomeCodes').select(['code', 'label', 'position', 'active', 'snomedCode', 'snomedTerm', 'updatedAt']);
  if (activeOnly) q = q.where('active', '=', true);
  return q.orderBy('position').orderBy('code').execute();
}

export async function findOutcomeCode(db: Executor, code: string) {
  return db.selectFrom('outcomeCodes').selectAll().where('code', '=', code).executeTakeFirst();
}

export async function insertOutcomeCode(db: Executor, row: { code: string; label: string; snomedCode: string | null; snomedTerm: string | null; at: Date }) {
  return db
    .insertInto('outcomeCodes')
    .values({
      code: row.code,
      label: row.label,
      snomedCode: row.snomedCode,
      snomedTerm: row.snomedTerm,
      updatedAt: row.at,
      // last in the list
      position: sql<number>`(SELECT coalesce(max(position), 0) + 1 FROM outcome_codes)`,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateOutcomeCode(db: Executor, code: string, patch: { label?: string | undefined; active?: boolean | undefined; snomedCode?: string | null | undefined; snomedTerm?: string | null | undefined; at: Date }) {
  const { at, ...rest } = patch;
  const set = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return db.updateTable('outcomeCodes').set({ ...set, updatedAt: at }).where('code', '=', code).returningAll().executeTakeFirst();
}
