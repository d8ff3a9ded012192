/**
 * `signpost directory:import FILE [--dry-run]`: the services of an Open Referral UK page become
 * partner agencies, found again by their ORUK id (agencies.oruk_id). In one transaction, with
 * the agencies it may touch locked: a service the hub does not know is made an agency, paused
 * and with no inbox until the hub sets one; one it knows gets the file's name and description
 * (nothing else: its inbox, clocks, status and capacity are the hub's). It never deletes, and a
 * dry run decides the same and writes nothing. Writes go through the directory module (the one
 * writer of agencies); agency changes are not audit rows (they hold no personal data), so
 * neither are these: the printed report is the record.
 */
import type { ServiceDeps } from '../../platform/deps.js';
import { conflict } from '../../kernel/errors.js';
import { insertImportedAgency, lockAgenciesForImport, updateImportedAgency, type ImportableAgencyRow } from '../directory/index.js';
import { parseServicesPage, type ImportedService } from './oruk-import-file.js';

export type ImportAction = 'created' | 'updated' | 'unchanged' | 'skipped';

export interface ImportLine {
  orukId: string;
  name: string;
  action: ImportAction;
  /** the hub's id of the agency made or changed */
  agencyId?: string;
  /** what an update changed */
  changed?: ('name' | 'description')[];
  /** why a service was skipped */
  reason?: string;
}

export interface ImportReport {
  dryRun: boolean;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  services: ImportLine[];
}

/** Imports a services page's text; throws a 400 naming each bad field, writing nothing. */
export async function importOrukServices(deps: Pick<ServiceDeps, 'db' | 'clock' | 'ids' | 'env'>, text: string, opts: { dryRun: boolean }): Promise<ImportReport> {
  const services = parseServicesPage(text);
  const now = deps.clock.now();
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const rows = await lockAgenciesForImport(trx, services.map((s) => s.id), services.map((s) => s.name));
      const byOrukId = new Map(rows.filter((r) => r.orukId !== null).map((r) => [r.orukId!, r]));
      // who holds each name (lower case) as the import goes: a rename or a new agency claims one
      const nameHolder = new Map(rows.map((r) => [r.name.toLowerCase(), r.id]));
      const plans = services.map((s) => planOne(s, byOrukId.get(s.id), nameHolder, deps.ids.uuid));
      if (!opts.dryRun) {
        for (const [i, p] of plans.entries()) {
          const description = descriptionOf(services[i]!);
          if (p.action === 'created') await insertImportedAgency(trx, { id: p.agencyId!, orukId: p.orukId, name: p.name, description, contactDays: deps.env.CONTACT_WITHIN_DAYS, contactClock: deps.env.CONTACT_CLOCK, now });
          else if (p.action === 'updated') await updateImportedAgency(trx, p.agencyId!, { name: p.name, description }, now);
        }
      }
      const tally = (a: ImportAction) => plans.filter((p) => p.action === a).length;
      // a dry run names no agency it did not make
      const lines = opts.dryRun ? plans.map(({ agencyId, ...p }) => (p.action === 'created' ? p : { ...p, agencyId })) : plans;
      return { dryRun: opts.dryRun, created: tally('created'), updated: tally('updated'), unchanged: tally('unchanged'), skipped: tally('skipped'), services: lines };
    });
  } catch (err) {
    const e = err as { code?: string };
    // another import, or a coordinator, took an ORUK id or a name between our read and write
    if (e.code === '23505') throw conflict('import_raced', 'an agency was added or renamed while the import ran; nothing was imported: run it again');
    throw err;
  }
}

/** The description an agency keeps: none for an absent, null or empty one. */
const descriptionOf = (s: ImportedService) => (s.description ? s.description : null);

function planOne(s: ImportedService, known: ImportableAgencyRow | undefined, nameHolder: Map<string, string>, newId: () => string): ImportLine {
  const base = { orukId: s.id, name: s.name };
  const holder = nameHolder.get(s.name.toLowerCase());
  const description = descriptionOf(s);
  if (known) {
    const changed: ('name' | 'description')[] = [];
    if (known.name !== s.name) changed.push('name');
    if (known.description !== description) changed.push('description');
    if (changed.length === 0) return { ...base, action: 'unchanged', agencyId: known.id };
    if (holder !== undefined && holder !== known.id) return { ...base, action: 'skipped', agencyId: known.id, reason: 'another agency already has this name' };
    if (changed.includes('name')) {
      nameHolder.delete(known.name.toLowerCase());
      nameHolder.set(s.name.toLowerCase(), known.id);
    }
    return { ...base, action: 'updated', agencyId: known.id, changed };
  }
  if (s.status === 'inactive' || s.status === 'defunct') return { ...base, action: 'skipped', reason: `the service is ${s.status} and not in the hub` };
  if (holder !== undefined) return { ...base, action: 'skipped', reason: 'an agency of this name is already in the hub without this ORUK id' };
  const id = newId();
  nameHolder.set(s.name.toLowerCase(), id);
  return { ...base, action: 'created', agencyId: id };
}
