/** The kinds of organisation a referrer works for, as the hub's returns group them. */
export const ORGANISATION_TYPES = ['fire_and_rescue', 'police', 'council', 'nhs', 'housing', 'voluntary_sector', 'other'] as const;
export type OrganisationType = (typeof ORGANISATION_TYPES)[number];

export const ORGANISATION_TYPE_LABELS: Record<OrganisationType, string> = {
  fire_and_rescue: 'Fire and rescue',
  police: 'Police',
  council: 'Council',
  nhs: 'NHS',
  housing: 'Housing',
  voluntary_sector: 'Voluntary sector',
  other: 'Other',
};
