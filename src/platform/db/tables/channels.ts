/** Row types for the self-referral triage list (migrations/2026_12_02_1800_channels.ts), camelCased. */
import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export type SelfReferralStatus = 'open' | 'released' | 'closed';
export type SelfReferralCloseReason = 'could_not_reach' | 'person_declined' | 'no_help_needed' | 'duplicate' | 'not_genuine' | 'other';
export type Channel = 'web' | 'api' | 'paper' | 'phone' | 'self_referral';

export interface SelfReferralsTable {
  id: string;
  reference: string;
  /** one per form shown; with the details' fingerprint, one item (the same form sent again with other details is another) */
  formKey: string;
  /** a hash of what the form said, while open (null once decided, and for items stored before it existed) */
  detailsFingerprint: string | null;
  questionnaireId: string;
  status: SelfReferralStatus;
  /** the submission body as the person sent it; null once released or closed */
  body: Json<unknown> | null;
  filledInBy: 'person' | 'someone_else';
  confirmEmail: string | null;
  receivedAt: Timestamp;
  forwardDueAt: Timestamp;
  decidedAt: Timestamp | null;
  decidedBy: string | null;
  callNote: string | null;
  closeReason: SelfReferralCloseReason | null;
  closeNote: string | null;
  submissionId: string | null;
}

export interface ChannelTables {
  selfReferrals: SelfReferralsTable;
}
