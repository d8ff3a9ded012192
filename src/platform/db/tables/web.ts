/** Row types for the web tables (migrations/2026_11_23_1200_web.ts), camelCased. */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface WebSessionsTable {
  idHash: Buffer;
  userId: string;
  csrfToken: string;
  createdAt: Timestamp;
  lastSeenAt: Timestamp;
  expiresAt: Timestamp;
}

export interface AgencyLinksTable {
  id: string;
  tokenHash: Buffer;
  referralId: string;
  agencyId: string;
  createdAt: Timestamp;
  expiresAt: Timestamp;
  revokedAt: Timestamp | null;
  lastUsedAt: Timestamp | null;
  useCount: Generated<number>;
}

export interface WebTables {
  webSessions: WebSessionsTable;
  agencyLinks: AgencyLinksTable;
}
