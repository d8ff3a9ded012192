/** The person as a FHIR Patient, with only the fields the caller receives (an agency's configured ones; the hub: all). */
import { ACCESS_NEEDS_EXTENSION, NHS_NUMBER_SYSTEM, PREFERRED_CONTACT_EXTENSION, UKCORE } from './fhir-codes.js';

export interface PersonView {
  id: string;
  person: {
    givenName: string | null;
    familyName: string | null;
    dateOfBirth: string | null;
    postcode: string | null;
    phone: string | null;
    email: string | null;
    addressLine: string | null;
    preferredContact: string | null;
    language: string | null;
    accessNeeds: string | null;
    nhsNumber: string | null;
  };
}

export function toPatient({ id, person: p }: PersonView) {
  const extension = [
    ...(p.preferredContact ? [{ url: PREFERRED_CONTACT_EXTENSION, valueCode: p.preferredContact }] : []),
    ...(p.accessNeeds ? [{ url: ACCESS_NEEDS_EXTENSION, valueString: p.accessNeeds }] : []),
  ];
  const telecom = [
    ...(p.phone ? [{ system: 'phone', value: p.phone, use: 'home' }] : []),
    ...(p.email ? [{ system: 'email', value: p.email, use: 'home' }] : []),
  ];
  const address = p.addressLine || p.postcode ? [{ use: 'home', ...(p.addressLine ? { line: p.addressLine.split(/\r?\n/).filter(Boolean) } : {}), ...(p.postcode ? { postalCode: p.postcode } : {}) }] : [];
  return {
    resourceType: 'Patient' as const,
    id,
    meta: { profile: [UKCORE('Patient')] },
    ...(extension.length ? { extension } : {}),
    ...(p.nhsNumber ? { identifier: [{ system: NHS_NUMBER_SYSTEM, value: p.nhsNumber }] } : {}),
    name: [{ use: 'official', ...(p.familyName ? { family: p.familyName } : {}), ...(p.givenName ? { given: [p.givenName] } : {}) }],
    ...(telecom.length ? { telecom } : {}),
    ...(p.dateOfBirth ? { birthDate: p.dateOfBirth } : {}),
    ...(address.length ? { address } : {}),
    ...(p.language ? { communication: [{ language: { text: p.language }, preferred: true }] } : {}),
  };
}
