/**
 * Retention and erasure: a person's personal data removed, the anonymous facts kept.
 *
 * Removed: names, contact details, date of birth, NHS number, full postcode, language, access
 * needs, every version of those, a representative's name, the free text of the history (notes,
 * reasons), the notes of the hub's calls (and of the triage call of a self-referral their
 * checklist came from), the words of a consent withdrawal, the text of every mail about the
 * person (and the address of mail to the person themselves), and their ONS4 wellbeing answers (health data: the rows are deleted, so
 * the wellbeing change of a period no longer counts an erased person). Kept, so that reports stay true: dates, statuses, agencies, the
 * questions answered, outcomes, needs-met answers, breaches, the age band and postcode district
 * at referral (on the checklist), and the audit log (which holds ids, never personal data).
 *
 * The mail server's replies stored with the person's mail go too (their codes stay), and after
 * commit the person's jobs are removed from Redis (forgetJobs); the error text of a mail never
 * held an address to begin with (platform/mail/transport.ts), so a Redis that is down then loses nothing.
 *
 * Erasure wins every race with the intake. Both take the person lock (a transaction-level
 * advisory lock per date of birth, person.repository.ts) before any row of the person: the intake
 * matches only people not erased, under that lock, so a checklist that comes after an erasure
 * makes a new person, and one that came before is refused with the rest ('still_open') or erased
 * with the rest. A change to one of the person's referrals takes it too (shared), so an erased
 * person's referral is never reopened or written to (referral-transition.service.ts).
 *
 * Retention (RETENTION_MONTHS_AFTER_CLOSE after the person's last checklist closed, the
 * scheduled 'retention' job and `signpost retention:run`) and erasure on request (an admin,
 * refused while anything is open or a legal hold is set) share one routine. Retention also
 * removes the notes of self-referrals closed RETENTION_MONTHS_AFTER_CLOSE ago: no person's record
 * holds them, so nothing else would.
 */
