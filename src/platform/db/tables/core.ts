/** Row types for the core tables (migrations/2026_11_23_1100_core.ts), camelCased. */
import type { ColumnType, Generated } from 'kysely';
import type { PersonField } from '../../../kernel/person-fields.js';
import type { ClockKind } from '../../../kernel/working-days.js';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** `date` columns are read as 'YYYY-MM-DD' strings (see platform/db/kysely.ts type parser). */
type DateOnly = ColumnType<string, string, string>;
type Json<T> = ColumnType<T, string, string>;

import type { Role } from '../../../kernel/principal.js';
export type { Role };
export type AgencyStatus = 'active' | 'paused';
export type PreferredContact = 'phone' | 'email' | 'post' | 'visit';

export type SubmissionStatus = 'open' | 'no_needs_identified' | 'closed';

export interface AgenciesTable {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  status: Generated<AgencyStatus>;
  contactDays: Generated<number>;
  /** contact days counted as calendar or working days (2026_12_02_1600) */
  contactClock: Generated<ClockKind>;
  /** the person's details this agency receives, besides the name (2026_12_02_1120) */
  personFields: Generated<PersonField[]>;
  /** signed into the agency's capacity links; raised to stop them (2026_12_07_1400) */
  capacityLinkGeneration: Generated<number>;
  /** when a coordinator last stopped them */
  capacityLinksRevokedAt: Timestamp | null;
  /** the service's id in a council's Open Referral UK directory, by which directory:import finds it (2026_12_08_1300) */
  orukId: string | null;
  /** the public description an ORUK import gave it, published at /oruk */
  description: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface UsersTable {
  id: string;
  name: string;
  email: string;
  role: Role;
  agencyId: string | null;
  /** a link worker's organisation (2026_12_02_1410) */
  organisationId: Generated<string | null>;
  passwordHash: string | null;
  failedLogins: Generated<number>;
  lockedUntil: Timestamp | null;
  disabledAt: Timestamp | null;
  createdAt: Timestamp;
}

export interface ApiTokensTable {
  id: string;
  userId: string;
  tokenHash: Buffer;
  label: Generated<string>;
  createdAt: Timestamp;
  revokedAt: Timestamp | null;
  /** none: the token lasts until revoked (2026_12_07_2200) */
  expiresAt: Timestamp | null;
  /** when the token check last read it from Postgres: accurate to AUTH_CACHE_TTL_MS (2026_12_07_2200) */
  lastUsedAt: Timestamp | null;
}

export interface QuestionnairesTable {
  id: string;
  version: number;
  title: string;
  status: 'draft' | 'published' | 'retired';
  isCurrent: Generated<boolean>;
  createdAt: Timestamp;
  publishedAt: Timestamp | null;
}

export interface QuestionnaireSectionsTable {
  id: string;
  questionnaireId: string;
  position: number;
  title: string;
}

export interface QuestionsTable {
  id: string;
  questionnaireId: string;
  sectionId: string;
  position: number;
  text: string;
  agencyId: string;
  /** where a "yes" goes while agencyId is closed (2026_12_02_1700) */
  fallbackAgencyId: Generated<string | null>;
}

/** The details a checklist gives about a person: on people (the latest) and person_versions (each). */
export interface PersonDetailColumns {
  givenName: string | null;
  familyName: string | null;
  dateOfBirth: DateOnly | null;
  postcode: string | null;
  phone: string | null;
  email: string | null;
  addressLine: string | null;
  preferredContact: PreferredContact | null;
  language: string | null;
  accessNeeds: string | null;
  nhsNumber: string | null;
}

/**
 * A person, one record across all their checklists (2026_12_02_1100). Names, date of birth,
 * postcode and contact preference are null only once the person's data has been erased.
 */
export interface PeopleTable extends PersonDetailColumns {
  id: string;
  normGiven: string | null;
  normFamily: string | null;
  normPostcode: string | null;
  mergedInto: string | null;
  mergedAt: Timestamp | null;
  mergedBy: string | null;
  /** when the person's last open checklist closed; null while one is open (retention counts from it) */
  inactiveSince: Timestamp | null;
  legalHoldReason: string | null;
  legalHoldAt: Timestamp | null;
  legalHoldBy: string | null;
  erasedAt: Timestamp | null;
  erasureReason: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface Consent {
  given: boolean;
  by: 'person' | 'representative';
  representativeName?: string | undefined;
  representativeRelationship?: string | undefined;
  sharingAgreed: boolean;
  recordedAt: string;
}

export interface SubmissionsTable {
  id: string;
  reference: string;
  questionnaireId: string;
  personId: string;
  submittedBy: string;
  /** the submitter's organisation when it arrived (a trigger sets it: 2026_12_02_1410) */
  organisationId: Generated<string | null>;
  answers: Json<Record<string, boolean>>;
  consent: Json<Consent>;
  status: SubmissionStatus;
  receivedAt: Timestamp;
  closedAt: Timestamp | null;
  /** at referral, kept after erasure (2026_12_02_1100) */
  ageBand: string | null;
  postcodeDistrict: string | null;
  /** how it came in, who referred it when the hub keyed it in, when it was keyed in (2026_12_02_1800) */
  channel: Generated<'web' | 'api' | 'paper' | 'phone' | 'self_referral'>;
  referrerName: Generated<string | null>;
  referrerOrganisationText: Generated<string | null>;
  enteredAt: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** the id of the transaction that wrote it (xid8, as text): what the person search's name indexer reads by (2026_12_09_1000) */
  writtenXid: Generated<string>;
}

export interface ReferralsTable {
  id: string;
  reference: string;
  submissionId: string;
  agencyId: string;
  questionIds: string[];
  status: string;
  receivedAt: Timestamp;
  /** T1, the hub's promise (src/kernel/promise.ts), stored when the referral is made */
  forwardDueAt: Timestamp;
  forwardedAt: Timestamp | null;
  /** T2, the agency's contact deadline: the promise, stored when the referral is made; it runs once forwarded */
  contactDueAt: Timestamp | null;
  /** the day a closed agency reopens, when the referral waits for it (its clocks count from then) */
  heldUntil: DateOnly | null;
  contactedAt: Timestamp | null;
  followUpDueAt: Timestamp | null;
  followedUpAt: Timestamp | null;
  closedAt: Timestamp | null;
  outcome: string | null;
  onHoldUntil: DateOnly | null;
  forwardAttempts: Generated<number>;
  forwardMessageId: string | null;
  lastForwardError: string | null;
  reroutedFromId: string | null;
  reroutedToId: string | null;
  updatedAt: Timestamp;
}

export interface ReferralEventsTable {
  id: Generated<string>;
  referralId: string;
  at: Timestamp;
  actorUserId: string | null;
  actorLabel: string;
  fromStatus: string | null;
  toStatus: string;
  reason: string | null;
  outcome: string | null;
  note: string | null;
}

export interface IdempotencyKeysTable {
  userId: string;
  key: string;
  fingerprint: string;
  responseStatus: number;
  responseBody: Json<unknown>;
  createdAt: Timestamp;
  expiresAt: Timestamp;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  actorUserId: string | null;
  actorLabel: string;
  action: string;
  entity: string;
  entityId: string;
  requestId: string | null;
  /** the person the row is about, when it is about one (2026_12_02_1110) */
  personId: string | null;
  /** the row's place in the hash chain, and the chain's hashes: null until sealed */
  seq: string | null;
  prevHash: Buffer | null;
  hash: Buffer | null;
}

/** The audit chain's head as the workers verified it, once a day (2026_12_07_1200): append-only. */
export interface AuditCheckpointsTable {
  id: Generated<string>;
  /** the head's place in the chain, which is also the number of sealed rows up to it */
  seq: string;
  hash: Buffer;
  takenAt: Timestamp;
}

export interface CoreTables {
  agencies: AgenciesTable;
  users: UsersTable;
  apiTokens: ApiTokensTable;
  questionnaires: QuestionnairesTable;
  questionnaireSections: QuestionnaireSectionsTable;
  questions: QuestionsTable;
  people: PeopleTable;
  submissions: SubmissionsTable;
  referrals: ReferralsTable;
  referralEvents: ReferralEventsTable;
  idempotencyKeys: IdempotencyKeysTable;
  auditLog: AuditLogTable;
  auditCheckpoints: AuditCheckpointsTable;
}
