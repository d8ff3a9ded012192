/**
 * A completed checklist from another system, as a QuestionnaireResponse, read into the intake's
 * own body (the same validation, consent, matching and idempotency as POST /api/v1/submissions).
 * The person comes as a contained Patient (QuestionnaireResponse.subject `#id`), the consent as
 * a contained Consent whose `patient` is that Patient:
 *  - Consent.status `active` is consent given; provision.type `permit` is sharing agreed;
 *  - a performer that is the Patient is the person's own consent; otherwise the performer's
 *    `display` is the representative (and an extension-free `relationship` is not asked);
 *  - each answered boolean item (at any depth) is an answer, keyed by its linkId.
 * What is missing is left out here, so the intake's rules name it; `expressionOf` says each of
 * their paths as a FHIRPath expression into the request.
 */
import { badRequest } from '../../kernel/errors.js';
import { ACCESS_NEEDS_EXTENSION, NHS_NUMBER_SYSTEM, PREFERRED_CONTACT_EXTENSION } from './fhir-codes.js';
import { questionnaireIdOf } from './questionnaire.mapping.js';
import type { ExpressionOf } from './fhir-http.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function extensionValue(resource: Json, url: string, key: 'valueCode' | 'valueString'): string | undefined {
  return str(obj(arr(resource.extension).find((e) => obj(e).url === url))[key]);
}

function containedIndex(qr: Json, reference: unknown, type: string): number {
  const contained = arr(qr.contained).map(obj);
  const ref = str(obj(reference).reference);
  return contained.findIndex((c) => c.resourceType === type && (ref === undefined || ref === `#${String(c.id)}`));
}

function answersOf(items: unknown[], into: Record<string, unknown>, depth = 0): void {
  if (depth > 4) return;
  for (const raw of items) {
    const item = obj(raw);
    const answer = obj(arr(item.answer)[0]);
    if (typeof item.linkId === 'string' && 'valueBoolean' in answer) into[item.linkId] = answer.valueBoolean;
    answersOf(arr(item.item), into, depth + 1);
    answersOf(arr(answer.item), into, depth + 1);
  }
}

export interface MappedSubmission {
  body: Json;
  expressionOf: ExpressionOf;
}

export function submissionFromResponse(input: unknown): MappedSubmission {
  const qr = obj(input);
  if (qr.resourceType !== 'QuestionnaireResponse') {
    throw badRequest('the body must be a QuestionnaireResponse', [{ path: 'QuestionnaireResponse.resourceType', message: 'must be QuestionnaireResponse' }]);
  }
  if (qr.status !== 'completed') throw badRequest('only a completed checklist is taken', [{ path: 'QuestionnaireResponse.status', message: 'must be completed' }]);
  const pi = containedIndex(qr, qr.subject, 'Patient');
  const patient = pi >= 0 ? obj(arr(qr.contained)[pi]) : {};
  const ci = arr(qr.contained).findIndex((c) => obj(c).resourceType === 'Consent');
  const consent = ci >= 0 ? obj(arr(qr.contained)[ci]) : {};
  const name = obj(arr(patient.name)[0]);
  const address = obj(arr(patient.address)[0]);
  const telecom = (system: string) => str(obj(arr(patient.telecom).find((t) => obj(t).system === system)).value);
  const nhs = str(obj(arr(patient.identifier).find((i) => obj(i).system === NHS_NUMBER_SYSTEM)).value);
  const language = obj(obj(arr(patient.communication)[0]).language);
  const performer = obj(arr(consent.performer)[0]);
  const byPerson = performer.reference !== undefined && (performer.reference === str(obj(qr.subject).reference) || performer.reference === `#${String(patient.id)}`);
  const answers: Record<string, unknown> = {};
  answersOf(arr(qr.item), answers);
  const line = arr(address.line).filter((l): l is string => typeof l === 'string');
  const body: Json = {
    questionnaireId: questionnaireIdOf(qr.questionnaire) ?? str(qr.questionnaire) ?? '',
    person: {
      givenName: arr(name.given).filter((g) => typeof g === 'string').join(' ') || undefined,
      familyName: str(name.family),
      dateOfBirth: str(patient.birthDate),
      postcode: str(address.postalCode),
      phone: telecom('phone'),
      email: telecom('email'),
      addressLine: line.length ? line.join(', ') : undefined,
      preferredContact: extensionValue(patient, PREFERRED_CONTACT_EXTENSION, 'valueCode'),
      language: str(language.text) ?? str(obj(arr(language.coding)[0]).display),
      accessNeeds: extensionValue(patient, ACCESS_NEEDS_EXTENSION, 'valueString'),
      nhsNumber: nhs,
    },
    consent: {
      given: consent.status === 'active',
      by: byPerson ? 'person' : 'representative',
      representativeName: byPerson ? undefined : str(performer.display),
      sharingAgreed: obj(consent.provision).type === 'permit',
      recordedAt: str(consent.dateTime),
    },
    answers,
  };
  return { body, expressionOf: expressionFor(pi, ci) };
}

const PATIENT_PATHS: Record<string, string> = {
  givenName: 'name[0].given',
  familyName: 'name[0].family',
  dateOfBirth: 'birthDate',
  postcode: 'address[0].postalCode',
  phone: "telecom.where(system='phone').value",
  email: "telecom.where(system='email').value",
  addressLine: 'address[0].line',
  preferredContact: `extension('${PREFERRED_CONTACT_EXTENSION}').value`,
  language: 'communication[0].language',
  accessNeeds: `extension('${ACCESS_NEEDS_EXTENSION}').value`,
  nhsNumber: `identifier.where(system='${NHS_NUMBER_SYSTEM}').value`,
};
const CONSENT_PATHS: Record<string, string> = {
  given: 'status',
  by: 'performer',
  representativeName: 'performer[0].display',
  sharingAgreed: 'provision.type',
  recordedAt: 'dateTime',
};

function expressionFor(pi: number, ci: number): ExpressionOf {
  const patient = pi >= 0 ? `QuestionnaireResponse.contained[${pi}]` : 'QuestionnaireResponse.contained.ofType(Patient)';
  const consent = ci >= 0 ? `QuestionnaireResponse.contained[${ci}]` : 'QuestionnaireResponse.contained.ofType(Consent)';
  return (path) => {
    const [head, field, ...rest] = path.split('.');
    if (head === 'person') return field && PATIENT_PATHS[field] ? `${patient}.${PATIENT_PATHS[field]}` : patient;
    if (head === 'consent') return field && CONSENT_PATHS[field] ? `${consent}.${CONSENT_PATHS[field]}` : consent;
    if (head === 'answers') return field ? `QuestionnaireResponse.item.descendants().where(linkId='${[field, ...rest].join('.')}')` : 'QuestionnaireResponse.item';
    if (head === 'questionnaireId') return 'QuestionnaireResponse.questionnaire';
    if (head === 'Idempotency-Key' || head === 'If-None-Exist') return head;
    return `QuestionnaireResponse.${path}`;
  };
}
