/**
 * Ways in: who may say how a checklist came in, and when the hub received it. Pure rules.
 *  - A link worker's checklist is 'api' (or 'web' from the form, set by the page, never claimed).
 *  - A coordinator may key in a checklist received on paper or by phone, saying when the hub
 *    received it (the clocks run from then): not in the future, not older than the limit.
 *  - 'self_referral' comes only from releasing a triage item, 'web' only from the form.
 */
import { DAY } from '../../kernel/clock.js';

export const CHANNELS = ['web', 'api', 'paper', 'phone', 'self_referral'] as const;
export type Channel = (typeof CHANNELS)[number];
/** what a coordinator may record when keying a checklist in */
export const HUB_ENTRY_CHANNELS = ['paper', 'phone'] as const;

export const CHANNEL_LABELS: Record<Channel, string> = {
  web: 'Web form',
  api: 'API',
  paper: 'Paper',
  phone: 'Phone',
  self_referral: 'Self-referral',
};

export interface ChannelProblem {
  path: string;
  message: string;
}

export interface ChannelClaim {
  channel?: string | undefined;
  receivedAt?: Date | undefined;
  hasReferrer: boolean;
}

/** Problems with what a caller claims about how a checklist came in; none means it stands. */
export function channelProblems(claim: ChannelClaim, isHub: boolean, now: Date, maxAgeDays: number): ChannelProblem[] {
  const ch = claim.channel ?? 'api';
  const problems: ChannelProblem[] = [];
  if (ch === 'web' || ch === 'self_referral') {
    problems.push({ path: 'channel', message: ch === 'web' ? 'web is set by the web form, not claimed' : 'a self-referral enters through the triage list, not here' });
    return problems;
  }
  if (!isHub) {
    if (ch !== 'api') problems.push({ path: 'channel', message: 'must be api (only the hub keys in paper and phone checklists)' });
    if (claim.receivedAt) problems.push({ path: 'receivedAt', message: 'only the hub may say when a checklist was received' });
    if (claim.hasReferrer) problems.push({ path: 'referrer', message: 'only the hub records a referrer for a checklist it keys in' });
    return problems;
  }
  if (ch === 'api') {
    if (claim.receivedAt) problems.push({ path: 'receivedAt', message: 'is for paper and phone checklists only (channel paper or phone)' });
    if (claim.hasReferrer) problems.push({ path: 'referrer', message: 'is for paper and phone checklists only (channel paper or phone)' });
    return problems;
  }
  problems.push(...receivedAtProblems(claim.receivedAt, now, maxAgeDays));
  return problems;
}

/** When the hub received a paper or phone checklist: required, not in the future, not too old. */
export function receivedAtProblems(receivedAt: Date | undefined, now: Date, maxAgeDays: number): ChannelProblem[] {
  if (!receivedAt) return [{ path: 'receivedAt', message: 'is required for a paper or phone checklist: when the hub received it' }];
  if (receivedAt.getTime() > now.getTime()) return [{ path: 'receivedAt', message: 'must not be in the future' }];
  if (now.getTime() - receivedAt.getTime() > maxAgeDays * DAY) return [{ path: 'receivedAt', message: `must be within the last ${maxAgeDays} days` }];
  return [];
}
