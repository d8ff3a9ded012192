import type { QuestionnaireView } from '../../kernel/questionnaire.js';
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';


/** One questionnaire with its sections and questions, in order (two round trips). */
export async function findQuestionnaire(db: Executor, id: string): Promise<QuestionnaireView | undefined> {
  const q = await db
    .selectFrom('questionnaires')
    .select(['id', 'version', 'title', 'status', 'isCurrent', 'publishedAt'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!q) return undefined;
  const rows = await db
    .selectFrom('questionnaireSections as s')
    .leftJoin('questions as qu', 'qu.sectionId', 's.id')
    .leftJoin('agencies as a', 'a.id', 'qu.agencyId')
    .leftJoin('agencies as fa', 'fa.id', 'qu.fallbackAgencyId')
    .select([
      's.id as sectionId',
      's.position as sectionPosition',
      's.title as sectionTitle',
      'qu.id as questionId',
      'qu.position as questionPosition',
      'qu.text',
      'qu.agencyId',
      'a.name as agencyName',
      'qu.fallbackAgencyId',
      'fa.name as fallbackAgencyName',
    ])
    .where('s.questionnaireId', '=', id)
    .orderBy('s.position')
    .orderBy('qu.position')
    .execute();
  const sections = new Map<string, QuestionnaireView['sections'][number]>();
  for (const r of rows) {
    let s = sections.get(r.sectionId);
    if (!s) {
      s = { id: r.sectionId, position: r.sectionPosition, title: r.sectionTitle, questions: [] };
      sections.set(r.sectionId, s);
    }
    if (r.questionId) {
      s.questions.push({
        id: r.questionId,
        position: r.questionPosition!,
        text: r.text!,
        agencyId: r.agencyId!,
        agencyName: r.agencyName!,
        fallbackAgencyId: r.fallbackAgencyId ?? null,
        fallbackAgencyName: r.fallbackAgencyName ?? null,
      });
    }
  }
  return { ...q, sections: [...sections.values()] };
}

export async function findCurrentQuestionnaireId(db: Executor): Promise<string | undefined> {
  const row = await db.selectFrom('questionnaires').select('id').where('isCurrent', '=', true).executeTakeFirst();
  return row?.id;
}

export interface QuestionnaireSummary {
  id: string;
  version: number;
  title: string;
  status: 'draft' | 'published' | 'retired';
  isCurrent: boolean;
  createdAt: Date;
  publishedAt: Date | null;
}

export async function listQuestionnaires(db: Executor): Promise<QuestionnaireSummary[]> {
  return db
    .selectFrom('questionnaires')
    .select(['id', 'version', 'title', 'status', 'isCurrent', 'createdAt', 'publishedAt'])
    .orderBy('version', 'desc')
    .execute();
}

/**
 * Serialises every change to the set of questionnaires (new drafts take max(version) + 1;
 * publishing swaps the current one) for the rest of the transaction. A transaction-level lock,
 * so a pooler can never strand it (docs/failure.md, reliability rule 7).
 */
export async function lockQuestionnaireChanges(trx: Executor): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended('signpost:questionnaires', 0))`.execute(trx);
}

/** The row, locked for the rest of the transaction. */
export async function findQuestionnaireForUpdate(trx: Executor, id: string) {
  return trx.selectFrom('questionnaires').select(['id', 'status', 'version']).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function questionnaireExists(db: Executor, id: string): Promise<boolean> {
  return (await db.selectFrom('questionnaires').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export async function nextQuestionnaireVersion(db: Executor): Promise<number> {
  const row = await db.selectFrom('questionnaires').select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
  return (row?.v ?? 0) + 1;
}

export async function insertQuestionnaire(db: Executor, row: { id: string; version: number; title: string; createdAt: Date }) {
  await db
    .insertInto('questionnaires')
    .values({ ...row, status: 'draft' })
    .execute();
}

export async function setQuestionnaireTitle(db: Executor, id: string, title: string) {
  await db.updateTable('questionnaires').set({ title }).where('id', '=', id).where('status', '=', 'draft').execute();
}

export interface ContentRow {
  sections: { id: string; title: string; questions: { id: string; text: string; agencyId: string; fallbackAgencyId?: string | null }[] }[];
}

/**
 * Replaces a draft's sections and questions wholesale (delete, then insert in order). The
 * caller holds the questionnaire row lock; the immutability trigger refuses a published one.
 */
export async function replaceQuestionnaireContent(trx: Executor, questionnaireId: string, content: ContentRow): Promise<void> {
  await trx.deleteFrom('questionnaireSections').where('questionnaireId', '=', questionnaireId).execute();
  if (content.sections.length === 0) return;
  await trx
    .insertInto('questionnaireSections')
    .values(content.sections.map((s, i) => ({ id: s.id, questionnaireId, position: i + 1, title: s.title })))
    .execute();
  const questions = content.sections.flatMap((s) =>
    s.questions.map((q, i) => ({ id: q.id, questionnaireId, sectionId: s.id, position: i + 1, text: q.text, agencyId: q.agencyId, fallbackAgencyId: q.fallbackAgencyId ?? null })),
  );
  if (questions.length) await trx.insertInto('questions').values(questions).execute();
}

/** Retires the current version (if any); returns its id. */
export async function retireCurrentQuestionnaire(trx: Executor): Promise<string | undefined> {
  const row = await trx
    .updateTable('questionnaires')
    .set({ status: 'retired', isCurrent: false })
    .where('isCurrent', '=', true)
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

/** Publishes a draft (as the current version unless `current` is false); undefined when it is no longer a draft. */
export async function markQuestionnairePublished(trx: Executor, id: string, at: Date, current = true) {
  return trx
    .updateTable('questionnaires')
    .set({ status: 'published', isCurrent: current, publishedAt: at })
    .where('id', '=', id)
    .where('status', '=', 'draft')
    .returning(['id', 'version'])
    .executeTakeFirst();
}
