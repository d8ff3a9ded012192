/** The questionnaires API's contract (src/platform/http/openapi.ts): routes, bodies and replies. */
import { z } from 'zod';
import { errorOf, moment, notFoundReply, uuid, type ApiRoute } from '../../platform/http/openapi.js';
import { newQuestionnaireSchema, questionnairePatchSchema } from './questionnaire.service.js';

const versionStatus = z.enum(['draft', 'published', 'retired']);

/** GET /questionnaire: the current version as link workers fill it in. */
export const currentQuestionnaireSchema = z
  .object({
    id: uuid(),
    version: z.number().int(),
    title: z.string(),
    publishedAt: moment().nullable(),
    sections: z.array(
      z.object({
        id: uuid(),
        title: z.string(),
        questions: z.array(z.object({ id: uuid(), text: z.string(), agencyId: uuid(), agencyName: z.string(), fallbackAgencyId: uuid().nullable() })),
      }),
    ),
  })
  .meta({ id: 'CurrentQuestionnaire' });
export type CurrentQuestionnaireReply = z.input<typeof currentQuestionnaireSchema>;

/** A version as the hub manages it (kernel/questionnaire.ts QuestionnaireView). */
export const questionnaireSchema = z
  .object({
    id: uuid(),
    version: z.number().int(),
    title: z.string(),
    status: versionStatus,
    isCurrent: z.boolean(),
    publishedAt: moment().nullable(),
    sections: z.array(
      z.object({
        id: uuid(),
        position: z.number().int(),
        title: z.string(),
        questions: z.array(
          z.object({
            id: uuid(),
            position: z.number().int(),
            text: z.string(),
            agencyId: uuid(),
            agencyName: z.string(),
            fallbackAgencyId: uuid().nullable(),
            fallbackAgencyName: z.string().nullable(),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'Questionnaire' });

export const questionnaireListSchema = z
  .object({
    items: z.array(z.object({ id: uuid(), version: z.number().int(), title: z.string(), status: versionStatus, isCurrent: z.boolean(), createdAt: moment(), publishedAt: moment().nullable() })),
  })
  .meta({ id: 'QuestionnaireList' });
export type QuestionnaireListReply = z.input<typeof questionnaireListSchema>;

const TAG = 'Questionnaires';
const HUB = ['coordinator', 'admin'] as const;
export const questionnairesApiRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/questionnaire',
    operationId: 'getCurrentQuestionnaire',
    summary: 'The current published checklist',
    description: 'Sections, questions and the agency each question flags: what a submission answers.',
    tag: TAG,
    roles: 'any',
    replies: { 200: { description: 'The current version.', schema: currentQuestionnaireSchema }, 404: errorOf('No questionnaire has been published yet.') },
  },
  {
    method: 'get',
    path: '/questionnaires',
    operationId: 'listQuestionnaires',
    summary: 'Every version, newest first',
    tag: TAG,
    roles: HUB,
    replies: { 200: { description: 'The versions.', schema: questionnaireListSchema } },
  },
  {
    method: 'post',
    path: '/questionnaires',
    operationId: 'createQuestionnaireDraft',
    summary: 'A new draft',
    description: 'Empty, or a copy of the current version (`copyFrom: "current"`).',
    tag: TAG,
    roles: HUB,
    body: newQuestionnaireSchema,
    bodyExample: { title: 'Safe and independent living checklist', copyFrom: 'current' },
    replies: {
      201: { description: 'The draft (its address in Location).', schema: questionnaireSchema, headers: { Location: { description: 'the draft’s address', schema: z.string() } } },
      409: errorOf('`no_current_questionnaire`: there is nothing to copy.'),
    },
  },
  {
    method: 'get',
    path: '/questionnaires/:id',
    operationId: 'getQuestionnaire',
    summary: 'One version',
    tag: TAG,
    roles: HUB,
    replies: { 200: { description: 'The version.', schema: questionnaireSchema }, 404: notFoundReply('questionnaire') },
  },
  {
    method: 'patch',
    path: '/questionnaires/:id',
    operationId: 'updateQuestionnaireDraft',
    summary: 'Replace a draft’s title or content',
    tag: TAG,
    roles: HUB,
    body: questionnairePatchSchema,
    replies: {
      200: { description: 'The draft as now.', schema: questionnaireSchema },
      404: notFoundReply('questionnaire'),
      409: errorOf('`not_draft`: published versions are immutable.'),
    },
  },
  {
    method: 'post',
    path: '/questionnaires/:id/publish',
    operationId: 'publishQuestionnaire',
    summary: 'Publish a draft: it becomes the current version',
    tag: TAG,
    roles: HUB,
    replies: {
      200: { description: 'The published version.', schema: questionnaireSchema },
      404: notFoundReply('questionnaire'),
      409: errorOf('`not_draft`: only a draft is published.'),
      422: errorOf('`not_publishable`: questions whose agency is missing or paused (listed in `details`).'),
    },
  },
];
