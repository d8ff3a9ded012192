/** Row types for the person's records (migrations/2026_12_02_1100_one_person.ts), camelCased. */
import type { ColumnType, Generated } from 'kysely';
import type { PersonDetailColumns } from './core.js';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** The person's details as given on one checklist (the people row holds the latest). */
export interface PersonVersionsTable extends PersonDetailColumns {
  id: string;
  personId: string;
  submissionId: string | null;
  recordedAt: Timestamp;
}

export type MatchFlagStatus = 'open' | 'merged' | 'dismissed';

export interface PersonMatchFlagsTable {
  id: string;
  /** the newer record */
  personId: string;
  /** the existing record it may be the same person as */
  candidateId: string;
  reason: string;
  status: Generated<MatchFlagStatus>;
  createdAt: Timestamp;
  resolvedAt: Timestamp | null;
  resolvedBy: string | null;
}

export interface ConsentsTable {
  id: string;
  personId: string;
  submissionId: string | null;
  givenBy: 'person' | 'representative';
  representativeName: string | null;
  representativeRelationship: string | null;
  sharingAgreed: boolean;
  /** the agencies the person agreed their details may be shared with */
  agencyIds: string[];
  givenAt: Timestamp;
  recordedBy: string;
  createdAt: Timestamp;
}

export interface ConsentWithdrawalsTable {
  id: string;
  personId: string;
  /** null: every agency */
  agencyIds: string[] | null;
  reason: string | null;
  withdrawnAt: Timestamp;
  recordedBy: string;
  createdAt: Timestamp;
  cancelledReferralIds: string[];
}

/** A "yes" for an agency that already had a live referral for the person. */
export interface ReferralRepeatsTable {
  submissionId: string;
  referralId: string;
  questionIds: string[];
  at: Timestamp;
}

export interface PeopleTables {
  personVersions: PersonVersionsTable;
  personMatchFlags: PersonMatchFlagsTable;
  consents: ConsentsTable;
  consentWithdrawals: ConsentWithdrawalsTable;
  referralRepeats: ReferralRepeatsTable;
}
