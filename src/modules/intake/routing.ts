/**
 * Routing a checklist: which agencies a set of answers flags. Pure.
 * Each distinct agency flagged by at least one "yes" gets ONE referral listing every question
 * that flagged it, in questionnaire order. A question whose agency is closed goes to its
 * fallback agency, unless it has none or that one is closed too: then it stays with its own
 * agency, and the referral waits (as a paused agency's does) until the agency reopens.
 */
export interface RoutableQuestion {
  id: string;
  agencyId: string;
  /** where a "yes" goes while agencyId is closed */
  fallbackAgencyId?: string | null | undefined;
}

/** Questions of a closed agency routed to this referral's agency instead. */
export interface FallbackUse {
  fromAgencyId: string;
  questionIds: string[];
  /** the day the closed agency reopens ('YYYY-MM-DD') */
  closedUntil: string;
}

/** Questions of a closed agency that stay with it, and why. */
export interface HeldQuestion {
  questionId: string;
  reason: 'no_fallback' | 'fallback_closed';
}

export interface RoutedReferral {
  agencyId: string;
  questionIds: string[];
  /** present when a closed agency's questions were routed here */
  fallbackFor?: FallbackUse[];
  /** present when this referral's own agency is closed and it waits */
  held?: HeldQuestion[];
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

/**
 * The referrals a valid set of answers makes, ordered by each agency's first flagged question.
 * `closed` maps each agency closed now to the day it reopens.
 */
export function routeAnswers(
  questions: readonly RoutableQuestion[],
  answers: Record<string, boolean>,
  closed: ReadonlyMap<string, string> = new Map(),
): RoutedReferral[] {
  const byAgency = new Map<string, RoutedReferral>();
  const referralFor = (agencyId: string) => {
    let r = byAgency.get(agencyId);
    if (!r) byAgency.set(agencyId, (r = { agencyId, questionIds: [] }));
    return r;
  };
  for (const q of questions) {
    if (answers[q.id] !== true) continue;
    const until = closed.get(q.agencyId);
    if (until === undefined) {
      referralFor(q.agencyId).questionIds.push(q.id);
      continue;
    }
    const fallback = q.fallbackAgencyId ?? null;
    if (fallback !== null && fallback !== q.agencyId && !closed.has(fallback)) {
      const r = referralFor(fallback);
      r.questionIds.push(q.id);
      const uses = (r.fallbackFor ??= []);
      const use = uses.find((u) => u.fromAgencyId === q.agencyId);
      if (use) use.questionIds.push(q.id);
      else uses.push({ fromAgencyId: q.agencyId, questionIds: [q.id], closedUntil: until });
      continue;
    }
    const r = referralFor(q.agencyId);
    r.questionIds.push(q.id);
    (r.held ??= []).push({ questionId: q.id, reason: fallback === null ? 'no_fallback' : 'fallback_closed' });
  }
  return [...byAgency.values()];
}

/** The agencies whose capacity a routing of these answers depends on: each "yes" question's agency and fallback. */
export function agenciesConsulted(questions: readonly RoutableQuestion[], answers: Record<string, boolean>): string[] {
  const ids = new Set<string>();
  for (const q of questions) {
    if (answers[q.id] !== true) continue;
    ids.add(q.agencyId);
    if (q.fallbackAgencyId) ids.add(q.fallbackAgencyId);
  }
  return [...ids];
}
