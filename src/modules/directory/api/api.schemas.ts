/** The directory API's contract (src/platform/http/openapi.ts): agencies, referrer organisations, outcome codes. */
import { z } from 'zod';
import { ORGANISATION_TYPES } from '../../../kernel/organisation-types.js';
import { PERSON_FIELDS } from '../../../kernel/person-fields.js';
import { CLOCK_KINDS } from '../../../kernel/working-days.js';
import { errorOf, moment, notFoundReply, uuid, type ApiRoute } from '../../../platform/http/openapi.js';
import { agencyPatchSchema, newAgencySchema } from '../agency.service.js';
import { newOrganisationSchema, organisationPatchSchema } from '../organisation.service.js';
import { newOutcomeSchema, outcomePatchSchema } from '../outcome.service.js';

export const agencySchema = z
  .object({
    id: uuid(),
    name: z.string(),
    email: z.string(),
    phone: z.string().nullable(),
    status: z.enum(['active', 'paused']),
    contactDays: z.number().int(),
    contactClock: z.enum(CLOCK_KINDS),
    personFields: z.array(z.enum(PERSON_FIELDS)).meta({ description: 'the person’s details the agency receives besides the name' }),
  })
  .meta({ id: 'Agency' });

export const organisationSchema = z
  .object({ id: uuid(), name: z.string(), type: z.enum(ORGANISATION_TYPES), active: z.boolean(), createdAt: moment(), updatedAt: moment() })
  .meta({ id: 'Organisation' });

export const outcomeSchema = z
  .object({
    code: z.string().meta({ example: 'needs_met' }),
    label: z.string(),
    position: z.number().int(),
    active: z.boolean(),
    snomedCode: z.string().nullable().meta({ example: '871731000000106' }),
    snomedTerm: z.string().nullable(),
    updatedAt: moment(),
  })
  .meta({ id: 'Outcome' });

const list = <T extends z.ZodType>(item: T, id: string) => z.object({ items: z.array(item) }).meta({ id });
const location = { Location: { description: 'the new record’s address', schema: z.string() } };
const HUB = ['coordinator', 'admin'] as const;

export const directoryApiRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/agencies',
    operationId: 'listAgencies',
    summary: 'The partner agencies',
    tag: 'Agencies',
    roles: 'any',
    replies: { 200: { description: 'Every agency, by name.', schema: list(agencySchema, 'AgencyList') } },
  },
  {
    method: 'post',
    path: '/agencies',
    operationId: 'createAgency',
    summary: 'Add an agency',
    tag: 'Agencies',
    roles: HUB,
    body: newAgencySchema,
    bodyExample: { name: 'Home fire safety visits', email: 'referrals@fire.example.org', contactDays: 14, contactClock: 'working_days' },
    replies: { 201: { description: 'The agency.', schema: agencySchema, headers: location }, 409: errorOf('`duplicate_name`: another agency has this name.') },
  },
  {
    method: 'patch',
    path: '/agencies/:id',
    operationId: 'updateAgency',
    summary: 'Change an agency',
    tag: 'Agencies',
    roles: HUB,
    body: agencyPatchSchema,
    replies: { 200: { description: 'The agency as now.', schema: agencySchema }, 404: notFoundReply('agency'), 409: errorOf('`duplicate_name`: another agency has this name.') },
  },
  {
    method: 'get',
    path: '/organisations',
    operationId: 'listOrganisations',
    summary: 'The referrers’ organisations',
    tag: 'Organisations',
    roles: 'any',
    replies: { 200: { description: 'Every organisation.', schema: list(organisationSchema, 'OrganisationList') } },
  },
  {
    method: 'post',
    path: '/organisations',
    operationId: 'createOrganisation',
    summary: 'Add a referrer organisation',
    tag: 'Organisations',
    roles: HUB,
    body: newOrganisationSchema,
    bodyExample: { name: 'County fire and rescue service', type: 'fire_and_rescue' },
    replies: { 201: { description: 'The organisation.', schema: organisationSchema, headers: location }, 409: errorOf('`organisation_exists`: another organisation has this name.') },
  },
  {
    method: 'patch',
    path: '/organisations/:id',
    operationId: 'updateOrganisation',
    summary: 'Change or retire a referrer organisation',
    tag: 'Organisations',
    roles: HUB,
    body: organisationPatchSchema,
    replies: {
      200: { description: 'The organisation as now.', schema: organisationSchema },
      404: notFoundReply('organisation'),
      409: errorOf('`organisation_exists`: another organisation has this name.'),
    },
  },
  {
    method: 'get',
    path: '/outcomes',
    operationId: 'listOutcomes',
    summary: 'The outcome codes',
    description: 'The active ones; the hub sees every one.',
    tag: 'Outcomes',
    roles: 'any',
    replies: { 200: { description: 'The outcome codes, in order.', schema: list(outcomeSchema, 'OutcomeList') } },
  },
  {
    method: 'post',
    path: '/outcomes',
    operationId: 'createOutcome',
    summary: 'Add an outcome code',
    tag: 'Outcomes',
    roles: HUB,
    body: newOutcomeSchema,
    bodyExample: { code: 'befriending_started', label: 'Befriending started', snomedCode: '871731000000106', snomedTerm: 'Referral to social prescribing service' },
    replies: { 201: { description: 'The outcome code.', schema: outcomeSchema, headers: location }, 409: errorOf('`outcome_exists`: the code or label is taken.') },
  },
  {
    method: 'patch',
    path: '/outcomes/:code',
    operationId: 'updateOutcome',
    summary: 'Change or retire an outcome code',
    tag: 'Outcomes',
    roles: HUB,
    params: z.object({ code: z.string().meta({ example: 'needs_met', description: '2 to 40 lower-case letters, digits or _' }) }),
    body: outcomePatchSchema,
    replies: { 200: { description: 'The outcome code as now.', schema: outcomeSchema }, 404: notFoundReply('outcome code'), 409: errorOf('`outcome_exists`: another outcome has this label.') },
  },
];
