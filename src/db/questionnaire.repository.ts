import type { Executor } from './database.js';

export interface QuestionnaireView {
  id: string;
  version: number;
  title: string;
  status: 'draft' | 'published' | 'retired';
  isCurrent: boolean;
  publishedAt: Date | null;
  sections: {
    id: string;
    position: number;
    title: string;
    questions: { id: string; position: number; text: string; agencyId: string; agencyName: string }[];
  }[];
}

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
    .select([
      's.id as sectionId',
      's.position as sectionPosition',
      's.title as sectionTitle',
      'qu.id as questionId',
      'qu.position as questionPosition',
      'qu.text',
      'qu.agencyId',
      'a.name as agencyName',
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
      });
    }
  }
  return { ...q, sections: [...sections.values()] };
}

export async function findCurrentQuestionnaireId(db: Executor): Promise<string | undefined> {
  const row = await db.selectFrom('questionnaires').select('id').where('isCurrent', '=', true).executeTakeFirst();
  return row?.id;
}
