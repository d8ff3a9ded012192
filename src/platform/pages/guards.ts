/**
 * The page kit's guards: security headers, CSRF checks and role guards over the signed-in user
 * that the accounts module's session middleware puts in res.locals.user. Pages are
 * server-rendered; every POST carries the session's CSRF token in `_csrf`.
 */
import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Role } from '../../kernel/principal.js';
import type { SessionUser } from '../../kernel/principal.js';
import type { Principal } from '../../kernel/principal.js';
import type { Env } from '../../../config/env.js';
import { timingSafeEqual } from 'node:crypto';
import { page } from './render.js';

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Pages hold personal data: never cached, never framed, no referrer (an agency link's token
 * must not leak to another site), no powerful browser features. The CSP allows only our own
 * scripts and styles, plus the one inline line of the NHS.UK template, by nonce. Behind https
 * (PUBLIC_URL), browsers are told to use https only (HSTS).
 */
export function securityHeaders(env: Pick<Env, 'PUBLIC_URL'>): RequestHandler {
  const https = env.PUBLIC_URL.startsWith('https:');
  return (_req, res, next) => {
    const nonce = randomBytes(16).toString('base64');
    res.locals.cspNonce = nonce;
    res.set({
      'Content-Security-Policy': [
        "default-src 'self'",
        `script-src 'self' 'nonce-${nonce}'`,
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ].join('; '),
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Permissions-Policy': 'accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()',
      ...(https ? { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' } : {}),
    });
    next();
  };
}

export function sessionUserOf(res: Response): SessionUser | undefined {
  return res.locals.user as SessionUser | undefined;
}

export function principalFromSession(res: Response): Principal {
  const u = sessionUserOf(res)!;
  return { userId: u.userId, name: u.name, role: u.role, agencyId: u.agencyId };
}

/** Signed-in users with one of the roles; others go to sign-in, or see a 403 page. */
export function requireUser(...roles: Role[]): RequestHandler {
  return (req, res, next) => {
    const u = sessionUserOf(res);
    if (!u) {
      res.redirect(303, `/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    if (roles.length && !roles.includes(u.role)) {
      page(res, 'error.njk', { title: 'You cannot see this page', message: 'Your account does not have access to this page.' }, 403);
      return;
    }
    next();
  };
}

/**
 * Every state-changing request must echo the session's CSRF token in its BODY (`_csrf`): never
 * in the URL, where logs, history and Referer headers keep it.
 */
export function checkCsrf(expected: (res: Response) => string | undefined) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const want = expected(res);
    const body = req.body as Record<string, unknown> | undefined;
    const given = body?._csrf;
    if (!want || !csrfMatches(want, given)) {
      page(res, 'error.njk', { title: 'Your form has expired', message: 'Go back, reload the page and try again.' }, 403);
      return;
    }
    next();
  };
}

/** Constant-time comparison of a submitted CSRF token with the expected one. */
export function csrfMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A safe place to go after signing in: a local path only. */
export function safeNext(next: unknown, fallback: string): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : fallback;
}

export function homeFor(role: Role): string {
  return role === 'link_worker' ? '/submissions' : role === 'agency' ? '/agency' : '/hub';
}

/**
 * A POST made by a page of this site: the browser's Sec-Fetch-Site says same-origin, or (older
 * browsers) its Origin is ours. For the header's sign-out button, whose form the NHS.UK header
 * builds without room for a hidden CSRF field.
 */
export function sameOriginOnly(env: Pick<Env, 'PUBLIC_URL'>): RequestHandler {
  const ours = new URL(env.PUBLIC_URL).origin;
  return (req, res, next) => {
    const site = req.get('sec-fetch-site');
    const origin = req.get('origin');
    const ok = site ? site === 'same-origin' : origin !== undefined && (origin === ours || origin === `${req.protocol}://${req.get('host')}`);
    if (!ok) {
      page(res, 'error.njk', { title: 'Your form has expired', message: 'Go back, reload the page and try again.' }, 403);
      return;
    }
    next();
  };
}
