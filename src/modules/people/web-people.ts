/**
 * What the hub's people pages need besides person.service.ts: how many likely duplicates wait
 * for a coordinator (a count, so that the search page does not read, and audit, every flagged
 * person just to say how many there are).
 */
import { countOpenMatchFlags } from './person-match.repository.js';
import { forbidden } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';

/** The number of open likely-duplicate flags; no person is read, so nothing to audit. */
export async function countOpenMatches(deps: Pick<ServiceDeps, 'db'>, principal: Principal): Promise<number> {
  if (!isHub(principal)) throw forbidden('only coordinators and admins see people’s records');
  return countOpenMatchFlags(deps.db);
}
