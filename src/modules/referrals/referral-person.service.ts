/**
 * The person behind an agency's referrals, on their own (the FHIR API's Patient): the hub sees
 * anyone with a referral; an agency sees a person only through a referral forwarded to it that
 * still shows them (referral-access.ts: not once it was cancelled, re-routed away, or consent
 * was withdrawn for that agency), and only the fields it is configured to receive. Anyone else,
 * and a person no one may show, reads as not found. Audited as a read of the person.
 */
import { notFound } from '../../kernel/errors.js';
import type { Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { recordAudit } from '../audit/index.js';
import { accessTo } from './referral-access.js';
import { listReferralsOfPerson } from './referral.repository.js';
import { getReferralWithPersonId } from './referral.service.js';

export async function getPersonForActor(deps: Pick<ServiceDeps, 'db' | 'clock'>, principal: Principal, personId: string, requestId?: string) {
  const referrals = await listReferralsOfPerson(deps.db, personId);
  // the newest referral through which this caller may see the person in full
  const through = referrals.find((r) => accessTo(principal, r)?.view === 'full');
  if (!through) throw notFound('person');
  const detail = await getReferralWithPersonId(deps, principal, through.id, requestId);
  if (!detail.person) throw notFound('person');
  await recordAudit(deps.db, { principal, action: 'read', entity: 'person', entityId: personId, personId, requestId, at: deps.clock.now() });
  return { id: personId, referralId: detail.id, fields: detail.personFields, person: detail.person, personErased: detail.personErased };
}
