/** Row types for what the hub's reports rest on (migrations/2026_12_02_1400 onwards), camelCased. */
import type { ColumnType, Generated } from 'kysely';
import type { OrganisationType } from '../../../kernel/organisation-types.js';

export interface OutcomeCodesTable {
  code: string;
  label: string;
  position: number;
  active: Generated<boolean>;
  snomedCode: string | null;
  snomedTerm: string | null;
  updatedAt: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface OrganisationsTable {
  id: string;
  name: string;
  type: OrganisationType;
  active: Generated<boolean>;
  createdAt: ColumnType<Date, Date | string, Date | string>;
  updatedAt: ColumnType<Date, Date | string, Date | string>;
}

export interface ReportTables {
  outcomeCodes: OutcomeCodesTable;
  organisations: OrganisationsTable;
}
