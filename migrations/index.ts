/**
 * The list of migrations, in order. Explicit imports (rather than reading the folder at run
 * time) work the same under tsx, vitest and a compiled build. Add each new file here.
 */
import type { Migration } from 'kysely/migration';
import * as core from './2026_11_23_1100_core.js';
import * as workflow from './2026_11_23_1110_workflow.js';
import * as web from './2026_11_23_1200_web.js';
import * as intakeFunction from './2026_11_23_1210_intake_function.js';
import * as slaReport from './2026_11_23_1220_sla_report.js';
import * as intakeExplicitColumns from './2026_12_02_0900_intake_explicit_columns.js';
import * as contactPromise from './2026_12_02_1000_contact_promise.js';
import * as onePerson from './2026_12_02_1100_one_person.js';
import * as auditChain from './2026_12_02_1110_audit_chain.js';
import * as agencyPersonFields from './2026_12_02_1120_agency_person_fields.js';
import * as scale from './2026_12_02_1300_scale.js';
import * as outcomeCodes from './2026_12_02_1400_outcome_codes.js';
import * as organisations from './2026_12_02_1410_organisations.js';
import * as reportRollup from './2026_12_02_1510_report_rollup.js';
import * as wellbeing from './2026_12_02_1520_wellbeing.js';
import * as workingDays from './2026_12_02_1600_working_days.js';
import * as capacity from './2026_12_02_1700_capacity.js';
import * as channels from './2026_12_02_1800_channels.js';
import * as reportPeople from './2026_12_02_1900_report_people.js';
import * as reportMonths from './2026_12_02_2000_report_months.js';
import * as reportWellbeing from './2026_12_02_2010_report_wellbeing.js';
import * as selfReferralData from './2026_12_02_2100_self_referral_data.js';
import * as promiseDeadlineDay from './2026_12_03_0900_promise_deadline_day.js';
import * as intakeOneFunction from './2026_12_07_1000_intake_one_function.js';
import * as redactMailErrors from './2026_12_07_1100_redact_mail_errors.js';
import * as auditCheckpoints from './2026_12_07_1200_audit_checkpoints.js';
import * as selfReferralFormDetails from './2026_12_07_1300_self_referral_form_details.js';
import * as selfReferralOpenOrder from './2026_12_07_1310_self_referral_open_order.js';
import * as capacityLinkRevocation from './2026_12_07_1400_capacity_link_revocation.js';
import * as sqlFiles from './2026_12_07_2000_sql_files.js';
import * as secondFactor from './2026_12_07_2100_second_factor.js';
import * as sessionsTokens from './2026_12_07_2200_sessions_tokens.js';
import * as singleSignOn from './2026_12_07_2300_single_sign_on.js';
import * as passkeys from './2026_12_08_0900_passkeys.js';
import * as webhooks from './2026_12_08_1000_webhooks.js';
import * as personSearch from './2026_12_08_1100_person_search.js';
import * as agencyOruk from './2026_12_08_1300_agency_oruk.js';
import * as reportSelfReferrals from './2026_12_08_1400_report_self_referrals.js';
import * as referralChangesIndex from './2026_12_08_1410_referral_changes_index.js';
import * as personSearchNames from './2026_12_09_1000_person_search_names.js';

export const migrations: Record<string, Migration> = {
  '2026_11_23_1100_core': core,
  '2026_11_23_1110_workflow': workflow,
  '2026_11_23_1200_web': web,
  '2026_11_23_1210_intake_function': intakeFunction,
  '2026_11_23_1220_sla_report': slaReport,
  '2026_12_02_0900_intake_explicit_columns': intakeExplicitColumns,
  '2026_12_02_1000_contact_promise': contactPromise,
  '2026_12_02_1100_one_person': onePerson,
  '2026_12_02_1110_audit_chain': auditChain,
  '2026_12_02_1120_agency_person_fields': agencyPersonFields,
  '2026_12_02_1300_scale': scale,
  '2026_12_02_1400_outcome_codes': outcomeCodes,
  '2026_12_02_1410_organisations': organisations,
  '2026_12_02_1510_report_rollup': reportRollup,
  '2026_12_02_1520_wellbeing': wellbeing,
  '2026_12_02_1600_working_days': workingDays,
  '2026_12_02_1700_capacity': capacity,
  '2026_12_02_1800_channels': channels,
  '2026_12_02_1900_report_people': reportPeople,
  '2026_12_02_2000_report_months': reportMonths,
  '2026_12_02_2010_report_wellbeing': reportWellbeing,
  '2026_12_02_2100_self_referral_data': selfReferralData,
  '2026_12_03_0900_promise_deadline_day': promiseDeadlineDay,
  '2026_12_07_1000_intake_one_function': intakeOneFunction,
  '2026_12_07_1100_redact_mail_errors': redactMailErrors,
  '2026_12_07_1200_audit_checkpoints': auditCheckpoints,
  '2026_12_07_1300_self_referral_form_details': selfReferralFormDetails,
  '2026_12_07_1310_self_referral_open_order': selfReferralOpenOrder,
  '2026_12_07_1400_capacity_link_revocation': capacityLinkRevocation,
  '2026_12_07_2000_sql_files': sqlFiles,
  '2026_12_07_2100_second_factor': secondFactor,
  '2026_12_07_2200_sessions_tokens': sessionsTokens,
  '2026_12_07_2300_single_sign_on': singleSignOn,
  '2026_12_08_0900_passkeys': passkeys,
  '2026_12_08_1000_webhooks': webhooks,
  '2026_12_08_1100_person_search': personSearch,
  '2026_12_08_1300_agency_oruk': agencyOruk,
  '2026_12_08_1400_report_self_referrals': reportSelfReferrals,
  '2026_12_08_1410_referral_changes_index': referralChangesIndex,
  '2026_12_09_1000_person_search_names': personSearchNames,
};
