/** The reports API's contract (src/platform/http/openapi.ts). */
import { z } from 'zod';
import { ORGANISATION_TYPES, SELF_REFERRAL_TYPE } from '../../kernel/organisation-types.js';
import { notFoundReply, uuid, type ApiRoute } from '../../platform/http/openapi.js';
import { referralExportSchema } from './report-export.service.js';
import { summaryQuerySchema } from './report-summary.service.js';

/** Hours: a bucket's upper edge, or ">672" for longer than the last edge (JSON has no Infinity). */
const hours = z.union([z.number(), z.string().regex(/^>\d+$/)]).nullable();
const clockFigures = z.object({
  clock: z.enum(['forward', 'contact', 'follow_up']),
  onTime: z.number().int(),
  late: z.number().int(),
  overdue: z.number().int(),
  notYetDue: z.number().int(),
  ended: z.number().int(),
  onTimeRate: z.number().nullable().meta({ description: 'on time out of on time + late + overdue, a percentage to one decimal place' }),
  medianHours: hours,
  p90Hours: hours,
  buckets: z.array(z.number().int()).meta({ description: 'steps per duration bucket (upper edges: bucketEdgesHours)' }),
});
const needsMet = z.object({ yes: z.number().int(), partly: z.number().int(), no: z.number().int(), notYet: z.number().int() });
const count = z.number().int();
/** A referrer's type: an organisation type, self-referral (the person referred themselves, no organisation), or none recorded. */
const referrerType = z
  .enum([...ORGANISATION_TYPES, SELF_REFERRAL_TYPE])
  .nullable()
  .meta({ description: "the referring organisation's type; 'self_referral' for self-referrals (no organisation); null when no organisation was recorded" });

const summaryReportSchema = z
  .object({
    period: z.object({ from: z.string(), to: z.string(), days: count }),
    filter: z.object({ agencyId: uuid().nullable(), agency: z.string().nullable(), organisationId: uuid().nullable(), organisation: z.string().nullable() }),
    generatedAt: z.string(),
    checklists: count,
    noNeeds: count,
    people: count,
    referrals: count,
    byAgency: z.array(
      z.object({
        agencyId: uuid(),
        agency: z.string(),
        referrals: count,
        rerouted: count,
        clocks: z.array(clockFigures),
        outcomes: z.array(z.object({ code: z.string(), label: z.string(), referrals: count })),
        needsMet,
      }),
    ),
    clocks: z.array(clockFigures),
    byQuestion: z.array(z.object({ questionId: uuid(), question: z.string(), section: z.string(), position: count, referrals: count })),
    bySection: z.array(z.object({ section: z.string(), referrals: count })),
    byOrganisation: z.array(
      z.object({
        organisationId: uuid().nullable().meta({ description: 'null for self-referrals and for checklists with no organisation recorded' }),
        organisation: z.string().meta({ description: "the organisation's name; 'Self-referral', or 'No organisation recorded'" }),
        type: referrerType,
        checklists: count,
        referrals: count,
      }),
    ),
    byOrganisationType: z.array(z.object({ type: referrerType, label: z.string(), checklists: count, referrals: count })),
    outcomes: z.array(z.object({ code: z.string(), label: z.string(), snomedCode: z.string().nullable(), referrals: count })),
    needsMet,
    wellbeing: z.object({
      people: count,
      measures: z.array(
        z.object({
          measure: z.enum(['life_satisfaction', 'worthwhile', 'happy', 'anxious']),
          label: z.string(),
          n: count,
          meanBefore: z.number().nullable(),
          meanAfter: z.number().nullable(),
          meanImprovement: z.number().nullable(),
          improved: count,
          same: count,
          worse: count,
        }),
      ),
    }),
    ageBands: z.array(z.object({ band: z.string(), count })),
    postcodeDistricts: z.array(z.object({ district: z.string(), checklists: count })),
  })
  .meta({ id: 'SummaryReport' });

export const summaryComparisonSchema = z
  .object({
    bucketEdgesHours: z.array(z.number()).meta({ description: 'the upper edges of the duration buckets, in hours' }),
    current: summaryReportSchema,
    previous: summaryReportSchema,
  })
  .meta({ id: 'SummaryComparison' });

const HUB = ['coordinator', 'admin'] as const;
export const reportsApiRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/reports/referrals.csv',
    operationId: 'exportReferralsCsv',
    summary: 'The referrals received on those London days, as CSV',
    description: 'One row per referral, no names or contact details; UTF-8 with a byte order mark, CRLF, formulas neutralised; streamed. Audited.',
    tag: 'Reports',
    roles: HUB,
    query: referralExportSchema,
    replies: {
      200: {
        description: 'The CSV file, as an attachment.',
        contentType: 'text/csv',
        headers: { 'Content-Disposition': { description: 'attachment; filename="signpost-referrals-FROM-to-TO.csv"', schema: z.string() } },
      },
    },
  },
  {
    method: 'get',
    path: '/reports/summary',
    operationId: 'reportSummary',
    summary: 'The summary of a period beside the period before it',
    description: 'Received in the period (London days), followed to the moment of asking. Audited.',
    tag: 'Reports',
    roles: HUB,
    query: summaryQuerySchema,
    replies: { 200: { description: 'The two periods’ figures.', schema: summaryComparisonSchema }, 404: notFoundReply('agency or organisation') },
  },
];
