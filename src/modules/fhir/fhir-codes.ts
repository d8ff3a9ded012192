/**
 * The words the FHIR API uses: Signpost's own code systems and identifier systems (under one
 * canonical base, https://signpost.example/fhir: `.example` is reserved, so it can never name
 * anyone else's), the UK Core profiles each resource claims, and the standard systems.
 */
import type { ReferralStatus } from '../../kernel/referral-state.js';

export const SIGNPOST_FHIR = 'https://signpost.example/fhir';
export const REFERRAL_STATUS_SYSTEM = `${SIGNPOST_FHIR}/CodeSystem/referral-status`;
export const CHECKLIST_STATUS_SYSTEM = `${SIGNPOST_FHIR}/CodeSystem/checklist-status`;
export const OUTCOME_SYSTEM = `${SIGNPOST_FHIR}/CodeSystem/referral-outcome`;
export const REFERRAL_REFERENCE_SYSTEM = `${SIGNPOST_FHIR}/Id/referral-reference`;
export const CHECKLIST_REFERENCE_SYSTEM = `${SIGNPOST_FHIR}/Id/checklist-reference`;
/** On a Questionnaire item: the agency a "yes" goes to, and where it goes while that one is closed. */
export const ROUTES_TO_EXTENSION = `${SIGNPOST_FHIR}/StructureDefinition/routes-to-agency`;
export const FALLBACK_EXTENSION = `${SIGNPOST_FHIR}/StructureDefinition/fallback-agency`;
/** On a contained Patient: how the person wants to be contacted (phone, email, post, visit). */
export const PREFERRED_CONTACT_EXTENSION = `${SIGNPOST_FHIR}/StructureDefinition/preferred-contact`;
export const ACCESS_NEEDS_EXTENSION = `${SIGNPOST_FHIR}/StructureDefinition/access-needs`;
/** On a Task: the day an on-hold referral is picked up again. */
export const ON_HOLD_UNTIL_EXTENSION = `${SIGNPOST_FHIR}/StructureDefinition/on-hold-until`;

export const SNOMED = 'http://snomed.info/sct';
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const UKCORE = (name: string) => `https://fhir.hl7.org.uk/StructureDefinition/UKCore-${name}`;

/** The hub's statuses as words a person reads (businessStatus.coding.display). */
export const STATUS_DISPLAY: Record<ReferralStatus, string> = {
  pending: 'Waiting to be sent to the agency',
  forward_failed: 'Could not be sent to the agency',
  forwarded: 'Sent to the agency',
  acknowledged: 'Acknowledged by the agency',
  accepted: 'Accepted by the agency',
  contacted: 'The agency has contacted the person',
  on_hold: 'On hold',
  completed: 'Completed',
  unable_to_contact: 'The agency could not contact the person',
  declined: 'Declined',
  rejected: 'Rejected by the agency',
  rerouted: 'Re-routed to another agency',
  cancelled: 'Cancelled',
};

/**
 * A Task.status an agency may set without a businessStatus, and the hub status it means (the
 * FHIR statuses that stand for several of the hub's, such as `requested`, need businessStatus).
 */
export const HUB_STATUS_OF_TASK_STATUS: Partial<Record<string, ReferralStatus>> = {
  accepted: 'accepted',
  'in-progress': 'contacted',
  'on-hold': 'on_hold',
  completed: 'completed',
  failed: 'unable_to_contact',
  rejected: 'rejected',
  cancelled: 'declined',
};
