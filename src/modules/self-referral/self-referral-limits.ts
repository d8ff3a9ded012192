/**
 * The public self-referral page's rate limits
 * (docs/security.md#self-referral-resisting-abuse-without-getting-in-an-older-persons-way), with
 * rate-limiter-flexible: atomic counters in Redis shared by every API process, per address
 * (SELF_REFERRAL_PER_ADDRESS_PER_HOUR) and for everyone (SELF_REFERRAL_GLOBAL_PER_HOUR).
 *
 * Redis being down must never block or crash the page: each limiter has an in-memory insurance
 * limiter with the same allowance that takes over, per process, while Redis does not answer
 * (rejectIfRedisNotReady: a command is never queued behind a reconnect). An address counts by
 * allowanceKey (an IPv6 address by its /64, an IPv4-mapped one as the IPv4 address), kept only
 * as a keyed hash (HMAC with SESSION_SECRET), never in clear. Which address is the client's is
 * Express's req.ip, under the TRUST_PROXY setting (src/app.ts).
 */
import { createHmac } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { allowanceKey } from './client-address.js';
import type { ServiceDeps } from '../../platform/deps.js';

const HOUR_S = 3600;

export type LimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface SelfReferralLimits {
  /** Spends one self-referral from the address's and the global allowance, or says how long to wait. */
  consume(address: string): Promise<LimitVerdict>;
}

export function createSelfReferralLimits(deps: Pick<ServiceDeps, 'env' | 'jobs' | 'logger'>): SelfReferralLimits {
  const { env } = deps;
  const storeClient = deps.jobs.redis();
  const make = (name: string, points: number) =>
    new RateLimiterRedis({
      storeClient,
      keyPrefix: `${env.QUEUE_PREFIX}:rl:self-referral:${name}`,
      points,
      duration: HOUR_S,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: `self-referral:${name}`, points, duration: HOUR_S }),
    });
  const perAddress = make('address', env.SELF_REFERRAL_PER_ADDRESS_PER_HOUR);
  const global = make('global', env.SELF_REFERRAL_GLOBAL_PER_HOUR);
  const hashed = (address: string) => createHmac('sha256', env.SESSION_SECRET).update(`self-referral:${allowanceKey(address)}`).digest('base64url').slice(0, 22);

  const spend = async (limiter: RateLimiterRedis, key: string): Promise<LimitVerdict> => {
    try {
      await limiter.consume(key);
      return { allowed: true };
    } catch (res) {
      if (res instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
      // neither Redis nor the insurance answered: let the person through rather than lose them
      deps.logger.warn({ err: (res as Error)?.message }, 'the self-referral rate limiter failed; allowing the request');
      return { allowed: true };
    }
  };

  return {
    async consume(address) {
      // the address first, so that one address over its allowance does not spend everyone's
      const mine = await spend(perAddress, hashed(address));
      if (!mine.allowed) return mine;
      return spend(global, 'all');
    },
  };
}
