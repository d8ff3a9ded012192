/**
 * Fixtures for the SLA, follow-up and reminder tests: a submission through the real API, and the
 * steps other parts of the product take (the forward worker forwarding, an agency recording
 * contact or completion) written the way those parts write them, so that these tests do not
 * depend on a mail round trip to put a referral in the state they are about.
 */
import { resolveBreach } from '../../src/modules/clocks/breach.repository.js';
import type { TestContext } from './context.js';
import { markForwarded } from './referrals.js';
import type { apiClient } from './api.js';
import { submissionBody, type seedChecklist, type TestUser } from './factories.js';

type Checklist = Awaited<ReturnType<typeof seedChecklist>>;

export interface Submitted {
  id: string;
  reference: string;
  referrals: { id: string; reference: string; agencyId: string; forwardDueAt: string; contactDueAt: string; heldUntil: string | null }[];
}

export async function submit(api: ReturnType<typeof apiClient>, worker: TestUser, q: Checklist, questionIdx: number[]): Promise<Submitted> {
  const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, questionIdx.map((i) => q.questions[i]!.id)));
  if (res.status !== 201) throw new Error(`submit failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Submitted;
}

/**
 * What the forward worker records when the agency's server accepts the mail (the same function,
 * forward.service.ts recordForwarded, through markForwarded). `resolve: false` then plays a
 * worker that lost the race with the sweep: the forward breach the sweep recorded meanwhile is
 * left open, for the sweep's own repair to find.
 */
export async function forward(ctx: TestContext, referralIds: string[], opts: { resolve?: boolean } = {}): Promise<{ followUpId: string; dueAt: Date }> {
  let followUp: { followUpId: string; dueAt: Date } | undefined;
  for (const id of referralIds) followUp = await markForwarded(ctx, id);
  if (opts.resolve === false) {
    await ctx.db.updateTable('slaBreaches').set({ resolvedAt: null, lateBySeconds: null }).where('referralId', 'in', referralIds).where('clock', '=', 'forward').execute();
  }
  return followUp!;
}

/** An agency's step, as the transition service records it (status, its timestamp). */
export async function setStatus(ctx: TestContext, referralId: string, status: 'contacted' | 'completed' | 'cancelled' | 'declined', opts: { resolve?: boolean } = {}) {
  const now = ctx.clock.now();
  const terminal = status !== 'contacted';
  await ctx.db
    .updateTable('referrals')
    .set({
      status,
      updatedAt: now,
      ...(status === 'contacted' ? { contactedAt: now } : {}),
      ...(terminal ? { closedAt: now, outcome: status === 'completed' ? 'service_provided' : null } : {}),
    })
    .where('id', '=', referralId)
    .execute();
  if (opts.resolve) await resolveBreach(ctx.db, referralId, 'contact', now);
}

export async function breachesOf(ctx: TestContext, referralIds: string[]) {
  if (referralIds.length === 0) return [];
  return ctx.db.selectFrom('slaBreaches').selectAll().where('referralId', 'in', referralIds).orderBy('clock').orderBy('referralId').execute();
}
