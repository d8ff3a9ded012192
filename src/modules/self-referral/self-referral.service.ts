/**
 * Self-referral (docs/ways-in.md#self-referral-and-triage): the person, or someone on their
 * behalf, fills in the checklist on a public page. Nothing reaches an agency yet: the checklist
 * waits in the hub's triage list until a coordinator has called to confirm it. Release runs the
 * normal intake with the self-referral's receipt time (so the 24-hour forward clock counts the
 * triage) and the reference the person was given; close records why, and erases what was sent.
 *
 * The confirmation mail (to the address the person gave) follows the decision, so that its
 * recipient is never left in a row that no person's record reaches: release links it to the
 * checklist the item became (the person's subject access export shows it, erasure and retention
 * remove the address); close removes the address at once, after any send in flight, and a
 * confirmation not yet sent is not sent (it promises a call that has been made or given up).
 */
import { forwardDueAt as forwardDeadline } from '../../kernel/working-days.js';
import type { SelfReferralCloseReason } from '../../platform/db/database.js';
import {
  countOpenSelfReferrals,
  findSelfReferral,
  findSelfReferralByFormDetails,
  insertSelfReferral,
  listSelfReferralsOfForm,
  lockOpenSelfReferral,
  markSelfReferralClosed,
  markSelfReferralReleased,
  pageOpenSelfReferrals,
  referralsMadeBySubmission,
  selfReferralExists,
  type TriagePlace,
} from './self-referral.repository.js';
import { AppError, badRequest, conflict, forbidden, notFound, unprocessable } from '../../kernel/errors.js';
import { selfReferralReceivedMail } from './self-referral-mail.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import type { LimitVerdict } from './self-referral-limits.js';
import { checklistProblems, consentProblems, fingerprint, submitQuestionnaire, type SubmitResult, type SubmissionBody } from '../intake/index.js';
import { recordAudit, recordAudits } from '../audit/index.js';
import { forgetRecipient, linkNotificationToSubmission, createNotification, dispatchNotifications } from '../notifications/index.js';

export const CLOSE_REASONS: { value: SelfReferralCloseReason; text: string }[] = [
  { value: 'could_not_reach', text: 'We could not reach them' },
  { value: 'person_declined', text: 'They did not want to be referred' },
  { value: 'no_help_needed', text: 'They need none of the help on the checklist' },
  { value: 'duplicate', text: 'They are already referred (a duplicate)' },
  { value: 'not_genuine', text: 'Not a genuine request' },
  { value: 'other', text: 'Another reason (say which)' },
];

/** The dedupe key of a self-referral's confirmation mail (one per item). */
const confirmationKey = (selfReferralId: string) => `self-referral:${selfReferralId}`;

export interface SelfReferralInput {
  body: SubmissionBody;
  filledInBy: 'person' | 'someone_else';
  /** one per form shown: the same form sent again with the same details is the same self-referral */
  formKey: string;
}

/** Spends one self-referral from the sender's allowance (self-referral-limits.ts), or says how long to wait. */
export type Allowance = () => Promise<LimitVerdict>;

export type SelfReferralReply =
  /** stored; `sentBefore` is the first reference of this form when it was sent before with other details */
  | { outcome: 'stored'; reference: string; sentBefore?: string }
  /** this form was already sent with these details (a double click, a refresh): its reference; nothing stored or spent */
  | { outcome: 'already_sent'; reference: string }
  /** the sender's or everyone's allowance is spent: nothing stored */
  | { outcome: 'busy'; retryAfterSeconds: number };

/**
 * What the form said, as a hash: the checklist as sent without the moment it was sent (which
 * differs between two clicks), and who filled it in. Two sends of one form with the same
 * fingerprint are one request; with different ones, two.
 */
export function detailsFingerprint(input: Pick<SelfReferralInput, 'body' | 'filledInBy'>): string {
  return fingerprint({ ...input.body, consent: { ...input.body.consent, recordedAt: undefined }, filledInBy: input.filledInBy });
}

/** The checklist's own rules, as for any submission: 400 naming each problem. */
async function checkChecklist(deps: ServiceDeps, body: SubmissionBody) {
  const noConsent = consentProblems(body.consent);
  if (noConsent.length) throw unprocessable('consent_required', 'consent and agreement to sharing are needed; nothing was stored', noConsent);
  const questionnaire = await deps.questionnaires.get(body.questionnaireId);
  if (!questionnaire) throw badRequest('invalid submission', [{ path: 'questionnaireId', message: 'no published questionnaire has this id' }]);
  const problems = checklistProblems(body, questionnaire.sections.flatMap((s) => s.questions), deps.clock.now());
  if (problems.length) throw badRequest('invalid submission', problems);
  return questionnaire;
}

