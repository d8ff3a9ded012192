/**
 * Questionnaire versions, managed by the hub. A draft's content is replaced wholesale; publishing
 * swaps the current version in one transaction (the old one is retired) after checking that every
 * question names an active agency. A published version never changes again: the database
 * trigger refuses it even if this code were wrong.
 */
import { z } from 'zod';
import { badRequest, conflict, notFound, unprocessable, type ErrorDetail } from '../../kernel/errors.js';
import type { Executor } from '../../platform/db/database.js';
import { findCurrentQuestionnaireId, findQuestionnaire, findQuestionnaireForUpdate, insertQuestionnaire, listQuestionnaires as listQuestionnaireRows, lockQuestionnaireChanges, markQuestionnairePublished, nextQuestionnaireVersion, replaceQuestionnaireContent, retireCurrentQuestionnaire, setQuestionnaireTitle, type ContentRow, type QuestionnaireSummary } from './questionnaire.repository.js';
import { type QuestionnaireView } from '../../kernel/questionnaire.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { oneLineText } from '../../kernel/text-fields.js';
import { agencyStatusesForShare, existingAgencyIds } from '../directory/index.js';

const title = oneLineText().trim().min(1, 'must not be empty').max(200);

export const newQuestionnaireSchema = z.strictObject({
  title: title.optional(),
  copyFrom: z.literal('current').optional(),
});
export type NewQuestionnaireInput = z.infer<typeof newQuestionnaireSchema>;

export const questionnairePatchSchema = z.strictObject({
  title: title.optional(),
  sections: z
    .array(
      z.strictObject({
        title,
        questions: z
          .array(
            z.strictObject({
              text: oneLineText().trim().min(1, 'must not be empty').max(500),
              agencyId: z.uuid('must be an agency id'),
              /** where a "yes" goes while the agency is closed; none: the referral waits */
              fallbackAgencyId: z.uuid('must be an agency id').nullish(),
            }),
          )
          .max(100),
      }),
    )
    .max(30)
    .optional(),
});
export type QuestionnairePatch = z.infer<typeof questionnairePatchSchema>;

const DEFAULT_TITLE = 'Safe and Independent Living checklist';

/** A unique-index or trigger refusal that a concurrent change could cause. */
const pgCode = (err: unknown) => (err as { code?: string }).code;

/** The current published version, as link workers fill it in; undefined when none is published. */
export async function currentQuestionnaire(deps: Pick<ServiceDeps, 'db' | 'questionnaires'>): Promise<QuestionnaireView | undefined> {
  const id = await findCurrentQuestionnaireId(deps.db);
  return id ? deps.questionnaires.get(id) : undefined;
}

export async function listQuestionnaires(deps: Pick<ServiceDeps, 'db'>): Promise<QuestionnaireSummary[]> {
  return listQuestionnaireRows(deps.db);
}

/** Any version, draft or not (the hub edits drafts). */
export async function getQuestionnaire(deps: Pick<ServiceDeps, 'db'>, id: string): Promise<QuestionnaireView> {
  const q = await findQuestionnaire(deps.db, id);
  if (!q) throw notFound('questionnaire');
  return q;
}

/** A new draft, version max + 1, optionally a copy (new ids) of the current version's content. */
export async function createQuestionnaireDraft(deps: ServiceDeps, input: NewQuestionnaireInput): Promise<QuestionnaireView> {
  const id = deps.ids.uuid();
  await deps.db.transaction().execute(async (trx) => {
    await lockQuestionnaireChanges(trx);
    let source: QuestionnaireView | undefined;
    if (input.copyFrom === 'current') {
      const currentId = await findCurrentQuestionnaireId(trx);
      source = currentId ? await findQuestionnaire(trx, currentId) : undefined;
      if (!source) throw conflict('no_current_questionnaire', 'there is no current questionnaire to copy');
    }
    const version = await nextQuestionnaireVersion(trx);
    await insertQuestionnaire(trx, { id, version, title: input.title ?? source?.title ?? DEFAULT_TITLE, createdAt: deps.clock.now() });
    if (source) {
      await replaceQuestionnaireContent(trx, id, {
        sections: source.sections.map((s) => ({
          id: deps.ids.uuid(),
          title: s.title,
          questions: s.questions.map((q) => ({ id: deps.ids.uuid(), text: q.text, agencyId: q.agencyId, fallbackAgencyId: q.fallbackAgencyId ?? null })),
        })),
      });
    }
  });
  return getQuestionnaire(deps, id);
}

function notDraft(status: string) {
  return conflict('not_draft', `this questionnaire is ${status}; published versions are immutable; make a new draft instead`, { status });
}

