/**
 * Details of the mail the hub sends, beside the referral forward itself: every Message-ID is in
 * MAIL_FROM's domain (alerts, reminders and closing mails used to be in a fixed one), and
 * referrals are listed in reading order (SP-...-2 before SP-...-10) in the closing mail and
 * on the call script.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR } from '../src/kernel/clock.js';
import { sendContactReminders } from '../src/modules/sla/reminder.service.js';
import type { TestContext } from './helpers/context.js';
import type { TestUser } from './helpers/factories.js';
import { markForwarded, moveThrough, submit } from './helpers/referrals.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker, coordinator } = await createWorld({ worker: 'link_worker', coordinator: 'coordinator' }, { MAIL_FROM: 'Our hub <hub@hub.example.net>' }));
});
afterAll(async () => ctx?.close());

const lineRefs = (text: string, prefix: string) => [...text.matchAll(new RegExp(`${prefix}-(\\d+)`, 'g'))].map((m) => Number(m[1]));

describe('mail the hub sends', () => {
  it("carries Message-IDs in MAIL_FROM's domain: alerts, reminders and closing mails", async () => {
    const s = await submit(api, worker, q, [q.questions[0]!.id, q.questions[1]!.id]);
    const [a, b] = s.referrals;
    await markForwarded(ctx, a!.id);
    await moveThrough(api, coordinator.token, a!.id, [{ to: 'rejected', reason: 'outside our area' }]); // alert
    ctx.clock.advance(10 * DAY + HOUR);
    await sendContactReminders(ctx); // nothing for a (rejected); b is still pending
    await markForwarded(ctx, b!.id);
    ctx.clock.set(new Date(new Date(b!.contactDueAt).getTime() - 2 * DAY));
    await sendContactReminders(ctx); // b's contact date is within four days
    const c = await submit(api, worker, q, [q.questions[2]!.id]);
    await moveThrough(api, coordinator.token, c.referrals[0]!.id, [{ to: 'cancelled', reason: 'entered in error' }]); // closing mail
    const rows = await ctx.db.selectFrom('notifications').select(['kind', 'messageId']).execute();
    expect(new Set(rows.map((r) => r.kind))).toEqual(new Set(['coordinator_alert', 'contact_reminder', 'submission_closed']));
    for (const r of rows) expect(r.messageId, r.kind).toMatch(/^<[^@>]+@hub\.example\.net>$/);
  });

  it('lists referrals in reading order in the closing mail and on the call script', async () => {
    // every "yes": one referral per agency, more than ten of them
    const all = q.questions.map((x) => x.id);
    const s = await submit(api, worker, q, all);
    expect(s.referrals.length).toBeGreaterThan(10);
    const prefix = s.reference;
    for (const r of s.referrals) await markForwarded(ctx, r.id);
    const list = await api.get('/api/v1/follow-ups?state=upcoming&limit=100', coordinator.token);
    const call = list.body.items.find((f: any) => f.submissionId === s.submissionId);
    const order = call.referrals.map((r: any) => Number(r.reference.slice(prefix.length + 1)));
    expect(order).toEqual([...order].sort((x, y) => x - y));

    const t = await submit(api, worker, q, all);
    for (const r of t.referrals) await moveThrough(api, coordinator.token, r.id, [{ to: 'cancelled', reason: 'entered in error' }]);
    const mail = await ctx.db.selectFrom('notifications').select('bodyText').where('submissionId', '=', t.submissionId).where('kind', '=', 'submission_closed').executeTakeFirstOrThrow();
    const refs = lineRefs(mail.bodyText, t.reference);
    expect(refs).toEqual(t.referrals.map((_, i) => i + 1));
  });
});
