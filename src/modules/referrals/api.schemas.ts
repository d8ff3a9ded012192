/** The referrals API's contract (src/platform/http/openapi.ts). */
import { z } from 'zod';
import { PERSON_FIELDS } from '../../kernel/person-fields.js';
import { REFERRAL_STATUSES } from '../../kernel/referral-state.js';
import { day, errorOf, moment, notFoundReply, uuid, type ApiRoute } from '../../platform/http/openapi.js';
import { referralListQuerySchema, transitionSchema } from './referral.service.js';

const status = z.enum(REFERRAL_STATUSES);

export const referralPageSchema = z
  .object({
    items: z.array(
      z.object({
        id: uuid(),
        reference: z.string(),
        submissionId: uuid(),
        agencyId: uuid(),
        agencyName: z.string(),
        status,
        person: z
          .object({ givenName: z.string().nullable(), familyName: z.string().nullable() })
          .nullable()
          .meta({ description: 'null where the caller may no longer see the person (an agency’s cancelled or re-routed referral)' }),
        receivedAt: moment(),
        forwardDueAt: moment(),
        forwardedAt: moment().nullable(),
        contactDueAt: moment().nullable(),
        contactedAt: moment().nullable(),
        closedAt: moment().nullable(),
      }),
    ),
    nextCursor: z.string().nullable().meta({ description: 'pass as `cursor` for the next page; null on the last' }),
  })
  .meta({ id: 'ReferralPage' });

/** A referral's clocks as every reply gives them: received, held, the forward and contact deadlines and when each was met. */
const referralClocks = {
  receivedAt: moment(),
  heldUntil: day().nullable(),
  forwardDueAt: moment(),
  forwardedAt: moment().nullable(),
  contactDueAt: moment().nullable(),
  contactedAt: moment().nullable(),
};

export const referralSchema = z
  .object({
    id: uuid(),
    reference: z.string(),
    submissionId: uuid(),
    submissionReference: z.string(),
    agencyId: uuid(),
    agencyName: z.string(),
    status,
    view: z.enum(['full', 'summary']).meta({ description: '`summary`: the agency may no longer see the person, the answers or the free text' }),
    personFields: z.array(z.enum(PERSON_FIELDS)),
    person: z
      .object({
        givenName: z.string().nullable(),
        familyName: z.string().nullable(),
        dateOfBirth: z.string().nullable(),
        postcode: z.string().nullable(),
        phone: z.string().nullable(),
        email: z.string().nullable(),
        addressLine: z.string().nullable(),
        preferredContact: z.enum(['phone', 'email', 'post', 'visit']).nullable(),
        language: z.string().nullable(),
        accessNeeds: z.string().nullable(),
        nhsNumber: z.string().nullable(),
      })
      .nullable(),
    consent: z.object({ by: z.enum(['person', 'representative']), representativeName: z.string().nullable(), recordedAt: z.string() }).nullable(),
    questions: z.array(z.object({ id: uuid(), text: z.string() })).nullable(),
    events: z.array(
      z.object({
        at: moment(),
        actorLabel: z.string(),
        fromStatus: z.string().nullable(),
        toStatus: z.string(),
        reason: z.string().nullable(),
        outcome: z.string().nullable(),
        note: z.string().nullable(),
      }),
    ),
    reroutedFromId: uuid().nullable(),
    reroutedToId: uuid().nullable(),
    ...referralClocks,
    followUpDueAt: moment().nullable(),
    followedUpAt: moment().nullable(),
    closedAt: moment().nullable(),
    outcome: z.string().nullable(),
    onHoldUntil: day().nullable(),
    updatedAt: moment(),
    personErased: z.boolean(),
    allowedNext: z.array(status),
  })
  .meta({ id: 'Referral' });

/** The reply to a transition: the referral as now (the route builds it field by field). */
export const transitionReplySchema = z
  .object({
    id: uuid(),
    reference: z.string(),
    submissionId: uuid(),
    agencyId: uuid(),
    status,
    ...referralClocks,
    closedAt: moment().nullable(),
    outcome: z.string().nullable(),
    onHoldUntil: day().nullable(),
    reroutedFromId: uuid().nullable(),
    reroutedToId: uuid().nullable(),
    updatedAt: moment(),
    allowedNext: z.array(status),
    replacement: z
      .object({ id: uuid(), reference: z.string(), agencyId: uuid(), status: z.literal('pending'), forwardDueAt: moment(), contactDueAt: moment() })
      .nullable()
      .meta({ description: 'the new referral when this move re-routed it' }),
  })
  .meta({ id: 'ReferralTransitioned' });
export type TransitionReply = z.input<typeof transitionReplySchema>;

export const referralsApiRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/referrals',
    operationId: 'listReferrals',
    summary: 'Referrals, newest first, in keyset pages',
    description: 'An agency sees its own, once forwarded to it. `status` takes a comma-separated list. Every row that shows a person is audited.',
    tag: 'Referrals',
    roles: ['agency', 'coordinator', 'admin'],
    query: referralListQuerySchema,
    replies: { 200: { description: 'A page of referrals.', schema: referralPageSchema } },
  },
  {
    method: 'get',
    path: '/referrals/:id',
    operationId: 'getReferral',
    summary: 'One referral: the person, the questions that flagged the agency, its history',
    description: 'Its agency (once forwarded to it) and the hub; link workers and other agencies get 404. Every read is audited.',
    tag: 'Referrals',
    roles: 'any',
    replies: { 200: { description: 'The referral.', schema: referralSchema }, 404: notFoundReply('referral') },
  },
  {
    method: 'post',
    path: '/referrals/:id/transitions',
    operationId: 'transitionReferral',
    summary: 'Move a referral through its lifecycle',
    tag: 'Referrals',
    roles: ['agency', 'coordinator', 'admin'],
    body: transitionSchema,
    bodyExample: { to: 'contacted', note: 'Spoke to her on the phone; visit booked' },
    replies: {
      200: { description: 'The referral as now.', schema: transitionReplySchema },
      404: notFoundReply('referral'),
      409: errorOf('`illegal_transition` (details: `{from, allowed}`), or `person_erased`.'),
    },
  },
];
