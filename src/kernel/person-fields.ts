/**
 * Per-agency minimum data: the person's details an agency may be given, besides the person's
 * name (which every agency receives: it is how the agency greets the person). Each agency is
 * configured with the ones it needs (agencies.person_fields; every one by default); its pages,
 * API replies, emailed link and full-content mail show only those. The hub sees everything.
 */
export const PERSON_FIELDS = ['dateOfBirth', 'address', 'postcode', 'phone', 'email', 'preferredContact', 'language', 'accessNeeds', 'nhsNumber'] as const;
export type PersonField = (typeof PERSON_FIELDS)[number];

export const PERSON_FIELD_LABELS: Record<PersonField, string> = {
  dateOfBirth: 'Date of birth',
  address: 'Address',
  postcode: 'Postcode',
  phone: 'Phone number',
  email: 'Email address',
  preferredContact: 'How they prefer to be contacted',
  language: 'Preferred language',
  accessNeeds: 'Access needs',
  nhsNumber: 'NHS number',
};

/** The person's details as one agency may see them: the fields it is not given are null. */
export function minimisePerson<T extends Partial<Record<'dateOfBirth' | 'addressLine' | 'postcode' | 'phone' | 'email' | 'preferredContact' | 'language' | 'accessNeeds' | 'nhsNumber', unknown>>>(
  person: T,
  fields: readonly string[],
): T {
  const keep = new Set(fields);
  const out: Record<string, unknown> = { ...person };
  const column: Record<PersonField, string> = {
    dateOfBirth: 'dateOfBirth',
    address: 'addressLine',
    postcode: 'postcode',
    phone: 'phone',
    email: 'email',
    preferredContact: 'preferredContact',
    language: 'language',
    accessNeeds: 'accessNeeds',
    nhsNumber: 'nhsNumber',
  };
  for (const f of PERSON_FIELDS) if (!keep.has(f) && column[f] in out) out[column[f]] = null;
  return out as T;
}
