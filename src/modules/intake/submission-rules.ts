/**
 * The rules a checklist must meet before anything is stored, beyond its shape (the zod schema
 * checks that). Pure: each returns the problems, empty when the checklist passes.
 */
import { checkAnswers, type AnswerProblem, type RoutableQuestion } from './routing.js';

const MAX_AGE_YEARS = 130;

/** A date of birth (YYYY-MM-DD) in the past and within the last 130 years. */
export function checkDateOfBirth(dob: string, today: Date): AnswerProblem[] {
  const d = new Date(`${dob}T00:00:00Z`);
  const earliest = new Date(today);
  earliest.setUTCFullYear(earliest.getUTCFullYear() - MAX_AGE_YEARS);
  if (d.getTime() > today.getTime()) return [{ path: 'person.dateOfBirth', message: 'must not be in the future' }];
  if (d < earliest) return [{ path: 'person.dateOfBirth', message: `must be within the last ${MAX_AGE_YEARS} years` }];
  return [];
}

/** Consent to the referral AND to sharing with the agencies: without both, nothing is stored. */
export function consentProblems(consent: { given: boolean; sharingAgreed: boolean }): AnswerProblem[] {
  return [
    ...(consent.given ? [] : [{ path: 'consent.given', message: 'must be true' }]),
    ...(consent.sharingAgreed ? [] : [{ path: 'consent.sharingAgreed', message: 'must be true' }]),
  ];
}

/** Everything about a well-formed checklist that depends on its questionnaire and the date. */
export function checklistProblems(
  body: { person: { dateOfBirth: string }; answers: Record<string, boolean> },
  questions: readonly RoutableQuestion[],
  today: Date,
): AnswerProblem[] {
  return [...checkDateOfBirth(body.person.dateOfBirth, today), ...checkAnswers(questions, body.answers)];
}
