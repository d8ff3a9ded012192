/**
 * Factories: valid rows with unique defaults, so that a test states only what it is about.
 */
import { randomBytes } from 'node:crypto';
import type { Role } from '../../src/kernel/principal.js';
import { seedDemo, SEED_QUESTIONNAIRE_ID } from '../../src/cli/seed.js';
import { findQuestionnaire } from '../../src/modules/questionnaires/questionnaire.repository.js';
import { type QuestionnaireView } from '../../src/kernel/questionnaire.js';
import { createUserWithToken } from '../../src/modules/accounts/user.service.js';
import type { ServiceDeps } from '../../src/platform/deps.js';
import { randomDateOfBirth, uniqueLetters } from './people.js';

const uniq = () => randomBytes(4).toString('hex');

export interface TestUser {
  id: string;
  token: string;
  role: Role;
  agencyId: string | null;
  name: string;
}

export async function makeUser(deps: Pick<ServiceDeps, 'db' | 'clock' | 'ids'>, role: Role, agencyId?: string): Promise<TestUser> {
  const name = `${role} ${uniq()}`;
  const u = await createUserWithToken(deps, { role, name, email: `${role}-${uniq()}@example.org`, agencyId: agencyId ?? null });
  return { id: u.id, token: u.token, role, agencyId: agencyId ?? null, name };
}

/** The demo checklist (17 agencies, 18 questions), published as current. */
export async function seedChecklist(deps: Pick<ServiceDeps, 'db' | 'clock'>): Promise<QuestionnaireView & { questions: QuestionnaireView['sections'][number]['questions'] }> {
  await seedDemo(deps.db, deps.clock.now());
  const q = (await findQuestionnaire(deps.db, SEED_QUESTIONNAIRE_ID))!;
  return { ...q, questions: q.sections.flatMap((s) => s.questions) };
}

/** A valid submission body answering "yes" to the given question ids and "no" to the rest, for a new person each time. */
export function submissionBody(q: { id: string; questions: { id: string }[] }, yes: string[] = [], over: Record<string, unknown> = {}) {
  return {
    questionnaireId: q.id,
    person: {
      givenName: 'Ada',
      familyName: `Test-${uniqueLetters()}`,
      dateOfBirth: randomDateOfBirth(),
      postcode: 'SE1 7PB',
      phone: '020 7946 0123',
      preferredContact: 'phone',
      ...(over.person as object),
    },
    consent: { given: true, by: 'person', sharingAgreed: true, recordedAt: '2026-01-05T08:55:00Z', ...(over.consent as object) },
    answers: Object.fromEntries(q.questions.map((x) => [x.id, yes.includes(x.id)])),
    ...Object.fromEntries(Object.entries(over).filter(([k]) => k !== 'person' && k !== 'consent')),
  };
}
