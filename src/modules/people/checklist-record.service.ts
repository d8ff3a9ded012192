/**
 * What a submission's page needs about the person behind it, for its submitter (or the hub):
 * the live referrals a withdrawal of consent would cancel, the live referrals of earlier
 * checklists that this one's "yes" answers joined (referral_repeats), and what a withdrawal
 * recorded from the page did. The person's id stays on the server: the page posts to the
 * submission, never to the person.
 */
import { readPersonData } from './subject-access.repository.js';
import { TERMINAL_STATUSES } from '../../kernel/referral-state.js';
import { notFound } from '../../kernel/errors.js';
import { withdrawConsent, type ConsentWithdrawalBody, type WithdrawalResult } from './consent.service.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { findSubmission } from '../intake/index.js';

/** The submission, if this caller may see it (its submitter, or the hub); otherwise 404, as getSubmission. */
async function submissionFor(deps: Pick<ServiceDeps, 'db'>, principal: Principal, submissionId: string) {
  const s = await findSubmission(deps.db, submissionId);
  if (!s || (s.submittedBy !== principal.userId && !isHub(principal))) throw notFound('submission');
  return s;
}

export interface ReferralLine {
  id: string;
  reference: string;
  agencyId: string;
  agencyName: string;
  status: string;
}

export interface WithdrawalReport {
  id: string;
  withdrawnAt: Date;
  /** null: every agency */
  agencyIds: string[] | null;
  cancelled: (ReferralLine & { agencyTold: boolean })[];
}

/**
 * The person's side of one submission. `withdrawalId` asks for the report of a withdrawal this
 * caller recorded (the page's confirmation after POST/redirect/GET); another's is not shown.
 * The page that calls this has already audited its read of the submission (getSubmission).
 */
export async function submissionPersonView(deps: Pick<ServiceDeps, 'db'>, principal: Principal, submissionId: string, withdrawalId?: string) {
  const s = await submissionFor(deps, principal, submissionId);
  const data = await readPersonData(deps.db, s.personId);
  const person = data.people.find((p) => p.id === s.personId);
  const line = (r: (typeof data.referrals)[number]): ReferralLine => ({ id: r.id, reference: r.reference, agencyId: r.agencyId, agencyName: r.agencyName, status: r.status });
  const byId = new Map(data.referrals.map((r) => [r.id, r]));
  const joined = new Set(data.repeats.filter((x) => x.submissionId === submissionId).map((x) => x.referralId));
  const alreadyOpen = [...joined].map((id) => byId.get(id)).filter((r) => r !== undefined && r.submissionId !== submissionId).map((r) => line(r!));
  const own = data.referrals.filter((r) => r.submissionId === submissionId).map(line);
  const liveAgencies = new Map<string, string>();
  for (const r of [...own, ...alreadyOpen]) if (!TERMINAL_STATUSES.has(r.status as never)) liveAgencies.set(r.agencyId, r.agencyName);
  let withdrawal: WithdrawalReport | undefined;
  const w = withdrawalId ? data.withdrawals.find((x) => x.id === withdrawalId) : undefined;
  if (w && (w.recordedBy === principal.userId || isHub(principal))) {
    const told = new Set(data.mail.filter((m) => m.kind === 'consent_withdrawn' && m.referralId !== null).map((m) => m.referralId));
    withdrawal = {
      id: w.id,
      withdrawnAt: w.withdrawnAt,
      agencyIds: w.agencyIds,
      cancelled: w.cancelledReferralIds
        .map((id) => byId.get(id))
        .filter((r) => r !== undefined)
        .map((r) => ({ ...line(r), agencyTold: told.has(r.id) })),
    };
  }
  return {
    erased: Boolean(person?.erasedAt),
    alreadyOpen,
    liveAgencies: [...liveAgencies].map(([agencyId, agencyName]) => ({ agencyId, agencyName })),
    withdrawal,
  };
}

export type SubmissionPersonView = Awaited<ReturnType<typeof submissionPersonView>>;

/** Consent withdrawn from a submission's page: for the person that submission is about. */
export async function withdrawConsentForSubmission(
  deps: ServiceDeps,
  principal: Principal,
  submissionId: string,
  body: ConsentWithdrawalBody,
  requestId?: string,
): Promise<WithdrawalResult> {
  const s = await submissionFor(deps, principal, submissionId);
  return withdrawConsent(deps, principal, s.personId, body, requestId);
}
