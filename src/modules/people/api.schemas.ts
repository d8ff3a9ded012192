/**
 * The people API's contract (src/platform/http/openapi.ts). The person's whole record and the
 * subject access export are large: their top level is closed (a new key must be documented here),
 * the rows inside are described by their main fields and left open to more.
 */
import { z } from 'zod';
import { day, errorOf, moment, notFoundReply, roleSchema, uuid, type ApiRoute } from '../../platform/http/openapi.js';
import { consentWithdrawalSchema } from './consent.service.js';
import { erasureSchema, legalHoldSchema } from './erasure.service.js';
import { mergeSchema, personSearchSchema } from './person.service.js';

const text = () => z.string().nullable();
/** A row of the record: its id and when, and whatever else the record keeps. */
const row = <T extends z.ZodRawShape>(shape: T) => z.looseObject({ id: uuid(), ...shape });

const personLine = z.object({
  id: uuid(),
  givenName: text(),
  familyName: text(),
  dateOfBirth: day().nullable(),
  postcode: text(),
  nhsNumber: text(),
  createdAt: moment(),
});

export const personSearchResultSchema = z
  .object({
    items: z.array(
      z.object({ id: uuid(), givenName: text(), familyName: text(), dateOfBirth: day().nullable(), postcode: text(), createdAt: moment(), updatedAt: moment(), erasedAt: moment().nullable() }),
    ),
  })
  .meta({ id: 'PersonSearchResult' });

const matchSchema = z.object({ id: uuid(), reason: z.string(), createdAt: moment(), person: personLine, candidate: personLine });
export const matchListSchema = z.object({ items: z.array(matchSchema) }).meta({ id: 'LikelyDuplicates' });

const personDetails = row({
  givenName: text(),
  familyName: text(),
  dateOfBirth: day().nullable(),
  postcode: text(),
  phone: text(),
  email: text(),
  addressLine: text(),
  preferredContact: z.enum(['phone', 'email', 'post', 'visit']).nullable(),
  language: text(),
  accessNeeds: text(),
  nhsNumber: text(),
});

export const personRecordSchema = z
  .object({
    person: personDetails.extend({ mergedInto: uuid().nullable(), erasedAt: moment().nullable(), legalHoldReason: text(), legalHoldAt: moment().nullable() }),
    mergedFrom: z.array(personDetails),
    matchFlags: z.array(matchSchema),
    versions: z.array(row({ submissionId: uuid().nullable(), recordedAt: moment() })).meta({ description: 'the details as given on each checklist' }),
    consents: z.array(row({ givenBy: z.enum(['person', 'representative']), sharingAgreed: z.boolean(), agencyIds: z.array(uuid()), givenAt: moment() })),
    withdrawals: z.array(row({ agencyIds: z.array(uuid()).nullable(), withdrawnAt: moment(), cancelledReferralIds: z.array(uuid()) })),
    checklists: z.array(row({ reference: z.string(), receivedAt: moment(), status: z.enum(['open', 'no_needs_identified', 'closed']), closedAt: moment().nullable(), submittedByName: z.string() })),
    referrals: z.array(row({ reference: z.string(), submissionId: uuid(), agencyId: uuid(), agencyName: z.string(), status: z.string() })),
    followUps: z.array(row({ submissionId: uuid(), dueAt: moment(), status: z.enum(['scheduled', 'completed', 'cancelled']), completedAt: moment().nullable() })),
    wellbeing: z.array(z.looseObject({ occasion: z.enum(['checklist', 'follow_up']), submissionId: uuid(), measuredAt: moment() })),
    timeline: z.array(
      z.object({
        at: moment(),
        kind: z.enum(['checklist', 'details', 'consent', 'consent_withdrawn', 'referral', 'referred_again', 'call', 'needs_met', 'merged', 'erased']),
        reference: text(),
        text: z.string(),
      }),
    ),
    access: z.array(z.looseObject({ at: moment(), who: z.string(), organisation: z.string(), action: z.string(), entity: z.string() })).meta({ description: 'who has seen the record' }),
  })
  .meta({ id: 'PersonRecord' });