import { z } from 'zod';
import { eraseConsentText } from './consent.repository.js';
import type { Executor } from '../../platform/db/database.js';
import { dismissMatchFlagsOf } from './person-match.repository.js';
import { claimPersonPastRetention, countPeoplePastRetention, erasePersonRows, lockPerson, lockPersonRows, peoplePastRetention, setLegalHold } from './person.repository.js';
import { datesOfBirthOf, lockDatesOfBirth, tryLockDatesOfBirth } from '../../platform/db/person-keys.js';
import { readPersonData } from './subject-access.repository.js';
import { SYSTEM_ACTOR } from '../../kernel/actors.js';
import { TERMINAL_STATUSES } from '../../kernel/referral-state.js';
import { conflict, forbidden, notFound } from '../../kernel/errors.js';
import type { Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { revokeLinksOfReferrals, eraseEventText, eraseForwardErrors } from '../referrals/index.js';
import { recordAudit, recordAudits } from '../audit/index.js';
import { eraseFollowUpNotes } from '../follow-up/index.js';
import { eraseNotificationBodies } from '../notifications/index.js';
import { eraseSubmissionConsentText } from '../intake/index.js';
import { countClosedSelfReferralNotesDue, eraseClosedSelfReferralNotes, eraseSelfReferralNotesOf } from '../self-referral/index.js';
import { deleteWellbeingOf } from '../wellbeing/index.js';

export const erasureSchema = z.strictObject({
  /** why, in words that name no one (kept on the person's anonymous record) */
  reason: z.string().trim().min(3, 'say why, in a few words').max(500),
});
export const legalHoldSchema = z.strictObject({ reason: z.string().trim().min(3, 'say why, in a few words').max(500) });

const requireAdmin = (p: Principal) => {
  if (p.role !== 'admin') throw forbidden('only an admin erases personal data or sets a legal hold');
};

/** The person's jobs in Redis (their ids derive from these rows' ids: platform/jobs/registry.ts). */
interface PersonJobs {
  referralIds: string[];
  followUpIds: string[];
  notificationIds: string[];
}

/** Removes the person's personal data from every table (inside the caller's transaction, with the person locked). */
async function eraseWithin(trx: Executor, personId: string, reason: string, at: Date): Promise<{ submissions: number; referrals: number; mails: number; jobs: PersonJobs }> {
  const data = await readPersonData(trx, personId);
  const submissionIds = data.submissions.map((s) => s.id);
  const referralIds = data.referrals.map((r) => r.id);
  await eraseEventText(trx, referralIds);
  await eraseForwardErrors(trx, referralIds);
  await eraseFollowUpNotes(trx, data.followUps.map((f) => f.id));
  await eraseSelfReferralNotesOf(trx, submissionIds);
  await eraseNotificationBodies(trx, referralIds, submissionIds);
  await eraseSubmissionConsentText(trx, submissionIds);
  await eraseConsentText(trx, personId);
  await deleteWellbeingOf(trx, data.ids, submissionIds);
  await revokeLinksOfReferrals(trx, referralIds, at);
  await dismissMatchFlagsOf(trx, personId, at);
  await erasePersonRows(trx, personId, reason, at);
  return {
    submissions: submissionIds.length,
    referrals: referralIds.length,
    mails: data.mail.length,
    jobs: { referralIds, followUpIds: data.followUps.map((f) => f.id), notificationIds: data.mail.map((m) => m.id) },
  };
}

/**
 * After commit: the person's jobs leave Redis, whatever their state (a failed one keeps its error
 * text and stack for a week), with the queues' event entries about them. Best effort: the
 * erasure stands whatever Redis says.
 */
async function forgetJobs(deps: Pick<ServiceDeps, 'jobs'>, jobs: PersonJobs[]): Promise<void> {
  await deps.jobs.forgetSafely([
    ...jobs.flatMap((j) => j.referralIds.map((referralId) => ({ name: 'forward-referral' as const, payload: { referralId } }))),
    ...jobs.flatMap((j) => j.followUpIds.map((followUpId) => ({ name: 'follow-up-due' as const, payload: { followUpId } }))),
    ...jobs.flatMap((j) => j.notificationIds.map((notificationId) => ({ name: 'send-notification' as const, payload: { notificationId } }))),
  ]);
}

/** A record was merged into the person between reading their dates of birth and locking their row. */
class DatesMoved extends Error {}

/**
 * Erasure on request: at once, unless a referral is live, a checklist still open, or a legal hold set.
 * Lock order (as the intake's): the person lock of each of their dates of birth, in date order,
 * then their rows (the person and the records merged into it, in id order, as a merge takes
 * them). A record merged in meanwhile brings a date not locked: the transaction starts again.
 */
export async function erasePerson(deps: ServiceDeps, principal: Principal, personId: string, body: z.infer<typeof erasureSchema>, requestId?: string) {
  requireAdmin(principal);
  const now = deps.clock.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const { jobs, ...counts } = await deps.db.transaction().execute(async (trx) => {
        const dates = await datesOfBirthOf(trx, personId);
        await lockDatesOfBirth(trx, dates);
        const person = await lockPersonRows(trx, personId);
        if (!person) throw notFound('person');
        if (person.mergedInto) throw conflict('person_merged', 'this record was merged into another; erase that one', { mergedInto: person.mergedInto });
        if (person.erasedAt) throw conflict('already_erased', "this person's details were already erased");
        if (person.legalHoldAt) throw conflict('legal_hold', 'a legal hold is set on this person: lift it before erasing', { reason: person.legalHoldReason });
        if ((await datesOfBirthOf(trx, personId)).some((d) => !dates.includes(d))) throw new DatesMoved();
        const data = await readPersonData(trx, personId);
        const live = data.referrals.filter((r) => !TERMINAL_STATUSES.has(r.status as never));
        const open = data.submissions.filter((s) => s.status === 'open');
        if (live.length || open.length) {
          throw conflict('still_open', 'the person has live referrals or an open checklist: cancel them (withdrawing consent does) and wait for the checklist to close', {
            liveReferrals: live.map((r) => ({ id: r.id, reference: r.reference, status: r.status })),
            openChecklists: open.map((s) => ({ id: s.id, reference: s.reference })),
          });
        }
        const reached = await eraseWithin(trx, personId, body.reason, now);
        await recordAudit(trx, { principal, action: 'person.erase', entity: 'person', entityId: personId, personId, requestId, at: now });
        return reached;
      });
      await forgetJobs(deps, [jobs]);
      return { personId, erasedAt: now.toISOString(), ...counts };
    } catch (err) {
      if (!(err instanceof DatesMoved)) throw err;
      if (attempt === 3) throw conflict('try_again', 'records were being merged into this person meanwhile: try again');
    }
  }
}

export async function setPersonLegalHold(deps: ServiceDeps, principal: Principal, personId: string, hold: { reason: string } | null, requestId?: string) {
  requireAdmin(principal);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const person = await lockPerson(trx, personId);
    if (!person) throw notFound('person');
    if (person.mergedInto) throw conflict('person_merged', 'this record was merged into another', { mergedInto: person.mergedInto });
    if (person.erasedAt) throw conflict('already_erased', "this person's details were already erased");
    await setLegalHold(trx, personId, hold ? { reason: hold.reason, by: principal.userId, at: now } : null);
    await recordAudit(trx, { principal, action: hold ? 'person.legal_hold' : 'person.legal_hold_lifted', entity: 'person', entityId: personId, personId, requestId, at: now });
  });
  return { personId, legalHold: hold ? { reason: hold.reason, setAt: now.toISOString() } : null };
}

