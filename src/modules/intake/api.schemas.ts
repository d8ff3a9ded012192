/** The submissions API's contract (src/platform/http/openapi.ts). */
import { z } from 'zod';
import { CAPACITY_STATUSES } from '../../kernel/capacity.js';
import { REFERRAL_STATUSES } from '../../kernel/referral-state.js';
import { day, errorOf, moment, notFoundReply, uuid, type ApiRoute } from '../../platform/http/openapi.js';
import { channelFieldsSchema } from './channel.service.js';
import { submissionBodySchema } from './submission.schema.js';

const referralStatus = z.enum(REFERRAL_STATUSES);
const submissionStatus = z.enum(['open', 'no_needs_identified', 'closed']);

/** The reply to POST /submissions (intake.ts SubmissionReply), the same on a replay. */
export const submissionReplySchema = z
  .object({
    id: uuid(),
    reference: z.string().meta({ example: 'SP-7K3M-9QXD' }),
    receivedAt: z.iso.datetime().meta({ description: 'when the hub received it: every deadline counts from it' }),
    status: submissionStatus,
    personId: uuid().meta({ description: 'the person’s one record, across all their checklists' }),
    alreadyOpen: z
      .array(z.object({ id: uuid(), reference: z.string(), agencyId: uuid(), status: referralStatus }))
      .meta({ description: 'live referrals this checklist’s "yes" answers joined instead of making new ones' }),
    referrals: z.array(
      z.object({
        id: uuid(),
        reference: z.string().meta({ example: 'SP-7K3M-9QXD-1' }),
        agencyId: uuid(),
        agencyName: z.string(),
        questionIds: z.array(uuid()),
        status: z.literal('pending'),
        forwardDueAt: z.iso.datetime(),
        contactDueAt: z.iso.datetime(),
        heldUntil: day().nullable().meta({ description: 'the day a closed agency reopens, when the referral waits for it' }),
        capacity: z
          .object({
            status: z.enum(CAPACITY_STATUSES),
            waitWeeks: z.number().int().nullable(),
            closedUntil: day().nullable(),
            likelyWait: z.string().nullable(),
            fallbackFor: z.array(z.object({ agencyId: uuid(), agencyName: z.string(), questionIds: z.array(uuid()), closedUntil: day() })),
          })
          .optional(),
      }),
    ),
  })
  .meta({ id: 'SubmissionReceipt' });

export const consentRecordSchema = z
  .object({
    given: z.boolean(),
    by: z.enum(['person', 'representative']),
    representativeName: z.string().optional(),
    representativeRelationship: z.string().optional(),
    sharingAgreed: z.boolean(),
    recordedAt: z.string(),
  })
  .meta({ id: 'ConsentRecord' });

/** GET /submissions/:id: the checklist and each referral's current status. */
export const submissionSchema = z
  .object({
    id: uuid(),
    reference: z.string(),
    questionnaireId: uuid(),
    status: submissionStatus,
    receivedAt: moment(),
    closedAt: moment().nullable(),
    person: z.object({ givenName: z.string().nullable(), familyName: z.string().nullable(), preferredContact: z.enum(['phone', 'email', 'post', 'visit']).nullable() }),
    consent: consentRecordSchema,
    referrals: z.array(
      z.object({
        id: uuid(),
        reference: z.string(),
        agencyId: uuid(),
        agencyName: z.string(),
        status: referralStatus,
        questionIds: z.array(uuid()),
        forwardDueAt: moment(),
        forwardedAt: moment().nullable(),
        contactDueAt: moment().nullable(),
        heldUntil: day().nullable(),
        contactedAt: moment().nullable(),
        closedAt: moment().nullable(),
        outcome: z.string().nullable(),
        reroutedFromId: uuid().nullable(),
        reroutedToId: uuid().nullable(),
        needsMet: z.enum(['yes', 'partly', 'no', 'not_yet']).nullable(),
      }),
    ),
  })
  .meta({ id: 'Submission' });

/** The Idempotency-Key header (IETF httpapi draft): an opaque string of up to 255 visible characters. */
export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/);

export const intakeApiRoutes: ApiRoute[] = [
  {
    method: 'post',
    path: '/submissions',
    operationId: 'submitChecklist',
    summary: 'Submit a checklist',
    description:
      'Makes one referral per agency flagged by a "yes" (or joins a live one), in one commit. Every question of the version must be answered. ' +
      'The hub may key in a paper or phone checklist with `channel`, `receivedAt` and `referrer`. Send an `Idempotency-Key` and retry freely.',
    tag: 'Submissions',
    roles: ['link_worker', 'coordinator', 'admin'],
    headers: z.object({
      'idempotency-key': idempotencyKeySchema.optional().meta({ description: 'the same key with the same body returns the first response' }),
    }),
    body: z.intersection(submissionBodySchema, channelFieldsSchema),
    bodyExample: {
      questionnaireId: '0194f0a4-6a3e-7c1b-9d2e-3f4a5b6c7d8e',
      person: { givenName: 'Ada', familyName: 'Example', dateOfBirth: '1941-03-02', postcode: 'SE1 7PB', phone: '020 7946 0123', preferredContact: 'phone' },
      consent: { given: true, by: 'person', sharingAgreed: true, recordedAt: '2026-11-23T10:00:00Z' },
      answers: { '0194f0a4-6a3e-7c1b-9d2e-000000000001': true, '0194f0a4-6a3e-7c1b-9d2e-000000000002': false },
      wellbeing: { lifeSatisfaction: 6, worthwhile: 7, happy: 5, anxious: 3 },
    },
    replies: {
      201: {
        description: 'Stored (or, with `Idempotent-Replayed: true`, the stored response of the first request with this key).',
        schema: submissionReplySchema,
        headers: {
          Location: { description: 'the submission’s address', schema: z.string() },
          'Idempotent-Replayed': { description: '`true` on a replay', schema: z.literal('true') },
        },
      },
      409: errorOf('`request_in_flight`: a request with this Idempotency-Key is still being processed; retry a moment later.'),
      422: errorOf('`consent_required` (nothing stored), or `idempotency_key_reused` with a different body.'),
    },
  },
  {
    method: 'get',
    path: '/submissions/:id',
    operationId: 'getSubmission',
    summary: 'A submission and each referral’s current status',
    description: 'Its submitter, or the hub (anyone else: 404). Audited.',
    tag: 'Submissions',
    roles: 'any',
    replies: { 200: { description: 'The submission.', schema: submissionSchema }, 404: notFoundReply('submission') },
  },
];
