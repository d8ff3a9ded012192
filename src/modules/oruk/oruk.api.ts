/**
 * The public, read-only Open Referral UK feed at /oruk (docs/oruk.md): no sign-in, readable
 * from any origin (Access-Control-Allow-Origin: *), JSON errors of its own (a 404 here is never
 * the pages' HTML). It is outside /api/v1, so it is not in the OpenAPI document: its contract is
 * the UK profile's.
 */
import { Router, type Request } from 'express';
import type { ServiceDeps } from '../../platform/deps.js';
import { errorHandler, notFoundHandler } from '../../platform/http/errors.js';
import { uuidParam } from '../../platform/http/params.js';
import { orukOrganization, orukOrganizationsPage, orukPagingSchema, orukService, orukServicesPage } from './oruk-feed.service.js';

const paging = (req: Request) => orukPagingSchema.parse({ page: req.query.page, per_page: req.query.per_page });

export function orukRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use((_req, res, next) => {
    // public data only: any site may read it, and a cache may keep it a minute
    res.set({ 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'public, max-age=60', 'X-Content-Type-Options': 'nosniff' });
    next();
  });
  r.get('/services', async (req, res) => {
    res.json(await orukServicesPage(deps, paging(req)));
  });
  r.get('/services/:id', async (req, res) => {
    res.json(await orukService(deps, uuidParam(req.params.id)));
  });
  r.get('/organizations', async (req, res) => {
    res.json(await orukOrganizationsPage(deps, paging(req)));
  });
  r.get('/organizations/:id', async (req, res) => {
    res.json(await orukOrganization(deps, uuidParam(req.params.id)));
  });
  r.use(notFoundHandler);
  r.use(errorHandler);
  return r;
}