/** The moment before which a person's last closure puts them past retention. */
export function retentionCutoff(now: Date, months: number): Date {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d;
}

export interface RetentionResult {
  cutoff: string;
  dryRun: boolean;
  /** people whose data was (or, in a dry run, would be) erased */
  erased: number;
  /** people past retention kept because a legal hold is set */
  heldBack: number;
  /** self-referrals closed before the cutoff whose notes were (or would be) removed */
  closedSelfReferrals: number;
}

const BATCH = 100;

/**
 * Erases everyone past retention, in batches of 100 (each batch one transaction). A dry run only
 * counts. Reads the partial index on inactive_since: its cost follows the people due, not the
 * history.
 *
 * Lock order, as erasePerson's and the intake's: the candidates are read without a lock, then each
 * is taken in turn: the person lock of each of their dates of birth, then their row and the rows
 * merged into it, and the conditions are read again. None of these waits (try-lock, SKIP LOCKED):
 * a person someone else is busy with (a checklist arriving, a merge, another run) is passed by,
 * for the next run. What the batch then waits for is only a row of a person it holds, and no one
 * holds such a row while waiting for a person lock (everyone takes that first), so retention
 * cannot deadlock with the intake, an erasure or a referral's change; two runs share the work.
 */
export async function runRetention(deps: Pick<ServiceDeps, 'db' | 'clock' | 'env' | 'logger' | 'jobs'>, opts: { dryRun: boolean }): Promise<RetentionResult> {
  const now = deps.clock.now();
  const cutoff = retentionCutoff(now, deps.env.RETENTION_MONTHS_AFTER_CLOSE);
  const { due, held } = await countPeoplePastRetention(deps.db, cutoff);
  if (opts.dryRun) return { cutoff: cutoff.toISOString(), dryRun: true, erased: due, heldBack: held, closedSelfReferrals: await countClosedSelfReferralNotesDue(deps.db, cutoff) };
  const reason = `retention: ${deps.env.RETENTION_MONTHS_AFTER_CLOSE} months after the last checklist closed`;
  let erased = 0;
  // people passed by (busy, or no longer due): left for the next run, and out of the next pages
  const passedBy: string[] = [];
  for (;;) {
    const candidates = await peoplePastRetention(deps.db, cutoff, passedBy, BATCH);
    const jobs = await deps.db.transaction().execute(async (trx) => {
      const reached: PersonJobs[] = [];
      for (const c of candidates) {
        const dates = await datesOfBirthOf(trx, c.id);
        const claimed =
          (await tryLockDatesOfBirth(trx, dates)) &&
          (await claimPersonPastRetention(trx, c.id, cutoff)) !== undefined &&
          (await datesOfBirthOf(trx, c.id)).every((d) => dates.includes(d));
        if (!claimed) {
          passedBy.push(c.id);
          continue;
        }
        reached.push((await eraseWithin(trx, c.id, reason, now)).jobs);
        await recordAudit(trx, { principal: { userId: SYSTEM_ACTOR.actorUserId, name: SYSTEM_ACTOR.actorLabel }, action: 'person.retention_erase', entity: 'person', entityId: c.id, personId: c.id, at: now });
      }
      return reached;
    });
    erased += jobs.length;
    await forgetJobs(deps, jobs);
    if (candidates.length < BATCH) break;
  }
  const closedSelfReferrals = await eraseClosedSelfReferralsPastRetention(deps, cutoff, now);
  if (erased || closedSelfReferrals) deps.logger.info({ erased, closedSelfReferrals, cutoff }, 'retention: personal data erased');
  return { cutoff: cutoff.toISOString(), dryRun: false, erased, heldBack: held, closedSelfReferrals };
}

/** The notes of self-referrals closed before the cutoff, in batches, each item audited. */
async function eraseClosedSelfReferralsPastRetention(deps: Pick<ServiceDeps, 'db'>, cutoff: Date, now: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await deps.db.transaction().execute(async (trx) => {
      const ids = await eraseClosedSelfReferralNotes(trx, cutoff, BATCH);
      await recordAudits(
        trx,
        ids.map((id) => ({ principal: { userId: SYSTEM_ACTOR.actorUserId, name: SYSTEM_ACTOR.actorLabel }, action: 'self_referral.retention_erase', entity: 'self_referral', entityId: id, at: now })),
      );
      return ids.length;
    });
    total += n;
    if (n < BATCH) return total;
  }
}
