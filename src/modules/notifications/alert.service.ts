/**
 * Alerts: things a coordinator must act on (a permanent mail failure, a paused agency holding
 * referrals, a rejected referral to re-route). One open alert per (kind, referral); raising it
 * again is a no-op. Each new alert also mails the coordinators' address.
 */
import type { Env } from '../../../config/env.js';
import { insertAlertIfNotOpen } from './alert.repository.js';
import type { Executor } from '../../platform/db/database.js';
import type { IdGenerator } from '../../kernel/ids.js';
import { createNotification } from './notification.service.js';
import { hubSignature, type HubContact } from '../../platform/mail/hub-signature.js';
import { flattenToOneLine as oneLine } from '../../kernel/one-line.js';

export interface AlertInput {
  kind: 'forward_failed' | 'agency_paused' | 'referral_rejected' | string;
  referralId?: string | null;
  agencyId?: string | null;
  /** shown to coordinators and mailed to them: a reference, never personal data */
  message: string;
}

/**
 * The alert's mail. Its message names things people typed (an agency's name): it goes on one
 * line after a label, so that it cannot start a line of its own, such as a forged "Open the
 * referral here: <link>".
 */
function alertMailText(message: string, hub: HubContact): string {
  return ['A Signpost alert for the coordinators.', '', `Alert: ${oneLine(message)}`, '', 'Open the coordinator dashboard to act on it.', ...hubSignature(hub)].join('\n');
}

/** Returns the notification id to dispatch after commit, or null when the alert was already open. */
export async function raiseAlert(
  db: Executor,
  deps: { ids: IdGenerator; env: Pick<Env, 'COORDINATOR_ALERT_EMAIL' | 'MAIL_FROM'> & HubContact },
  a: AlertInput,
  now: Date,
): Promise<string | null> {
  const id = deps.ids.uuid();
  const inserted = await insertAlertIfNotOpen(db, {
    id,
    kind: a.kind,
    referralId: a.referralId ?? null,
    agencyId: a.agencyId ?? null,
    message: a.message,
    createdAt: now,
  });
  if (!inserted) return null;
  const n = await createNotification(
    db,
    deps,
    {
      kind: 'coordinator_alert',
      dedupeKey: `alert:${id}`,
      recipient: deps.env.COORDINATOR_ALERT_EMAIL,
      subject: `[Signpost alert] ${oneLine(a.message)}`,
      bodyText: alertMailText(a.message, deps.env),
      referralId: a.referralId ?? null,
      agencyId: a.agencyId ?? null,
    },
    now,
  );
  return n.id;
}