export const subjectAccessExportSchema = z
  .object({
    exportedAt: z.string(),
    exportedBy: z.object({ name: z.string(), role: roleSchema }),
    heldBy: z.string(),
    person: z.looseObject({ id: uuid(), givenName: text(), familyName: text(), erasedAt: moment().nullable() }),
    mergedRecords: z.array(row({ createdAt: moment(), mergedAt: moment().nullable() })),
    detailsAsGiven: z.array(row({ recordedAt: moment() })),
    possibleDuplicates: z.array(row({ status: z.enum(['open', 'merged', 'dismissed']), reason: z.string() })),
    checklists: z.array(row({ reference: z.string(), receivedAt: moment(), answers: z.array(z.object({ questionId: uuid(), question: text(), answer: z.string() })) })),
    consents: z.array(row({ givenAt: moment() })),
    consentWithdrawals: z.array(row({ withdrawnAt: moment() })),
    referrals: z.array(row({ reference: z.string(), agencyName: z.string(), status: z.string(), history: z.array(z.looseObject({ at: moment(), toStatus: z.string() })) })),
    referredAgain: z.array(z.object({ at: moment(), submissionId: uuid(), questionIds: z.array(uuid()), referralId: uuid() })),
    followUps: z.array(row({ status: z.enum(['scheduled', 'completed', 'cancelled']), dueAt: moment() })),
    wellbeing: z.array(row({ occasion: z.enum(['checklist', 'follow_up']), measuredAt: moment() })),
    selfReferrals: z.array(row({ reference: z.string(), receivedAt: moment() })),
    mail: z.array(row({ kind: z.string(), status: z.enum(['queued', 'sent', 'failed']), recipient: z.string(), subject: z.string() })),
    access: z.array(z.looseObject({ id: z.string().meta({ description: 'the audit row' }), at: moment(), who: z.string(), action: z.string(), entity: z.string() })),
  })
  .meta({ id: 'SubjectAccessExport' });

export const mergeReplySchema = z.object({ id: uuid(), merged: uuid(), checklistsMoved: z.number().int() }).meta({ id: 'MergeResult' });
export const dismissReplySchema = z.object({ id: uuid(), status: z.literal('dismissed') }).meta({ id: 'MatchDismissed' });
export const withdrawalReplySchema = z
  .object({
    id: uuid(),
    personId: uuid(),
    agencyIds: z.array(uuid()).nullable().meta({ description: 'null: every agency' }),
    withdrawnAt: z.string(),
    cancelled: z.array(z.object({ id: uuid(), reference: z.string(), agencyId: uuid(), agencyName: z.string(), agencyTold: z.boolean() })),
  })
  .meta({ id: 'ConsentWithdrawn' });
export const erasureReplySchema = z
  .object({ personId: uuid(), erasedAt: z.string(), submissions: z.number().int(), referrals: z.number().int(), mails: z.number().int() })
  .meta({ id: 'Erasure' });
export const legalHoldReplySchema = z
  .object({ personId: uuid(), legalHold: z.object({ reason: z.string(), setAt: z.string() }).nullable() })
  .meta({ id: 'LegalHold' });

