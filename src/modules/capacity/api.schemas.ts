/** The capacity API's contract (src/platform/http/openapi.ts). */
import { z } from 'zod';
import { CAPACITY_STATUSES } from '../../kernel/capacity.js';
import { day, moment, notFoundReply, uuid, type ApiRoute } from '../../platform/http/openapi.js';
import { capacityInputSchema } from './capacity.service.js';

const capacityFields = {
  agencyId: uuid(),
  agencyName: z.string(),
  status: z.enum(CAPACITY_STATUSES),
  waitWeeks: z.number().int().nullable(),
  closedUntil: day().nullable().meta({ description: 'closed before this day, accepting from it' }),
  confirmedAt: moment().nullable(),
  confirmedByLabel: z.string().nullable(),
  unconfirmed: z.boolean().meta({ description: 'not confirmed within CAPACITY_UNCONFIRMED_AFTER_DAYS' }),
  reopened: z.boolean().meta({ description: 'the closing date has come: read as accepting until the agency confirms' }),
};

export const capacitySchema = z.object(capacityFields).meta({ id: 'Capacity' });
export const capacityWithHistorySchema = z
  .object({
    ...capacityFields,
    history: z
      .array(
        z.object({
          at: moment(),
          actorLabel: z.string(),
          status: z.enum(CAPACITY_STATUSES),
          waitWeeks: z.number().int().nullable(),
          closedUntil: day().nullable(),
          confirmedOnly: z.boolean(),
          via: z.enum(['page', 'api', 'mail_link']),
        }),
      )
      .meta({ description: 'who said what, newest first' }),
  })
  .meta({ id: 'CapacityWithHistory' });

const ROLES = ['agency', 'coordinator', 'admin'] as const;
export const capacityApiRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/agencies/:id/capacity',
    operationId: 'getAgencyCapacity',
    summary: 'What an agency can take, and who said so',
    description: 'An agency’s users see their own agency only (another agency’s answers 403).',
    tag: 'Capacity',
    roles: ROLES,
    replies: { 200: { description: 'The capacity as read now.', schema: capacityWithHistorySchema }, 404: notFoundReply('agency') },
  },
  {
    method: 'put',
    path: '/agencies/:id/capacity',
    operationId: 'setAgencyCapacity',
    summary: 'Say what an agency can take (the same again confirms it)',
    tag: 'Capacity',
    roles: ROLES,
    body: capacityInputSchema,
    bodyExample: { status: 'waiting_list', waitWeeks: 6 },
    replies: { 200: { description: 'The capacity as now.', schema: capacitySchema }, 404: notFoundReply('agency') },
  },
];
