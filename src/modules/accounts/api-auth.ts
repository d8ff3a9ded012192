/** Bearer-token authentication and role checks for the JSON API. */
import type { Request, RequestHandler, Response } from 'express';
import type { Role } from '../../platform/db/database.js';
import { forbidden, unauthorized } from '../../kernel/errors.js';
import type { Principal, TokenVerifier } from './auth.service.js';

export function authenticate(verifier: TokenVerifier): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw unauthorized();
    const principal = await verifier.verify(match[1]!);
    if (!principal) throw unauthorized('the bearer token is not valid');
    res.locals.principal = principal;
    next();
  };
}

export function requireRole(...roles: Role[]): RequestHandler {
  return (_req, res, next) => {
    const p = res.locals.principal as Principal | undefined;
    if (!p) throw unauthorized();
    if (!roles.includes(p.role)) throw forbidden(`this needs one of the roles: ${roles.join(', ')}`);
    next();
  };
}

export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw unauthorized();
  return p;
}

export function requestIdOf(req: Request): string | undefined {
  return req.id === undefined ? undefined : String(req.id);
}

export const HUB: Role[] = ['coordinator', 'admin'];
