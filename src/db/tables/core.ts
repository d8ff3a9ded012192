/** Row types for the core tables (migrations/2026_11_23_1100_core.ts), camelCased. */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** `date` columns are read as 'YYYY-MM-DD' strings (see db/kysely.ts type parser). */
type DateOnly = ColumnType<string, string, string>;
type Json<T> = ColumnType<T, string, string>;

export type Role = 'link_worker' | 'agency' | 'coordinator' | 'admin';
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
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface UsersTable {
  id: string;
  name: string;
  email: string;
  role: Role;
  agencyId: string | null;
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
}

export interface PeopleTable {
  id: string;
  givenName: string;
  familyName: string;
  dateOfBirth: DateOnly;
  postcode: string;
  phone: string | null;
  email: string | null;
  addressLine: string | null;
  preferredContact: PreferredContact;
  language: string | null;
  accessNeeds: string | null;
  createdAt: Timestamp;
}

export interface Consent {
  given: boolean;
  by: 'person' | 'representative';
  representativeName?: string | undefined;
  sharingAgreed: boolean;
  recordedAt: string;
}

export interface SubmissionsTable {
  id: string;
  reference: string;
  questionnaireId: string;
  personId: string;
  submittedBy: string;
  answers: Json<Record<string, boolean>>;
  consent: Json<Consent>;
  status: SubmissionStatus;
  receivedAt: Timestamp;
  closedAt: Timestamp | null;
}

export interface ReferralsTable {
  id: string;
  reference: string;
  submissionId: string;
  agencyId: string;
  questionIds: string[];
  status: string;
  receivedAt: Timestamp;
  forwardDueAt: Timestamp;
  forwardedAt: Timestamp | null;
  contactDueAt: Timestamp | null;
  /** the day (London) the person was told the agency would contact them by (2026_12_02_1000) */
  contactPromisedOn: DateOnly | null;
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
}
