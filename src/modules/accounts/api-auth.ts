/** Bearer-token authentication for the JSON API: the principal a request acts as, from its header alone. */
import type { RequestHandler } from 'express';
import { unauthorized } from '../../kernel/errors.js';
import type { TokenVerifier } from './auth.service.js';

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
