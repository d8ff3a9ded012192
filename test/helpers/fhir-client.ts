/**
 * The /fhir tests' vocabulary: a QuestionnaireResponse answering a Questionnaire the API served
 * (the person as a contained Patient, the consent as a contained Consent), and JSON Patch calls.
 */
import type { Api } from './world.js';
import { randomDateOfBirth, randomNhsNumber, uniqueLetters } from './people.js';

export const FHIR_JSON = 'application/fhir+json';
const SP = 'https://signpost.example/fhir';
export const STATUS_SYSTEM = `${SP}/CodeSystem/referral-status`;
export const OUTCOME_SYSTEM = `${SP}/CodeSystem/referral-outcome`;

interface Item {
  linkId: string;
  type: string;
  item?: Item[];
}

/** A completed QuestionnaireResponse: "yes" to the given linkIds, "no" to every other boolean item. */
export function answer(questionnaire: { id: string; item: Item[] }, yes: string[], over: { patient?: Record<string, unknown>; consent?: Record<string, unknown> } = {}) {
  const items = (list: Item[]): unknown[] =>
    list.map((i) => (i.type === 'group' ? { linkId: i.linkId, item: items(i.item ?? []) } : { linkId: i.linkId, answer: [{ valueBoolean: yes.includes(i.linkId) }] }));
  return {
    resourceType: 'QuestionnaireResponse',
    contained: [
      {
        resourceType: 'Patient',
        id: 'patient',
        extension: [{ url: `${SP}/StructureDefinition/preferred-contact`, valueCode: 'phone' }],
        identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: randomNhsNumber() }],
        name: [{ family: `Fhir-${uniqueLetters()}`, given: ['Ada'] }],
        telecom: [{ system: 'phone', value: '020 7946 0123' }],
        birthDate: randomDateOfBirth(),
        address: [{ line: ['7 Loop Lane'], postalCode: 'SE1 7PB' }],
        ...over.patient,
      },
      {
        resourceType: 'Consent',
        id: 'consent',
        status: 'active',
        scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
        patient: { reference: '#patient' },
        dateTime: '2026-01-05T08:55:00Z',
        performer: [{ reference: '#patient' }],
        provision: { type: 'permit' },
        ...over.consent,
      },
    ],
    questionnaire: `${SP}/Questionnaire/${questionnaire.id}`,
    status: 'completed',
    subject: { reference: '#patient' },
    authored: '2026-01-05T09:00:00Z',
    item: items(questionnaire.item),
  };
}

export function fhir(api: Api) {
  return {
    get: (path: string, token?: string) => api.call('GET', path, { token, headers: { accept: FHIR_JSON } }),
    post: (path: string, token: string, body: unknown, headers: Record<string, string> = {}) => api.call('POST', path, { token, body, headers: { 'content-type': FHIR_JSON, ...headers } }),
    patch: (path: string, token: string, ops: unknown, headers: Record<string, string> = {}) =>
      api.call('PATCH', path, { token, body: ops, headers: { 'content-type': 'application/json-patch+json', ...headers } }),
    put: (path: string, token: string, body: unknown, headers: Record<string, string> = {}) => api.call('PUT', path, { token, body, headers: { 'content-type': FHIR_JSON, ...headers } }),
  };
}

/** The JSON Patch that moves a Task to a hub status, with the other elements a step may carry. */
export function moveTo(status: string, extra: { reason?: string; note?: string; outcome?: string } = {}) {
  return [
    { op: 'replace', path: '/businessStatus', value: { coding: [{ system: STATUS_SYSTEM, code: status }] } },
    ...(extra.reason ? [{ op: 'add', path: '/statusReason', value: { text: extra.reason } }] : []),
    ...(extra.note ? [{ op: 'add', path: '/note/-', value: { text: extra.note } }] : []),
    ...(extra.outcome ? [{ op: 'add', path: '/output', value: [{ type: { text: 'outcome' }, valueCodeableConcept: { coding: [{ system: OUTCOME_SYSTEM, code: extra.outcome }] } }] }] : []),
  ];
}

/** The family name of the Patient a QuestionnaireResponse of answer() carries. */
export const familyOf = (qr: ReturnType<typeof answer>) => (qr.contained[0] as { name: { family: string }[] }).name[0]!.family;