/** Replaces a draft's title and/or content in one transaction. */
export async function updateQuestionnaireDraft(deps: ServiceDeps, id: string, patch: QuestionnairePatch): Promise<QuestionnaireView> {
  if (patch.sections) {
    const wanted = [...new Set(patch.sections.flatMap((s) => s.questions.flatMap((q) => (q.fallbackAgencyId ? [q.agencyId, q.fallbackAgencyId] : [q.agencyId]))))];
    const known = await existingAgencyIds(deps.db, wanted);
    const problems: ErrorDetail[] = [];
    patch.sections.forEach((s, si) =>
      s.questions.forEach((q, qi) => {
        if (!known.has(q.agencyId)) problems.push({ path: `sections.${si}.questions.${qi}.agencyId`, message: 'no agency has this id' });
        if (q.fallbackAgencyId && !known.has(q.fallbackAgencyId)) problems.push({ path: `sections.${si}.questions.${qi}.fallbackAgencyId`, message: 'no agency has this id' });
        if (q.fallbackAgencyId && q.fallbackAgencyId === q.agencyId) {
          problems.push({ path: `sections.${si}.questions.${qi}.fallbackAgencyId`, message: 'must be another agency than the question’s own' });
        }
      }),
    );
    if (problems.length) throw badRequest('invalid questionnaire', problems);
  }
  try {
    await deps.db.transaction().execute(async (trx) => {
      const row = await findQuestionnaireForUpdate(trx, id);
      if (!row) throw notFound('questionnaire');
      if (row.status !== 'draft') throw notDraft(row.status);
      if (patch.title !== undefined) await setQuestionnaireTitle(trx, id, patch.title);
      if (patch.sections) {
        const content: ContentRow = {
          sections: patch.sections.map((s) => ({
            id: deps.ids.uuid(),
            title: s.title,
            questions: s.questions.map((q) => ({ id: deps.ids.uuid(), text: q.text, agencyId: q.agencyId, fallbackAgencyId: q.fallbackAgencyId ?? null })),
          })),
        };
        await replaceQuestionnaireContent(trx, id, content);
      }
    });
  } catch (err) {
    // the immutability trigger (check_violation) or an agency deleted meanwhile (foreign key)
    if (pgCode(err) === '23514') throw notDraft('published');
    if (pgCode(err) === '23503') throw badRequest('invalid questionnaire', [{ path: 'sections', message: 'an agency named here no longer exists' }]);
    throw err;
  }
  return getQuestionnaire(deps, id);
}

/** Every reason this questionnaire cannot be published; empty when it can. */
async function publishProblems(trx: Executor, q: QuestionnaireView): Promise<ErrorDetail[]> {
  const problems: (ErrorDetail & { questionId?: string })[] = [];
  const questions = q.sections.flatMap((s) => s.questions);
  if (questions.length === 0) problems.push({ path: 'sections', message: 'the questionnaire has no questions' });
  q.sections.forEach((s, si) => {
    if (s.questions.length === 0) problems.push({ path: `sections.${si}`, message: `the section "${s.title}" has no questions` });
  });
  const agencyIds = [...new Set(questions.map((x) => x.agencyId))];
  // FOR SHARE: an agency cannot be paused between this check and the commit
  const agencies = agencyIds.length ? await agencyStatusesForShare(trx, agencyIds) : [];
  const status = new Map(agencies.map((a) => [a.id, a.status]));
  q.sections.forEach((s, si) =>
    s.questions.forEach((x, qi) => {
      const st = status.get(x.agencyId);
      if (st !== 'active') {
        problems.push({
          path: `sections.${si}.questions.${qi}.agencyId`,
          questionId: x.id,
          message: st === 'paused' ? `"${x.text}" names a paused agency (${x.agencyName})` : `"${x.text}" names no agency`,
        });
      }
    }),
  );
  return problems;
}

/**
 * Publishes a draft: 422 `not_publishable` listing every problem; otherwise, in one transaction,
 * the current version is retired and this one becomes published and current.
 */
export async function publishQuestionnaire(deps: ServiceDeps, id: string): Promise<QuestionnaireView> {
  await deps.db.transaction().execute(async (trx) => {
    await lockQuestionnaireChanges(trx);
    const row = await findQuestionnaireForUpdate(trx, id);
    if (!row) throw notFound('questionnaire');
    if (row.status !== 'draft') throw notDraft(row.status);
    const view = (await findQuestionnaire(trx, id))!;
    const problems = await publishProblems(trx, view);
    if (problems.length) throw unprocessable('not_publishable', 'the questionnaire cannot be published', problems);
    await retireCurrentQuestionnaire(trx);
    const published = await markQuestionnairePublished(trx, id, deps.clock.now());
    if (!published) throw notDraft('published');
  });
  return getQuestionnaire(deps, id);
}
