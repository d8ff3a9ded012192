/** Row types for ONS4 wellbeing (migrations/2026_12_02_1520_wellbeing.ts), camelCased. */
import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export type WellbeingOccasion = 'checklist' | 'follow_up';

/** Health data (special category): one occasion's answers, each 0-10 or skipped (null). */
export interface WellbeingScoresTable {
  id: string;
  occasion: WellbeingOccasion;
  personId: string;
  submissionId: string;
  /** the follow-up call's id, for occasion 'follow_up' only */
  followUpId: string | null;
  measuredAt: Timestamp;
  recordedBy: string;
  lifeSatisfaction: number | null;
  worthwhile: number | null;
  happy: number | null;
  anxious: number | null;
}

export interface WellbeingTables {
  wellbeingScores: WellbeingScoresTable;
}
