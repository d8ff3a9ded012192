/** Referrer organisations (organisations), in name order. */
import type { Executor } from '../../platform/db/database.js';
import type { OrganisationType } from '../../kernel/organisation-types.js';

/** The demo's organisations, kept as they are when already there (cli/seed.ts). */
export async function insertOrganisationsIfMissing(db: Executor, rows: { id: string; name: string; type: OrganisationType }[], at: Date): Promise<void> {
  await db
    .insertInto('organisations')
    .values(rows.map((o) => ({ ...o, createdAt: at, updatedAt: at })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function listOrganisationRows(db: Executor) {
  return db.selectFrom('organisations').selectAll().orderBy('name').execute();
}

export async function findOrganisation(db: Executor, id: string) {
  return db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertOrganisation(db: Executor, row: { id: string; name: string; type: OrganisationType; at: Date }) {
  return db.insertInto('organisations').values({ id: row.id, name: row.name, type: row.type, createdAt: row.at, updatedAt: row.at }).returningAll().executeTakeFirstOrThrow();
}

export async function updateOrganisationRow(db: Executor, id: string, patch: { name?: string | undefined; type?: OrganisationType | undefined; active?: boolean | undefined; at: Date }) {
  const { at, ...rest } = patch;
  const set = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return db.updateTable('organisations').set({ ...set, updatedAt: at }).where('id', '=', id).returningAll().executeTakeFirst();
}