const TAG = 'People';
const HUB = ['coordinator', 'admin'] as const;
const merged = 'the record was merged into another (`person_merged`, details name it)';
export const peopleApiRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/people',
    operationId: 'searchPeople',
    summary: 'Find a person (deprecated: the terms travel in the URL)',
    description:
      'The same search as `POST /people/search`, with its terms in the query string. A name, a date of birth or a postcode in a URL is kept by whatever logs URLs on the way (a proxy, a load balancer): use `POST /people/search`, which carries them in the body. Every person listed is audited.',
    tag: TAG,
    roles: HUB,
    deprecated: true,
    query: personSearchSchema,
    replies: { 200: { description: 'The people found.', schema: personSearchResultSchema } },
  },
  {
    method: 'post',
    path: '/people/search',
    operationId: 'findPeople',
    summary: 'Find a person',
    description:
      'By name parts, date of birth (`1941-03-02` or `2/3/1941`), postcode, or a checklist’s or referral’s reference, in the body (never in the URL). Best matches first: exact beginnings of names, then the closest spellings. Every person listed is audited.',
    tag: TAG,
    roles: HUB,
    body: personSearchSchema,
    bodyExample: { q: 'Margaret Smith 2/3/1941', limit: 20 },
    replies: { 200: { description: 'The people found.', schema: personSearchResultSchema } },
  },
  {
    method: 'get',
    path: '/people/matches',
    operationId: 'listLikelyDuplicates',
    summary: 'Likely duplicates found at intake',
    tag: TAG,
    roles: HUB,
    replies: { 200: { description: 'The open likely duplicates.', schema: matchListSchema } },
  },
  {
    method: 'post',
    path: '/people/matches/:id/dismiss',
    operationId: 'dismissLikelyDuplicate',
    summary: '"Not the same person"',
    tag: TAG,
    roles: HUB,
    replies: { 200: { description: 'Dismissed.', schema: dismissReplySchema }, 404: notFoundReply('match'), 409: errorOf('`match_resolved`: already merged or dismissed.') },
  },
  {
    method: 'get',
    path: '/people/:id',
    operationId: 'getPersonRecord',
    summary: 'A person’s whole record',
    description: 'Details, every checklist, referral, outcome, follow-up, consent and withdrawal, a timeline, open likely duplicates, and who has seen the record. Audited.',
    tag: TAG,
    roles: HUB,
    replies: { 200: { description: 'The record.', schema: personRecordSchema }, 404: notFoundReply('person') },
  },
  {
    method: 'get',
    path: '/people/:id/export',
    operationId: 'exportPerson',
    summary: 'Subject access: everything held about the person',
    description: 'A JSON attachment. Audited.',
    tag: TAG,
    roles: HUB,
    replies: {
      200: {
        description: 'The export, as an attachment (signpost-person-ID.json).',
        schema: subjectAccessExportSchema,
        headers: { 'Content-Disposition': { description: 'attachment; filename="signpost-person-ID.json"', schema: z.string() } },
      },
      404: notFoundReply('person'),
      409: errorOf(merged),
    },
  },
  {
    method: 'post',
    path: '/people/:id/merge',
    operationId: 'mergePeople',
    summary: 'Merge another record into this one',
    tag: TAG,
    roles: HUB,
    body: mergeSchema,
    replies: {
      200: { description: 'Merged.', schema: mergeReplySchema },
      404: notFoundReply('person'),
      409: errorOf('`person_merged` or `person_erased`: one of the records cannot be merged; `try_again`.'),
    },
  },
  {
    method: 'post',
    path: '/people/:id/consent-withdrawals',
    operationId: 'withdrawConsent',
    summary: 'Consent withdrawn, for some agencies or all',
    description: 'Cancels every live referral in scope (`consent_withdrawn`) and tells each agency by reference only. A link worker may do it for a person they submitted a checklist for.',
    tag: TAG,
    roles: ['link_worker', 'coordinator', 'admin'],
    body: consentWithdrawalSchema,
    bodyExample: { reason: 'Moved away', recordedAt: '2026-11-23T10:00:00Z' },
    replies: {
      201: { description: 'Recorded.', schema: withdrawalReplySchema },
      404: notFoundReply('person'),
      409: errorOf(`${merged}, or \`person_erased\`.`),
    },
  },
  {
    method: 'post',
    path: '/people/:id/erasure',
    operationId: 'erasePerson',
    summary: 'Erase the person’s personal data now',
    tag: TAG,
    roles: ['admin'],
    body: erasureSchema,
    bodyExample: { reason: 'Erasure requested by the person' },
    replies: {
      200: { description: 'Erased: how many of each were reached.', schema: erasureReplySchema },
      404: notFoundReply('person'),
      409: errorOf('`still_open` (a live referral or open checklist), `legal_hold`, `already_erased`, or `person_merged`.'),
    },
  },
  {
    method: 'put',
    path: '/people/:id/legal-hold',
    operationId: 'setLegalHold',
    summary: 'Set a legal hold (no erasure, no retention, while set)',
    tag: TAG,
    roles: ['admin'],
    body: legalHoldSchema,
    replies: { 200: { description: 'The hold as now.', schema: legalHoldReplySchema }, 404: notFoundReply('person'), 409: errorOf('`already_erased` or `person_merged`.') },
  },
  {
    method: 'delete',
    path: '/people/:id/legal-hold',
    operationId: 'liftLegalHold',
    summary: 'Lift a legal hold',
    tag: TAG,
    roles: ['admin'],
    replies: { 200: { description: 'The hold as now (none).', schema: legalHoldReplySchema }, 404: notFoundReply('person'), 409: errorOf('`already_erased` or `person_merged`.') },
  },
];