/**
 * Stores the self-referral and, when an email address was given, its confirmation (the reference
 * and the hub's phone, nothing else) in one transaction; the mail is sent after commit. The reply
 * is a reference only, whoever the person is: it never tells whether they are already known.
 *
 * Only a request that will be stored spends the allowance: `allowance` is called after the
 * checklist's rules have passed and once the form is known not to have been sent with these
 * details already. A form sent again with other details (back, a typo corrected, send) is stored
 * as a new item: what the person corrected reaches the hub, and the triage list shows both items
 * as sent from one form (docs/ways-in.md#the-same-form-sent-twice); it is never dropped in favour
 * of the first.
 */
export async function receiveSelfReferral(deps: ServiceDeps, input: SelfReferralInput, allowance: Allowance, requestId?: string): Promise<SelfReferralReply> {
  const questionnaire = await checkChecklist(deps, input.body);
  const details = detailsFingerprint(input);
  const already = await findSelfReferralByFormDetails(deps.db, input.formKey, details);
  if (already) return { outcome: 'already_sent', reference: already.reference };
  const verdict = await allowance();
  if (!verdict.allowed) return { outcome: 'busy', retryAfterSeconds: verdict.retryAfterSeconds };
  const now = deps.clock.now();
  const email = input.body.person.email ?? null;
  const { reply, notificationId } = await deps.db.transaction().execute(async (trx) => {
    const id = deps.ids.uuid();
    const row = await insertSelfReferral(trx, {
      id,
      reference: deps.ids.reference(),
      formKey: input.formKey,
      detailsFingerprint: details,
      questionnaireId: questionnaire.id,
      body: input.body,
      filledInBy: input.filledInBy,
      confirmEmail: email,
      receivedAt: now,
      // the same deadline its referrals will carry when released (intake.ts)
      forwardDueAt: forwardDeadline(now, { kind: deps.env.FORWARD_CLOCK, hours: deps.env.FORWARD_WITHIN_HOURS }, await deps.holidays.get()),
    });
    if (!row) {
      // the same send, a moment earlier, committed in between
      const first = await findSelfReferralByFormDetails(trx, input.formKey, details);
      if (!first) throw new AppError(500, 'internal', 'the self-referral vanished');
      return { reply: { outcome: 'already_sent' as const, reference: first.reference }, notificationId: undefined };
    }
    const sentBefore = (await listSelfReferralsOfForm(trx, input.formKey)).find((x) => x.id !== row.id)?.reference;
    const reply = { outcome: 'stored' as const, reference: row.reference, ...(sentBefore ? { sentBefore } : {}) };
    if (!email) return { reply, notificationId: undefined };
    const mail = selfReferralReceivedMail({ reference: row.reference, hub: deps.env });
    const n = await createNotification(trx, deps, { kind: 'self_referral_received', dedupeKey: confirmationKey(row.id), recipient: email, ...mail }, now);
    return { reply, notificationId: n.id };
  });
  if (notificationId) await dispatchNotifications(deps.jobs, [notificationId], requestId);
  return reply;
}

/** receiveSelfReferral with no allowance to spend (the hub's own tools and tests): the reference stored or already given. */
export async function submitSelfReferral(deps: ServiceDeps, input: SelfReferralInput, requestId?: string): Promise<{ reference: string }> {
  const reply = await receiveSelfReferral(deps, input, async () => ({ allowed: true }), requestId);
  if (reply.outcome === 'busy') throw new AppError(500, 'internal', 'an unlimited self-referral was refused');
  return { reference: reply.reference };
}

function hubOnly(principal: Principal) {
  if (!isHub(principal)) throw forbidden('only coordinators and admins see the triage list');
}

/** Items on one page of the triage list. */
export const TRIAGE_PAGE_SIZE = 50;

/**
 * One page of the triage list, oldest first, each row shown audited (it shows a name), with the
 * number open and this page's place among them: items `from` to `to` of `open`, and where the
 * pages before and after start. The page and the counts are read in one snapshot, so they agree.
 */
export async function listTriage(deps: ServiceDeps, principal: Principal, place: TriagePlace, requestId?: string) {
  hubOnly(principal);
  for (const field of ['after', 'before'] as const) {
    const id = place[field];
    if (id !== undefined && !(await selfReferralExists(deps.db, id))) throw badRequest(`the list's "${field}" is not a self-referral`, [{ path: field, message: 'no self-referral has this id' }]);
  }
  const now = deps.clock.now();
  const { items, counts } = await deps.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const items = await pageOpenSelfReferrals(trx, place, TRIAGE_PAGE_SIZE);
      return { items, counts: await countOpenSelfReferrals(trx, now, items[0]?.id) };
    });
  await recordAudits(
    deps.db,
    items.map((i) => ({ principal: { userId: principal.userId, name: principal.name }, action: 'list', entity: 'self_referral', entityId: i.id, requestId, at: now })),
  );
  const first = items[0];
  const last = items.at(-1);
  const to = counts.earlier + items.length;
  return {
    items: items.map((i) => ({ ...i, overdue: i.forwardDueAt.getTime() <= now.getTime() })),
    open: counts.open,
    overdue: counts.overdue,
    from: counts.earlier + 1,
    to,
    previous: first && counts.earlier > 0 ? { before: first.id, from: Math.max(1, counts.earlier - TRIAGE_PAGE_SIZE + 1), to: counts.earlier } : undefined,
    next: last && to < counts.open ? { after: last.id, from: to + 1, to: Math.min(counts.open, to + TRIAGE_PAGE_SIZE) } : undefined,
  };
}

