/**
 * ONS4 wellbeing change over a period: the pairs of the checklists received in [from, to)
 * (optionally those that referred to one agency, or came from one referrer organisation),
 * summarised by kernel/wellbeing.ts. Counts and means only: no person is shown, so nothing is
 * audited here (the report that shows them audits its read). Health data even so: coordinators
 * and admins only, checked here as in every service, whoever calls it.
 */
import { listWellbeingPairs } from './wellbeing.repository.js';
import { summariseWellbeing, type WellbeingChange } from '../../kernel/wellbeing.js';
import { forbidden } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';

export interface WellbeingChangeFilter {
  from: Date;
  to: Date;
  /** checklists that made a referral to this agency */
  agencyId?: string;
  /** checklists from this referrer organisation (submissions.organisation_id) */
  organisationId?: string;
}

export async function wellbeingChange(deps: Pick<ServiceDeps, 'db'>, principal: Principal, filter: WellbeingChangeFilter): Promise<WellbeingChange> {
  if (!isHub(principal)) throw forbidden('only coordinators and admins see wellbeing figures');
  const pairs = await listWellbeingPairs(deps.db, filter);
  return summariseWellbeing(pairs);
}
