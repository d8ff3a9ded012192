/**
 * The one Database interface. Each migration family keeps its row types in db/tables/;
 * this file composes them. Use the Selectable/Insertable aliases, not the table types.
 */
import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { CoreTables } from './tables/core.js';
import type { WorkflowTables } from './tables/workflow.js';
import type { WebTables } from './tables/web.js';
import type { PeopleTables } from './tables/people.js';
import type { ReportTables } from './tables/reports.js';
import type { CalendarTables } from './tables/calendar.js';
import type { WellbeingTables } from './tables/wellbeing.js';
import type { CapacityTables } from './tables/capacity.js';
import type { ChannelTables } from './tables/channels.js';
import type { WebhookTables } from './tables/webhooks.js';

export type * from './tables/core.js';
export type * from './tables/workflow.js';
export type * from './tables/web.js';
export type * from './tables/people.js';
export type * from './tables/reports.js';
export type * from './tables/calendar.js';
export type * from './tables/wellbeing.js';
export type * from './tables/capacity.js';
export type * from './tables/channels.js';
export type * from './tables/webhooks.js';

export interface Database extends CoreTables, WorkflowTables, WebTables, PeopleTables, ReportTables, CalendarTables, WellbeingTables, CapacityTables, ChannelTables, WebhookTables {}

/** What a repository function takes first: the pool, or the transaction a service opened. */
export type Executor = Kysely<Database> | Transaction<Database>;
export type DB = Kysely<Database>;

export type Agency = Selectable<Database['agencies']>;
export type NewAgency = Insertable<Database['agencies']>;
export type AgencyUpdate = Updateable<Database['agencies']>;
export type User = Selectable<Database['users']>;
export type Questionnaire = Selectable<Database['questionnaires']>;
export type Question = Selectable<Database['questions']>;
export type Person = Selectable<Database['people']>;
export type Submission = Selectable<Database['submissions']>;
export type Referral = Selectable<Database['referrals']>;
export type NewReferral = Insertable<Database['referrals']>;
export type ReferralEvent = Selectable<Database['referralEvents']>;
export type NewReferralEvent = Insertable<Database['referralEvents']>;
export type FollowUp = Selectable<Database['followUps']>;
export type SlaBreach = Selectable<Database['slaBreaches']>;
export type Notification = Selectable<Database['notifications']>;
export type NewNotification = Insertable<Database['notifications']>;
export type Alert = Selectable<Database['alerts']>;
export type WebhookEndpoint = Selectable<Database['webhookEndpoints']>;
export type WebhookDelivery = Selectable<Database['webhookDeliveries']>;
