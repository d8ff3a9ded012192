/** The checklist as a FHIR Questionnaire: one boolean item per question, grouped by section, each naming the agency a "yes" goes to. */
import type { QuestionnaireView } from '../../kernel/questionnaire.js';
import { FALLBACK_EXTENSION, ROUTES_TO_EXTENSION, SIGNPOST_FHIR, UKCORE } from './fhir-codes.js';

export const questionnaireUrl = (id: string) => `${SIGNPOST_FHIR}/Questionnaire/${id}`;

function status(q: QuestionnaireView): 'draft' | 'active' | 'retired' {
  if (q.status === 'draft') return 'draft';
  return q.status === 'published' && q.isCurrent ? 'active' : 'retired';
}

export function toQuestionnaire(q: QuestionnaireView) {
  return {
    resourceType: 'Questionnaire' as const,
    id: q.id,
    meta: { versionId: String(q.version), ...(q.publishedAt ? { lastUpdated: q.publishedAt.toISOString() } : {}), profile: [UKCORE('Questionnaire')] },
    url: questionnaireUrl(q.id),
    version: String(q.version),
    name: 'SignpostChecklist',
    title: q.title,
    status: status(q),
    subjectType: ['Patient'],
    ...(q.publishedAt ? { date: q.publishedAt.toISOString() } : {}),
    item: q.sections.map((s) => ({
      linkId: s.id,
      text: s.title,
      type: 'group' as const,
      required: true,
      item: s.questions.map((x) => ({
        extension: [
          { url: ROUTES_TO_EXTENSION, valueReference: { reference: `Organization/${x.agencyId}`, display: x.agencyName } },
          ...(x.fallbackAgencyId ? [{ url: FALLBACK_EXTENSION, valueReference: { reference: `Organization/${x.fallbackAgencyId}`, display: x.fallbackAgencyName ?? undefined } }] : []),
        ],
        linkId: x.id,
        text: x.text,
        type: 'boolean' as const,
        required: true,
      })),
    })),
  };
}

/** The questionnaire id a QuestionnaireResponse names: `Questionnaire/{id}`, its canonical URL, either with `|version`. */
export function questionnaireIdOf(reference: unknown): string | undefined {
  if (typeof reference !== 'string') return undefined;
  const m = /(?:^|\/)Questionnaire\/([0-9a-f-]{36})(?:\|[^|]*)?$/i.exec(reference);
  return m?.[1]?.toLowerCase();
}
