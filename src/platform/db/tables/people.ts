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

/**
 * The normalised names of each live person, for the search's trigram match
 * (2026_12_09_1000_person_search_names): filled after the intake by the name indexer, emptied of
 * a person by erasure and by a merge.
 */
export interface PersonSearchNamesTable {
  personId: string;
  normGiven: string | null;
  normFamily: string | null;
}

/** One row: the oldest transaction id whose submissions the name indexer may not have read yet. */
export interface PersonSearchProgressTable {
  onlyRow: Generated<boolean>;
  /** xid8, as text */
  readFromXid: string;
}

export interface PeopleTables {
  personVersions: PersonVersionsTable;
  personMatchFlags: PersonMatchFlagsTable;
  consents: ConsentsTable;
  consentWithdrawals: ConsentWithdrawalsTable;
  referralRepeats: ReferralRepeatsTable;
  personSearchNames: PersonSearchNamesTable;
  personSearchProgress: PersonSearchProgressTable;
}
