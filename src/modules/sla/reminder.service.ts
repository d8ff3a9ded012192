/**
 * Contact reminders: before an agency's T2 runs out (REMINDER_DAYS_BEFORE days before
 * contact_due_at, default 4), ONE mail per agency per day listing its referrals still without
 * contact, by reference and due date only (no personal data in the mail); those due within the
 * warning window (SLA_WARN_WITHIN_HOURS) are marked, with the time they are due. The notification's
 * dedupe key `reminder:<agencyId>:<YYYY-MM-DD>` makes "once per agency per day" a database
 * guarantee: a second run the same day (a retry, a second worker) writes and sends nothing.
 * Reads through referrals_contact_open_idx (its literal predicate, rule 8).
 */
import { addDays } from '../../kernel/clock.js';
import { londonDay, ukDeadlineDate, ukDeadlineTime } from '../../kernel/uk-dates.js';
import { hubSignature } from '../../platform/mail/hub-signature.js';
import { flattenToOneLine as oneLine } from '../../kernel/one-line.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { warnUntil } from './sla-report.service.js';
import { listReferralsAwaitingContactDueBy } from '../referrals/index.js';
import { capacityLinkFor, capacityReminderLines } from '../capacity/index.js';
import { createNotification, dispatchNotifications } from '../notifications/index.js';

export interface ReminderResult {
  day: string;
  agencies: number;
  sent: number;
}

/** The calendar day of `now` in London (the reminders go at 08:00 there), as the dedupe key uses it. */
export function reminderDay(now: Date): string {
  return londonDay(now);
}

export async function sendContactReminders(deps: ServiceDeps, opts: { requestId?: string | undefined } = {}): Promise<ReminderResult> {
  const now = deps.clock.now();
  const day = reminderDay(now);
  const until = addDays(now, deps.env.REMINDER_DAYS_BEFORE);
  const soon = warnUntil(deps, now);
  const warnWords = `DUE WITHIN ${deps.env.SLA_WARN_WITHIN_HOURS} HOURS`;

  const created = await deps.db.transaction().execute(async (tx) => {
    const rows = await listReferralsAwaitingContactDueBy(tx, now, until);

    const byAgency = new Map<string, typeof rows>();
    for (const r of rows) byAgency.set(r.agencyId, [...(byAgency.get(r.agencyId) ?? []), r]);

    const ids: string[] = [];
    for (const [agencyId, list] of byAgency) {
      const first = list[0]!;
      const lines = list.map((r) =>
        r.contactDueAt! <= soon
          ? `- ${r.reference}: contact the person by ${ukDeadlineDate(r.contactDueAt!)} (${warnWords}: by ${ukDeadlineTime(r.contactDueAt!)})`
          : `- ${r.reference}: contact the person by ${ukDeadlineDate(r.contactDueAt!)}`,
      );
      const marked = list.filter((r) => r.contactDueAt! <= soon).length;
      const n = await createNotification(
        tx,
        deps,
        {
          kind: 'contact_reminder',
          dedupeKey: `reminder:${agencyId}:${day}`,
          recipient: first.agencyEmail,
          agencyId,
          subject: `Signpost: ${list.length} referral${list.length === 1 ? '' : 's'} awaiting contact`,
          bodyText: [
            `Hello ${oneLine(first.agencyName)},`,
            '',
            `These referrals are still waiting for you to contact the person, and their contact date is close:`,
            ...(marked ? ['', `${marked === 1 ? 'One is' : `${marked} are`} due within ${deps.env.SLA_WARN_WITHIN_HOURS} hours (marked ${warnWords}).`] : []),
            '',
            ...lines,
            '',
            'Record your contact with the person from the link in each referral’s email (it needs no password),',
            `or sign in to Signpost if your team has accounts: ${deps.env.PUBLIC_URL}/agency`,
            '',
            ...capacityReminderLines(await capacityLinkFor(tx, deps.env, agencyId, now)),
            ...hubSignature(deps.env),
          ].join('\n'),
        },
        now,
      );
      if (n.created) ids.push(n.id);
    }
    return { ids, agencies: byAgency.size };
  });

  await dispatchNotifications(deps.jobs, created.ids, opts.requestId);
  deps.logger.info({ day, agencies: created.agencies, sent: created.ids.length }, 'contact reminders');
  return { day, agencies: created.agencies, sent: created.ids.length };
}
