/** The JSON API's role checks: who the authenticated principal is, and whether its role may act. */
import type { Request, RequestHandler, Response } from 'express';
import { forbidden, unauthorized } from '../../kernel/errors.js';
import { HUB_ROLES, type Principal, type Role } from '../../kernel/principal.js';

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

export const HUB: readonly Role[] = HUB_ROLES;
