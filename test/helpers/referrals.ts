/**
 * Referral set-up for the referral tests: submit through the real API, then stand in for the
 * forward worker (another process, tested on its own) by recording the referral forwarded with
 * the very function that worker records it with (forward.service.ts recordForwarded): status,
 * forwarded_at, the agency's contact clock, the event, and the hub's follow-up.
 */
import { addDays } from '../../src/kernel/clock.js';
import { recordForwarded } from '../../src/modules/forwarding/forward.service.js';
import type { TestContext } from './context.js';
import type { apiClient } from './api.js';
import { submissionBody, type seedChecklist, type TestUser } from './factories.js';

type Checklist = Awaited<ReturnType<typeof seedChecklist>>;

export interface SubmittedReferral {
  id: string;
  reference: string;
  agencyId: string;
  questionIds: string[];
  forwardDueAt: string;
  contactDueAt: string;
  heldUntil: string | null;
}

/** Submits a checklist answering "yes" to these questions; returns its referrals by agency id. */
export async function submit(api: ReturnType<typeof apiClient>, user: TestUser, q: Checklist, yes: string[]) {
  const res = await api.post('/api/v1/submissions', user.token, submissionBody(q, yes));
  if (res.status !== 201) throw new Error(`submission failed: ${res.status} ${JSON.stringify(res.body)}`);
  const byAgency = new Map<string, SubmittedReferral>(res.body.referrals.map((r: SubmittedReferral) => [r.agencyId, r]));
  return { submissionId: res.body.id as string, reference: res.body.reference as string, referrals: res.body.referrals as SubmittedReferral[], byAgency };
}

/** What the forward worker records once the agency's mail server accepted the referral. */
export async function markForwarded(ctx: TestContext, referralId: string): Promise<{ followUpId: string; dueAt: Date }> {
  const now = ctx.clock.now();
  const r = await ctx.db
    .selectFrom('referrals as r')
    .innerJoin('agencies as a', 'a.id', 'r.agencyId')
    .select(['r.id', 'r.status', 'r.submissionId', 'r.contactDueAt', 'a.email'])
    .where('r.id', '=', referralId)
    .executeTakeFirstOrThrow();
  if (r.status !== 'pending') throw new Error(`referral ${referralId} is not pending`);
  const followUp = await ctx.db.transaction().execute((trx) => recordForwarded(trx, ctx, r, { messageId: `<forward-${referralId}@test.invalid>`, recipient: r.email }, now));
  if (!followUp || followUp === 'ended') throw new Error(`referral ${referralId} was forwarded or ended meanwhile`);
  return followUp;
}

/** Moves a referral through several transitions as this user, failing loudly on any refusal. */
export async function moveThrough(api: ReturnType<typeof apiClient>, token: string, referralId: string, steps: Record<string, unknown>[]) {
  let last: any;
  for (const step of steps) {
    last = await api.post(`/api/v1/referrals/${referralId}/transitions`, token, step);
    if (last.status !== 200) throw new Error(`transition ${JSON.stringify(step)} failed: ${last.status} ${JSON.stringify(last.body)}`);
  }
  return last;
}

export const inDays = (ctx: TestContext, days: number) => addDays(ctx.clock.now(), days).toISOString().slice(0, 10);

/**
 * The referral tests' shared vocabulary. `world` is read at call time, so a test file can build
 * the kit at module level from variables its beforeAll fills in.
 */
export function referralKit(world: () => { ctx: TestContext; api: ReturnType<typeof apiClient>; q: Checklist; worker: TestUser }) {
  const fireQ = () => world().q.questions[0]!;
  const policeQ = () => world().q.questions[1]!;
  const move = (id: string, token: string, body: Record<string, unknown>) => world().api.post(`/api/v1/referrals/${id}/transitions`, token, body);
  const events = (referralId: string) =>
    world().ctx.db.selectFrom('referralEvents').selectAll().where('referralId', '=', referralId).orderBy('id').execute();
  /** A new fire referral (its checklist also flags the police), forwarded to the agency. */
  async function forwardedFireReferral() {
    const { api, q, worker, ctx } = world();
    const s = await submit(api, worker, q, [fireQ().id, policeQ().id]);
    const ref = s.byAgency.get(fireQ().agencyId)!;
    await markForwarded(ctx, ref.id);
    return { ...s, ref };
  }
  return { fireQ, policeQ, move, events, forwardedFireReferral };
}
