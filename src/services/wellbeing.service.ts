/**
 * ONS4 wellbeing change over a period: the pairs of the checklists received in [from, to)
 * (optionally those that referred to one agency, or came from one referrer organisation),
 * summarised by domain/wellbeing.ts. Counts and means only: no person is shown, so nothing is
 * audited here; the caller decides who may see the figures.
 */
import { listWellbeingPairs } from '../db/wellbeing.repository.js';
import { summariseWellbeing, type WellbeingChange } from '../domain/wellbeing.js';
import type { ServiceDeps } from './deps.js';

export interface WellbeingChangeFilter {
  from: Date;
  to: Date;
  /** checklists that made a referral to this agency */
  agencyId?: string;
  /** checklists from this referrer organisation (submissions.organisation_id) */
  organisationId?: string;
}

export async function wellbeingChange(deps: Pick<ServiceDeps, 'db'>, filter: WellbeingChangeFilter): Promise<WellbeingChange> {
  const pairs = await listWellbeingPairs(deps.db, filter);
  return summariseWellbeing(pairs);
}
