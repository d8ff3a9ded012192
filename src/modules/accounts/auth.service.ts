/**
 * API tokens: 32 random bytes shown once, stored as a SHA-256 hash (a token has full entropy,
 * so a slow password hash adds nothing). Verified tokens are cached in-process for
 * AUTH_CACHE_TTL_MS so that the hot intake path does not pay a round trip per request;
 * revocation and disabling therefore take effect within that TTL (default 5 s). A cached verdict
 * never outlives the token's own expiry. On a miss, one statement reads the token and records
 * its last use (useApiToken), so last use is accurate to within the TTL and a cached request
 * writes nothing; concurrent misses for one token share that one statement.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../kernel/clock.js';
import type { DB } from '../../platform/db/database.js';
import type { Principal } from '../../kernel/principal.js';
import { useApiToken } from './user.repository.js';

export const TOKEN_PREFIX = 'sp_';

export function newToken(): { token: string; hash: Buffer } {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export class TokenVerifier {
  private cache = new Map<string, { principal: Principal | null; until: number }>();
  private inFlight = new Map<string, Promise<Principal | null>>();

  constructor(
    private db: DB,
    private clock: Clock,
    private ttlMs: number,
  ) {}

  async verify(token: string): Promise<Principal | null> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return null;
    const key = hashToken(token);
    const cacheKey = key.toString('base64');
    const now = this.clock.now().getTime();
    const hit = this.cache.get(cacheKey);
    if (hit && hit.until > now) return hit.principal;
    let pending = this.inFlight.get(cacheKey);
    if (!pending) {
      pending = this.lookUp(key, cacheKey, now).finally(() => this.inFlight.delete(cacheKey));
      this.inFlight.set(cacheKey, pending);
    }
    return pending;
  }

  private async lookUp(key: Buffer, cacheKey: string, now: number): Promise<Principal | null> {
    const row = await useApiToken(this.db, key, new Date(now));
    const principal = row ? { userId: row.userId, name: row.name, role: row.role, agencyId: row.agencyId } : null;
    if (this.ttlMs > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      // a token that expires sooner than the TTL is cached only until it expires
      const until = Math.min(now + this.ttlMs, row?.expiresAt ? row.expiresAt.getTime() : Infinity);
      this.cache.set(cacheKey, { principal, until });
    }
    return principal;
  }

  /** Forget cached verdicts (after a revocation in this process). */
  clear(): void {
    this.cache.clear();
  }
}
