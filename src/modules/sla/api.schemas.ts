/** The SLA API's contract (src/platform/http/openapi.ts). */
import { z } from 'zod';
import { REFERRAL_STATUSES } from '../../kernel/referral-state.js';
import { moment, uuid, type ApiRoute } from '../../platform/http/openapi.js';

const clock = z.enum(['forward', 'contact', 'follow_up']);
const counts = z.object({ forward: z.number().int(), contact: z.number().int(), follow_up: z.number().int() });

/** The breaches' query (the route parses it). */
export const breachQuerySchema = z.object({
  open: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  clock: clock.optional(),
  agencyId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const breachListSchema = z
  .object({
    items: z.array(
      z.object({
        id: uuid(),
        referralId: uuid(),
        referralReference: z.string(),
        referralStatus: z.enum(REFERRAL_STATUSES),
        agencyId: uuid(),
        agencyName: z.string(),
        clock,
        dueAt: moment(),
        detectedAt: moment(),
        resolvedAt: moment().nullable(),
        lateBySeconds: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'BreachList' });
export type BreachListReply = z.input<typeof breachListSchema>;

export const slaSummarySchema = z
  .object({
    asOf: moment(),
    windowDays: z.number().int(),
    warnWithinHours: z.number(),
    agencies: z.array(
      z.object({
        agencyId: uuid(),
        agencyName: z.string(),
        agencyStatus: z.string(),
        openBreaches: counts,
        breachesLast30Days: z.number().int(),
        medianHoursToForward: z.number().nullable(),
        medianHoursToContact: z.number().nullable(),
        dueSoon: counts.meta({ description: 'steps due within warnWithinHours, not yet late' }),
        dueNext24Hours: counts.meta({ description: 'the old name of dueSoon: the same counts', deprecated: true }),
      }),
    ),
  })
  .meta({ id: 'SlaSummary' });
export type SlaSummaryReply = z.input<typeof slaSummarySchema>;

const HUB = ['coordinator', 'admin'] as const;
export const slaApiRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/sla/breaches',
    operationId: 'listBreaches',
    summary: 'Breaches of the three clocks, newest first',
    tag: 'SLA',
    roles: HUB,
    query: breachQuerySchema,
    replies: { 200: { description: 'The breaches.', schema: breachListSchema } },
  },
  {
    method: 'get',
    path: '/sla/summary',
    operationId: 'slaSummary',
    summary: 'Per agency: open breaches, the last 30 days, medians, and what is due soon',
    tag: 'SLA',
    roles: HUB,
    replies: { 200: { description: 'The summary.', schema: slaSummarySchema } },
  },
];
