/**
 * Single sign-on through the hub's own identity provider: OpenID Connect's authorization code
 * flow with PKCE, state and nonce, done by openid-client (a certified relying party: it checks
 * the ID token's signature, issuer, audience, expiry and nonce).
 *
 * - The provider's configuration is discovered at the first sign-in and kept for the life of the
 *   process; a provider that is down at start-up stops nothing, and a failed discovery is tried
 *   again at the next sign-in. Every request to the provider gives up after OIDC_TIMEOUT_MS.
 * - What the callback must find (the PKCE verifier, the state, the nonce, where to go next) is
 *   kept in Postgres under the SHA-256 of a random value that only the browser's cookie holds,
 *   for ten minutes, and taken away as it is read: a callback replayed or forged is refused.
 * - A person signs in when the provider says their email is verified and it is an active
 *   account's (case-insensitive), never an agency's email-link user, within OIDC_ALLOWED_DOMAINS
 *   when set. No account is made by signing in.
 * - Every outcome is audited: the sign-in under the user; a refusal under the single sign-on
 *   itself, with its reason only (never the email, which is not logged either).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Env } from '../../../config/env.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { recordAudit } from '../audit/index.js';
import type { SignedInUser } from './password.service.js';
import { providerGaveSecondFactor, providerVerifiedEmail } from './sso-amr.js';
import { insertSsoSignIn, takeSsoSignIn } from './sso-sign-in.repository.js';
import { findUserByEmail } from './user.repository.js';

export const SSO_START_PATH = '/sign-in/oidc';
export const SSO_CALLBACK_PATH = '/sign-in/oidc/callback';
const SIGN_IN_MINUTES = 10;
const LINK_USER_DOMAIN = '@signpost.invalid';
/** How audit rows of refusals name who acted: no user is known, or none is named. */
export const SSO_ACTOR = 'Single sign-on';

/** Why a single sign-on was refused: the audit row's words and the page's message follow from it. */
export type SsoRefusal =
  | 'no_account' // no active account has this email (or it is an agency's email-link user)
  | 'email_unverified' // the provider did not say the email is verified, or sent none
  | 'domain_not_allowed' // the email's domain is not in OIDC_ALLOWED_DOMAINS
  | 'state_mismatch' // no sign-in waits for this browser, it ran out, was used, or the state differs
  | 'cancelled' // the person (or the provider's policy) said no at the provider
  | 'provider_error' // the provider answered with an error, or with a response that failed its checks
  | 'provider_unreachable'; // the provider did not answer in time, or could not be reached

export type SsoStart = { ok: true; cookieValue: string; url: string } | { ok: false; reason: SsoRefusal };
export type SsoOutcome = { ok: true; user: SignedInUser; secondFactorDone: boolean; next: string } | { ok: false; reason: SsoRefusal; next: string };

type SsoDeps = Pick<ServiceDeps, 'db' | 'clock' | 'env' | 'logger' | 'ids'>;

