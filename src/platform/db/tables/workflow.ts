/** Row types for the workflow tables (migrations/2026_11_23_1110_workflow.ts), camelCased. */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export type SlaClock = 'forward' | 'contact' | 'follow_up';
export type NeedsMet = 'yes' | 'partly' | 'no' | 'not_yet';

export interface FollowUpsTable {
  id: string;
  submissionId: string;
  dueAt: Timestamp;
  status: Generated<'scheduled' | 'completed' | 'cancelled'>;
  contactMade: boolean | null;
  note: string | null;
  completedAt: Timestamp | null;
  completedBy: string | null;
  createdAt: Timestamp;
}

export interface FollowUpAttemptsTable {
  id: string;
  followUpId: string;
  at: Timestamp;
  byUserId: string;
  contactMade: boolean;
  note: string | null;
}

export interface FollowUpOutcomesTable {
  followUpId: string;
  referralId: string;
  needsMet: NeedsMet;
  recordedAt: Timestamp;
  recordedBy: string;
}

export interface SlaBreachesTable {
  id: string;
  referralId: string;
  agencyId: string;
  clock: SlaClock;
  dueAt: Timestamp;
  detectedAt: Timestamp;
  resolvedAt: Timestamp | null;
  lateBySeconds: number | null;
}

export interface NotificationsTable {
  id: string;
  kind: string;
  dedupeKey: string;
  referralId: string | null;
  submissionId: string | null;
  agencyId: string | null;
  recipient: string;
  subject: string;
  bodyText: string;
  bodyHtml: string | null;
  messageId: string;
  status: 'queued' | 'sent' | 'failed';
  attempts: Generated<number>;
  lastError: string | null;
  createdAt: Timestamp;
  sentAt: Timestamp | null;
}

export interface AlertsTable {
  id: string;
  kind: string;
  referralId: string | null;
  agencyId: string | null;
  message: string;
  createdAt: Timestamp;
  resolvedAt: Timestamp | null;
  resolvedBy: string | null;
}

/** Referrals received per UTC day (migrations/2026_12_02_1300_scale.ts): per agency, and in all (agencyId null). */
export interface ReferralDaysTable {
  day: string;
  agencyId: string | null;
  received: number;
}

export interface WorkflowTables {
  followUps: FollowUpsTable;
  followUpAttempts: FollowUpAttemptsTable;
  followUpOutcomes: FollowUpOutcomesTable;
  slaBreaches: SlaBreachesTable;
  notifications: NotificationsTable;
  alerts: AlertsTable;
  referralDays: ReferralDaysTable;
}
