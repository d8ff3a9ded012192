/** The follow-up API's contract (src/platform/http/openapi.ts). */
import { z } from 'zod';
import { errorOf, moment, notFoundReply, uuid, type ApiRoute } from '../../platform/http/openapi.js';
import { recordFollowUpSchema } from './follow-up-record.service.js';

const needsMet = z.enum(['yes', 'partly', 'no', 'not_yet']);

/** The worklist's query (the route parses it). */
export const followUpListQuerySchema = z.object({
  state: z.enum(['due', 'upcoming', 'completed']).default('due'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const followUpWorklistSchema = z
  .object({
    state: z.enum(['due', 'upcoming', 'completed']),
    items: z.array(
      z.object({
        id: uuid(),
        submissionId: uuid(),
        submissionReference: z.string(),
        personId: uuid(),
        status: z.enum(['scheduled', 'completed', 'cancelled']),
        dueAt: moment(),
        contactMade: z.boolean().nullable(),
        note: z.string().nullable(),
        completedAt: moment().nullable(),
        person: z.object({
          givenName: z.string().nullable(),
          familyName: z.string().nullable(),
          phone: z.string().nullable(),
          email: z.string().nullable(),
          preferredContact: z.string().nullable(),
        }),
        referrals: z.array(
          z.object({
            id: uuid(),
            reference: z.string(),
            agencyId: uuid(),
            agencyName: z.string(),
            status: z.string(),
            outcome: z.string().nullable(),
            needsMet: needsMet.nullable(),
            forwardedAt: moment().nullable(),
          }),
        ),
        attempts: z.array(z.object({ at: moment(), byUserId: uuid(), contactMade: z.boolean(), note: z.string().nullable() })),
      }),
    ),
  })
  .meta({ id: 'FollowUpWorklist' });
export type FollowUpWorklistReply = z.input<typeof followUpWorklistSchema>;

export const followUpRecordedSchema = z
  .object({ id: uuid(), status: z.enum(['scheduled', 'completed', 'cancelled']), submissionId: uuid(), submissionClosed: z.boolean() })
  .meta({ id: 'FollowUpRecorded' });

const HUB = ['coordinator', 'admin'] as const;
export const followUpApiRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/follow-ups',
    operationId: 'listFollowUps',
    summary: 'The hub’s follow-up worklist',
    description: 'Due and upcoming soonest first, completed latest first. Every person listed is audited.',
    tag: 'Follow-ups',
    roles: HUB,
    query: followUpListQuerySchema,
    replies: { 200: { description: 'The worklist in that state.', schema: followUpWorklistSchema } },
  },
  {
    method: 'post',
    path: '/follow-ups/:id',
    operationId: 'recordFollowUp',
    summary: 'Record a follow-up call',
    description: 'With `contactMade: true`, every referral that reached an agency (and was not cancelled or re-routed) needs an outcome; `false` keeps a failed attempt.',
    tag: 'Follow-ups',
    roles: HUB,
    body: recordFollowUpSchema,
    bodyExample: { contactMade: true, outcomes: [{ referralId: '0194f0a4-6a3e-7c1b-9d2e-3f4a5b6c7d8e', needsMet: 'yes' }], note: 'All sorted', wellbeing: { happy: 7 } },
    replies: {
      200: { description: 'The follow-up as now.', schema: followUpRecordedSchema },
      404: notFoundReply('follow-up'),
      409: errorOf('`follow_up_not_open`: the follow-up is completed or cancelled.'),
    },
  },
];
