/**
 * What forwarding a referral reads: the referral with its agency, submission, person and the
 * questions that flagged it, the person's details cut down to what the agency receives. (Its
 * writes belong to the referral and notification repositories.)
 */
import { minimisePerson } from '../../kernel/person-fields.js';
import type { Executor } from '../../platform/db/database.js';
import { referralsWithParties } from '../referrals/index.js';

export async function findForwardContext(db: Executor, referralId: string) {
  const row = await referralsWithParties(db)
    .select([
      'r.id',
      'r.reference',
      'r.status',
      'r.submissionId',
      'r.questionIds',
      'r.receivedAt',
      'r.forwardDueAt',
      'r.contactDueAt',
      'r.heldUntil',
      'a.id as agencyId',
      'a.name as agencyName',
      'a.email as agencyEmail',
      'a.status as agencyStatus',
      'a.contactDays',
      'a.contactClock',
      // staff with a password: the agency signs in (the email-link users have none)
      (eb) =>
        eb
          .exists(eb.selectFrom('users as u').select('u.id').whereRef('u.agencyId', '=', 'a.id').where('u.passwordHash', 'is not', null).where('u.disabledAt', 'is', null))
          .as('agencyHasAccounts'),
      's.reference as submissionReference',
      'p.givenName',
      'p.familyName',
      'p.dateOfBirth',
      'p.postcode',
      'p.addressLine',
      'p.phone',
      'p.email',
      'p.preferredContact',
      'p.language',
      'p.accessNeeds',
      'p.nhsNumber',
      'a.personFields',
    ])
    .where('r.id', '=', referralId)
    .executeTakeFirst();
  if (!row) return undefined;
  const questions = row.questionIds.length
    ? await db.selectFrom('questions').select(['id', 'text', 'position']).where('id', 'in', row.questionIds).execute()
    : [];
  const order = new Map(row.questionIds.map((id, i) => [id, i]));
  questions.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  // the agency is given only the details it is configured to receive (kernel/person-fields.ts)
  return { ...minimisePerson(row, row.personFields), questions: questions.map((q) => q.text) };
}
export type ForwardContext = NonNullable<Awaited<ReturnType<typeof findForwardContext>>>;
