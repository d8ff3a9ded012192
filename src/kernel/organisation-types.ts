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

/**
 * A self-referral in the reports and the referrals CSV: the person referred themselves (the public
 * self-referral page), so no organisation did. It counts as a referrer of its own beside the
 * organisation types, never with the checklists whose organisation was not recorded. Not a type
 * an organisation can have.
 */
export const SELF_REFERRAL_TYPE = 'self_referral';
export const SELF_REFERRAL_LABEL = 'Self-referral';
