/**
 * Routing a checklist: which agencies a set of answers flags. Pure.
 * Each distinct agency flagged by at least one "yes" gets ONE referral listing every question
 * that flagged it, in questionnaire order.
 */
export interface RoutableQuestion {
  id: string;
  agencyId: string;
}

export interface RoutedReferral {
  agencyId: string;
  questionIds: string[];
}

export interface AnswerProblem {
  path: string;
  message: string;
}

/** Every question answered, nothing unknown; returns the problems, empty when valid. */
export function checkAnswers(questions: readonly RoutableQuestion[], answers: Record<string, boolean>): AnswerProblem[] {
  const known = new Set(questions.map((q) => q.id));
  const problems: AnswerProblem[] = [];
  for (const q of questions) {
    if (!(q.id in answers)) problems.push({ path: `answers.${q.id}`, message: 'this question must be answered' });
  }
  for (const id of Object.keys(answers)) {
    if (!known.has(id)) problems.push({ path: `answers.${id}`, message: 'not a question of this questionnaire' });
  }
  return problems;
}

/** The referrals a valid set of answers makes, ordered by each agency's first flagged question. */
export function routeAnswers(questions: readonly RoutableQuestion[], answers: Record<string, boolean>): RoutedReferral[] {
  const byAgency = new Map<string, string[]>();
  for (const q of questions) {
    if (answers[q.id] !== true) continue;
    const list = byAgency.get(q.agencyId);
    if (list) list.push(q.id);
    else byAgency.set(q.agencyId, [q.id]);
  }
  return [...byAgency].map(([agencyId, questionIds]) => ({ agencyId, questionIds }));
}
