/** Row types for agency capacity (migrations/2026_12_02_1700_capacity.ts), camelCased. */
import type { ColumnType, Generated } from 'kysely';
import type { CapacityStatus } from '../../../kernel/capacity.js';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** `date` columns are read as 'YYYY-MM-DD' strings (see platform/db/kysely.ts type parser). */
type DateOnly = ColumnType<string, string, string>;

export type CapacityVia = 'page' | 'api' | 'mail_link';

/** An agency's latest word on what it can take. No row: never said (accepting, unconfirmed). */
export interface AgencyCapacityTable {
  agencyId: string;
  status: CapacityStatus;
  waitWeeks: number | null;
  closedUntil: DateOnly | null;
  confirmedAt: Timestamp;
  confirmedBy: string | null;
  confirmedByLabel: string;
}

/** Every change and confirmation, append-only. */
export interface AgencyCapacityChangesTable {
  id: Generated<string>;
  agencyId: string;
  at: Timestamp;
  status: CapacityStatus;
  waitWeeks: number | null;
  closedUntil: DateOnly | null;
  confirmedOnly: boolean;
  actorUserId: string | null;
  actorLabel: string;
  via: CapacityVia;
}

export interface FallbackRecord {
  fromAgencyId: string;
  questionIds: string[];
  closedUntil: string;
}

/** What capacity meant for a referral when it was made (written by the intake function). */
export interface ReferralRoutingsTable {
  referralId: string;
  capacity: CapacityStatus;
  waitWeeks: number | null;
  closedUntil: DateOnly | null;
  fallbacks: ColumnType<FallbackRecord[], string, string>;
  note: string;
}

export interface CapacityTables {
  agencyCapacity: AgencyCapacityTable;
  agencyCapacityChanges: AgencyCapacityChangesTable;
  referralRoutings: ReferralRoutingsTable;
}