/** What the dashboard counts: open items, and those past their forward deadline. */
export async function triageCounts(deps: Pick<ServiceDeps, 'db' | 'clock'>) {
  const { open, overdue, nextDue } = await countOpenSelfReferrals(deps.db, deps.clock.now());
  return { open, overdue, nextDue };
}

/** One item, with the checklist as sent while it is open, and the other items sent from its form (audited). */
export async function getTriageItem(deps: ServiceDeps, principal: Principal, id: string, requestId?: string) {
  hubOnly(principal);
  const item = await findSelfReferral(deps.db, id);
  if (!item) throw notFound('self-referral');
  await recordAudit(deps.db, { principal: { userId: principal.userId, name: principal.name }, action: 'read', entity: 'self_referral', entityId: id, requestId, at: deps.clock.now() });
  const sameForm = (await listSelfReferralsOfForm(deps.db, item.formKey)).filter((x) => x.id !== id);
  return { ...item, body: item.body as SubmissionBody | null, sameForm };
}

/**
 * What a release did, for the triage list's message after it: the item's reference and the
 * agencies its referrals went to. Undefined unless the item was released. No personal data.
 */
export async function releaseOutcome(deps: Pick<ServiceDeps, 'db'>, principal: Principal, id: string): Promise<{ reference: string; referrals: { reference: string; agencyName: string }[] } | undefined> {
  hubOnly(principal);
  const item = await findSelfReferral(deps.db, id);
  if (!item || item.status !== 'released' || !item.submissionId) return undefined;
  return { reference: item.reference, referrals: await referralsMadeBySubmission(deps.db, item.submissionId) };
}

const notOpen = () => conflict('not_open', 'this self-referral has already been released or closed');

/**
 * Release after the call: the checklist (as corrected on the call) becomes a submission received
 * when the self-referral was, with its reference, and its referrals are forwarded as usual. The
 * item is claimed and marked in the intake's transaction, so two coordinators cannot both release it.
 */
export async function releaseSelfReferral(
  deps: ServiceDeps,
  principal: Principal,
  id: string,
  body: SubmissionBody,
  callNote: string | null,
  requestId?: string,
): Promise<SubmitResult> {
  hubOnly(principal);
  const item = await findSelfReferral(deps.db, id);
  if (!item) throw notFound('self-referral');
  if (item.status !== 'open') throw notOpen();
  const now = deps.clock.now();
  // the reference the person was given is their checklist's
  const withReference = { ...deps, ids: { uuid: deps.ids.uuid, reference: () => item.reference } };
  const result = await submitQuestionnaire(withReference, principal, body, {
    rawBody: body,
    requestId,
    via: { channel: 'self_referral' },
    receivedAt: item.receivedAt,
    within: {
      before: async (trx) => {
        if (!(await lockOpenSelfReferral(trx, id))) throw notOpen();
      },
      after: async (trx, reply) => {
        await markSelfReferralReleased(trx, id, { submissionId: reply.id, by: principal.userId, at: now, callNote });
        await linkNotificationToSubmission(trx, confirmationKey(id), reply.id);
        await recordAudit(trx, {
          principal: { userId: principal.userId, name: principal.name },
          action: 'self_referral.released',
          entity: 'self_referral',
          entityId: id,
          personId: reply.personId,
          requestId,
          at: now,
        });
      },
    },
  });
  return result;
}

export async function closeSelfReferral(deps: ServiceDeps, principal: Principal, id: string, reason: SelfReferralCloseReason, note: string | null, requestId?: string) {
  hubOnly(principal);
  if (reason === 'other' && !note) throw badRequest('invalid close', [{ path: 'note', message: 'say why, when the reason is another one' }]);
  const now = deps.clock.now();
  const closed = await deps.db.transaction().execute(async (trx) => {
    const ok = await markSelfReferralClosed(trx, id, { reason, note, by: principal.userId, at: now });
    if (ok) {
      await forgetRecipient(trx, confirmationKey(id), 'not sent: the self-referral was closed first');
      await recordAudit(trx, { principal: { userId: principal.userId, name: principal.name }, action: 'self_referral.closed', entity: 'self_referral', entityId: id, requestId, at: now });
    }
    return ok;
  });
  if (!closed) {
    if (!(await findSelfReferral(deps.db, id))) throw notFound('self-referral');
    throw notOpen();
  }
}
