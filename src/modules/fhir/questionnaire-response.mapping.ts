/**
 * A checklist as the QuestionnaireResponse the API answers with: the create's reply and the read
 * (GET /fhir/QuestionnaireResponse/{id}) are this one mapping, so a client that follows the
 * create's Location gets the same resource (the read names the person as the hub holds them now,
 * which differs only where the checklist's person was matched to a record of other spelling, or
 * edited since). It is not the request echoed back: the answers (for the hub alone) grouped as the Questionnaire groups them, the consent
 * as a contained Consent, and the person as a contained Patient with only what the JSON API's read
 * of a submission shows its submitter (the name and how they want to be contacted); the person's
 * full details are the Patient read's, for the agencies and the hub (docs/fhir.md).
 */
import type { QuestionnaireView } from '../../kernel/questionnaire.js';
import { CHECKLIST_REFERENCE_SYSTEM, PREFERRED_CONTACT_EXTENSION } from './fhir-codes.js';
import { questionnaireUrl } from './questionnaire.mapping.js';

/** What the mapping needs of a checklist: from the intake's reply to a create, or from its read. */
export interface ChecklistResponseView {
  id: string;
  reference: string;
  questionnaireId: string;
  receivedAt: Date | string;
  person: { givenName: string | null; familyName: string | null; preferredContact: string | null };
  consent: { given: boolean; by: 'person' | 'representative'; representativeName?: string | null | undefined; sharingAgreed: boolean; recordedAt: string };
  answers: Record<string, boolean>;
}

const PATIENT = 'patient';
const iso = (d: Date | string) => new Date(d).toISOString();

function itemsOf(answers: Record<string, boolean>, questionnaire: QuestionnaireView | undefined) {
  const answer = (linkId: string, text?: string) => ({ linkId, ...(text ? { text } : {}), answer: [{ valueBoolean: answers[linkId]! }] });
  if (!questionnaire) return Object.keys(answers).map((id) => answer(id));
  return questionnaire.sections
    .map((s) => ({ linkId: s.id, text: s.title, item: s.questions.filter((q) => q.id in answers).map((q) => answer(q.id, q.text)) }))
    .filter((s) => s.item.length > 0);
}

/**
 * `withAnswers`: the hub's view. A link worker reads back the name, the contact preference and
 * the consent of a checklist they sent, never its answers (health, money, drink and drugs: the
 * rule of GET /api/v1/submissions/{id}, docs/data-protection.md section 4), so theirs has no `item`.
 */
export function toQuestionnaireResponse(c: ChecklistResponseView, questionnaire: QuestionnaireView | undefined, withAnswers: boolean) {
  const { givenName, familyName, preferredContact } = c.person;
  const name = givenName || familyName ? [{ ...(familyName ? { family: familyName } : {}), ...(givenName ? { given: [givenName] } : {}) }] : undefined;
  const representative = c.consent.representativeName;
  return {
    resourceType: 'QuestionnaireResponse' as const,
    id: c.id,
    meta: { versionId: '1', lastUpdated: iso(c.receivedAt) },
    contained: [
      {
        resourceType: 'Patient' as const,
        id: PATIENT,
        ...(preferredContact ? { extension: [{ url: PREFERRED_CONTACT_EXTENSION, valueCode: preferredContact }] } : {}),
        ...(name ? { name } : {}),
      },
      {
        resourceType: 'Consent' as const,
        id: 'consent',
        status: c.consent.given ? 'active' : 'rejected',
        scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
        patient: { reference: `#${PATIENT}` },
        dateTime: iso(c.consent.recordedAt),
        // the person's own consent names the Patient; a representative's names them (erased after retention)
        performer: [c.consent.by === 'person' ? { reference: `#${PATIENT}` } : { display: representative || 'A representative' }],
        provision: { type: c.consent.sharingAgreed ? 'permit' : 'deny' },
      },
    ],
    identifier: { system: CHECKLIST_REFERENCE_SYSTEM, value: c.reference },
    questionnaire: questionnaireUrl(c.questionnaireId),
    status: 'completed' as const,
    subject: { reference: `#${PATIENT}` },
    authored: iso(c.receivedAt),
    ...(withAnswers ? { item: itemsOf(c.answers, questionnaire) } : {}),
  };
}