/** Single sign-on is on when the issuer, the client id and the secret are set (config/env.ts holds them all or none). */
export function ssoConfigured(env: Env): boolean {
  return env.OIDC_ISSUER !== undefined && env.OIDC_CLIENT_ID !== undefined && env.OIDC_CLIENT_SECRET !== undefined;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

function sameText(a: string | null, b: string): boolean {
  if (a === null) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What went wrong with the provider, in the hub's words. */
export function refusalFor(err: unknown): SsoRefusal {
  if (err instanceof oidc.AuthorizationResponseError) return err.error === 'access_denied' ? 'cancelled' : 'provider_error';
  // fetch's own failure (refused, reset, no such host) is a TypeError; openid-client names its timeouts
  if (err instanceof TypeError) return 'provider_unreachable';
  if (err instanceof oidc.ClientError && (err.code === 'OAUTH_TIMEOUT' || err.code === 'OAUTH_ABORT')) return 'provider_unreachable';
  if (err instanceof oidc.ClientError && err.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && (err.cause as { status?: number } | undefined)?.status !== undefined && (err.cause as { status: number }).status >= 500) return 'provider_unreachable';
  return 'provider_error';
}

export class SingleSignOn {
  #config: Promise<oidc.Configuration> | undefined;

  constructor(private readonly deps: SsoDeps) {}

  get redirectUri(): string {
    return new URL(SSO_CALLBACK_PATH, this.deps.env.PUBLIC_URL).href;
  }

  /** The provider's configuration: discovered once and kept; a failure is forgotten, so the next sign-in tries again. */
  private configuration(): Promise<oidc.Configuration> {
    if (!this.#config) {
      const { env } = this.deps;
      const issuer = new URL(env.OIDC_ISSUER!);
      const found = oidc.discovery(issuer, env.OIDC_CLIENT_ID!, env.OIDC_CLIENT_SECRET!, undefined, {
        timeout: env.OIDC_TIMEOUT_MS / 1000,
        // http is refused in production by config/env.ts; it is for a provider on this machine (the tests, a demo)
        ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
      this.#config = found;
      found.catch(() => {
        if (this.#config === found) this.#config = undefined;
      });
    }
    return this.#config;
  }

  /** Starts a sign-in: the row the callback will take, and the provider's address to send the browser to. */
  async start(next: string, requestId?: string): Promise<SsoStart> {
    let config: oidc.Configuration;
    try {
      config = await this.configuration();
    } catch (err) {
      return this.refuse(refusalFor(err), requestId, err);
    }
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const cookieValue = randomBytes(32).toString('base64url');
    const now = this.deps.clock.now();
    await insertSsoSignIn(this.deps.db, { idHash: sha256(cookieValue), codeVerifier, state, nonce, next, createdAt: now, expiresAt: new Date(now.getTime() + SIGN_IN_MINUTES * 60_000) });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { ok: true, cookieValue, url: url.href };
  }

  /** The provider's answer: the person's account when they may sign in, or why not. */
  async finish(cookieValue: string | undefined, query: URLSearchParams, requestId?: string): Promise<SsoOutcome> {
    const now = this.deps.clock.now();
    const pending = cookieValue && cookieValue.length <= 100 ? await takeSsoSignIn(this.deps.db, sha256(cookieValue), now) : undefined;
    if (!pending || !sameText(query.get('state'), pending.state)) return { ...(await this.refuse('state_mismatch', requestId)), next: '' };
    const { next } = pending;
    const refused = async (reason: SsoRefusal, err?: unknown) => ({ ...(await this.refuse(reason, requestId, err)), next });

    let config: oidc.Configuration;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    const callback = new URL(this.redirectUri);
    callback.search = query.toString();
    try {
      config = await this.configuration();
      tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true });
    } catch (err) {
      return refused(refusalFor(err), err);
    }
    const claims = tokens.claims()!;
    let email: unknown = claims.email;
    let verified = providerVerifiedEmail(claims);
    if (typeof email !== 'string' || !verified) {
      // many providers put the email at the userinfo endpoint only (the ID token stays small)
      try {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        email = info.email;
        verified = providerVerifiedEmail(info);
      } catch (err) {
        return refused(refusalFor(err), err);
      }
    }
    if (typeof email !== 'string' || email.length > 254 || !verified) return refused('email_unverified');
    const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
    const allowed = this.deps.env.OIDC_ALLOWED_DOMAINS;
    if (allowed.length > 0 && !allowed.includes(domain)) return refused('domain_not_allowed');
    const user = email.toLowerCase().endsWith(LINK_USER_DOMAIN) ? undefined : await findUserByEmail(this.deps.db, email);
    if (!user || user.disabledAt) return refused('no_account');

    const secondFactorDone = this.deps.env.OIDC_TRUST_MFA && providerGaveSecondFactor(claims.amr);
    await recordAudit(this.deps.db, {
      principal: { userId: user.id, name: user.name },
      action: secondFactorDone ? 'user.sso_sign_in_mfa' : 'user.sso_sign_in',
      entity: 'user',
      entityId: user.id,
      requestId,
      at: now,
    });
    return { ok: true, user: { userId: user.id, name: user.name, role: user.role, agencyId: user.agencyId }, secondFactorDone, next };
  }

  /** Audits a refusal (its reason only) and logs it without the person's details. */
  private async refuse(reason: SsoRefusal, requestId: string | undefined, err?: unknown): Promise<{ ok: false; reason: SsoRefusal }> {
    const detail = err instanceof Error ? `${err.name}${(err as { code?: string }).code ? ` ${(err as { code?: string }).code}` : ''}` : undefined;
    this.deps.logger.info({ reason, err: detail, requestId }, 'single sign-on refused');
    // the reason is the action; the row's id names this attempt (there is no record it is about)
    await recordAudit(this.deps.db, { principal: { userId: null, name: SSO_ACTOR }, action: `sso.refused.${reason}`, entity: 'sign_in', entityId: this.deps.ids.uuid(), requestId, at: this.deps.clock.now() });
    return { ok: false, reason };
  }
}
