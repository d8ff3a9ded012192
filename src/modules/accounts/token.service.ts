/**
 * API tokens as their owners and admins manage them: made with a label and an optional expiry
 * (the token is shown once; only its SHA-256 is kept), listed with when each was last used, and
 * revoked by their owner, an admin or the command line. Every making and revoking is audited on
 * the token. A revocation takes effect within AUTH_CACHE_TTL_MS (auth.service.ts).
 *
 * Every signed-in role may hold tokens: link workers submit checklists, agency staff move their
 * referrals and hub staff read and manage through the API (docs/api.md).
 */
import { z } from 'zod';
import type { DB } from '../../platform/db/database.js';
import type { Clock } from '../../kernel/clock.js';
import { DAY } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import { badRequest, forbidden, notFound } from '../../kernel/errors.js';
import type { Principal } from '../../kernel/principal.js';
import { oneLineText } from '../../kernel/text-fields.js';
import { recordAudit } from '../audit/index.js';
import { newToken } from './auth.service.js';
import { countLiveApiTokens, findApiToken, findUserByEmail, findUserForTokens, insertApiToken, listApiTokens, revokeTokens } from './user.repository.js';

type Deps = { db: DB; clock: Clock; ids: IdGenerator };
/** Who acts: a signed-in user, or the command line (no user: its audit rows say "Command line"). */
export type TokenActor = Principal | { userId: null; name: string; role: 'cli' };

export const CLI_ACTOR: TokenActor = { userId: null, name: 'Command line', role: 'cli' };
/** Enough for every script and device a person runs; more is a sign of tokens made and forgotten. */
export const MAX_LIVE_TOKENS = 20;
export const MAX_EXPIRY_DAYS = 366;
const LIST_LIMIT = 500;

export const newTokenSchema = z.object({
  label: oneLineText().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  expiresInDays: z.coerce.number().int('must be a whole number of days').min(1, 'must be at least 1 day').max(MAX_EXPIRY_DAYS, `must be at most ${MAX_EXPIRY_DAYS} days`).optional(),
});
export type NewToken = z.input<typeof newTokenSchema>;

export type TokenState = 'active' | 'expired' | 'revoked';

const LINK_USER_DOMAIN = '@signpost.invalid';

async function makeToken(deps: Deps, actor: TokenActor, userId: string, input: NewToken) {
  const t = newTokenSchema.parse(input);
  const now = deps.clock.now();
  const { token, hash } = newToken();
  const id = deps.ids.uuid();
  const expiresAt = t.expiresInDays === undefined ? null : new Date(now.getTime() + t.expiresInDays * DAY);
  await deps.db.transaction().execute(async (trx) => {
    if ((await countLiveApiTokens(trx, userId, now)) >= MAX_LIVE_TOKENS) {
      throw badRequest('too many tokens', [{ path: 'label', message: `revoke a token first: one person may hold at most ${MAX_LIVE_TOKENS} live tokens` }]);
    }
    await insertApiToken(trx, { id, userId, tokenHash: hash, label: t.label, createdAt: now, expiresAt });
    await recordAudit(trx, { principal: actor, action: 'token.create', entity: 'api_token', entityId: id, at: now });
  });
  return { id, token, label: t.label, expiresAt };
}

/** A signed-in person makes a token for themselves. */
export async function createOwnToken(deps: Deps, principal: Principal, input: NewToken) {
  return makeToken(deps, principal, principal.userId, input);
}

/** The command line makes a token for a user named by email (not a disabled one, nor an email-link user). */
export async function createTokenForEmail(deps: Deps, email: string, input: NewToken) {
  const user = email.length <= 254 ? await findUserByEmail(deps.db, email.trim()) : undefined;
  if (!user) throw notFound('user');
  if (user.disabledAt) throw forbidden('this user is disabled');
  if (user.email.toLowerCase().endsWith(LINK_USER_DOMAIN)) throw forbidden('an agency email link user cannot hold a token');
  return { userId: user.id, ...(await makeToken(deps, CLI_ACTOR, user.id, input)) };
}

function withState<T extends { revokedAt: Date | null; expiresAt: Date | null }>(rows: T[], now: Date) {
  return rows.map((r) => ({ ...r, state: (r.revokedAt ? 'revoked' : r.expiresAt && r.expiresAt <= now ? 'expired' : 'active') as TokenState }));
}

/** The person's own tokens, newest first. */
export async function listOwnTokens(deps: Deps, principal: Principal) {
  return withState(await listApiTokens(deps.db, { userId: principal.userId, limit: LIST_LIMIT }), deps.clock.now());
}

/** Every token (or one user's) for an admin or the command line, newest first. */
export async function listTokensForAdmin(deps: Deps, actor: TokenActor, by: { userId?: string | undefined } = {}) {
  if (actor.role !== 'admin' && actor.role !== 'cli') throw forbidden('only an admin lists everyone’s tokens');
  return withState(await listApiTokens(deps.db, { userId: by.userId, limit: LIST_LIMIT }), deps.clock.now());
}

/** The command line's `--user email`: the user's id (404 when no one has this email). */
export async function userIdForEmail(deps: Pick<Deps, 'db'>, email: string): Promise<string> {
  const user = email.length <= 254 ? await findUserByEmail(deps.db, email.trim()) : undefined;
  if (!user) throw notFound('user');
  return user.id;
}

/**
 * Revokes one token: its owner's, or anyone's by an admin or the command line. A token someone
 * else owns is "not found" to a non-admin (it does not say whose tokens exist). Revoking a token
 * already revoked changes nothing and is not audited again.
 */
export async function revokeToken(deps: Deps, actor: TokenActor, tokenId: string): Promise<{ revoked: boolean; userId: string }> {
  if (!z.uuid().safeParse(tokenId).success) throw notFound('token');
  const token = await findApiToken(deps.db, tokenId);
  const mayRevoke = token && (token.userId === actor.userId || actor.role === 'admin' || actor.role === 'cli');
  if (!token || !mayRevoke) throw notFound('token');
  const now = deps.clock.now();
  const revoked = await deps.db.transaction().execute(async (trx) => {
    const n = await revokeTokens(trx, { tokenId }, now);
    if (n) await recordAudit(trx, { principal: actor, action: 'token.revoke', entity: 'api_token', entityId: tokenId, at: now });
    return n === 1;
  });
  return { revoked, userId: token.userId };
}

/** The command line's older `token:revoke --user ID`: every live token of the user, each audited. */
export async function revokeAllTokensOfUser(deps: Deps, userId: string): Promise<number> {
  if (!z.uuid().safeParse(userId).success || !(await findUserForTokens(deps.db, userId))) throw notFound('user');
  const live = (await listApiTokens(deps.db, { userId, limit: 10_000 })).filter((t) => !t.revokedAt);
  let n = 0;
  for (const t of live) if ((await revokeToken(deps, CLI_ACTOR, t.id)).revoked) n++;
  return n;
}
