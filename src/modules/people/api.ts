/**
 * People (coordinators and admins): search, a person's whole record, likely duplicates and
 * merging, consent withdrawal, subject access export; erasure and legal holds (admins only).
 * Link workers may withdraw consent for a person they submitted a checklist for.
 */
import { Router } from 'express';
import type { ServiceDeps } from '../../platform/deps.js';
import { consentWithdrawalSchema, withdrawConsent } from './consent.service.js';
import { erasePerson, erasureSchema, legalHoldSchema, setPersonLegalHold } from './erasure.service.js';
import { dismissMatch, getPersonRecord, listMatches, mergePeople, mergeSchema, personSearchSchema, searchPeople } from './person.service.js';
import { exportPerson } from './subject-access.service.js';
import { HUB, principalOf, requestIdOf, requireRole } from '../../platform/http/guards.js';
import { uuidParam } from '../../platform/http/params.js';

export function peopleApiRouter(deps: ServiceDeps): Router {
  const r = Router();

  // the search's terms (names, a birthday, a postcode) in the body: a URL is logged on its way
  r.post('/people/search', requireRole(...HUB), async (req, res) => {
    const q = personSearchSchema.parse(req.body);
    res.json({ items: await searchPeople(deps, principalOf(res), q, requestIdOf(req)) });
  });

  // deprecated (the same search, its terms in the query string), kept for the callers that use it
  r.get('/people', requireRole(...HUB), async (req, res) => {
    const q = personSearchSchema.parse(req.query);
    res.json({ items: await searchPeople(deps, principalOf(res), q, requestIdOf(req)) });
  });

  r.get('/people/matches', requireRole(...HUB), async (req, res) => {
    res.json({ items: await listMatches(deps, principalOf(res), requestIdOf(req)) });
  });

  r.post('/people/matches/:id/dismiss', requireRole(...HUB), async (req, res) => {
    res.json(await dismissMatch(deps, principalOf(res), uuidParam(req.params.id), requestIdOf(req)));
  });

  r.get('/people/:id', requireRole(...HUB), async (req, res) => {
    res.json(await getPersonRecord(deps, principalOf(res), uuidParam(req.params.id), requestIdOf(req)));
  });

  r.get('/people/:id/export', requireRole(...HUB), async (req, res) => {
    const id = uuidParam(req.params.id);
    const data = await exportPerson(deps, principalOf(res), id, requestIdOf(req));
    res.attachment(`signpost-person-${id}.json`).json(data);
  });

  r.post('/people/:id/merge', requireRole(...HUB), async (req, res) => {
    const id = uuidParam(req.params.id);
    const body = mergeSchema.parse(req.body ?? {});
    res.json(await mergePeople(deps, principalOf(res), id, body.otherId, requestIdOf(req)));
  });

  r.post('/people/:id/consent-withdrawals', requireRole('link_worker', ...HUB), async (req, res) => {
    const id = uuidParam(req.params.id);
    const body = consentWithdrawalSchema.parse(req.body ?? {});
    res.status(201).json(await withdrawConsent(deps, principalOf(res), id, body, requestIdOf(req)));
  });

  r.post('/people/:id/erasure', requireRole('admin'), async (req, res) => {
    const id = uuidParam(req.params.id);
    const body = erasureSchema.parse(req.body ?? {});
    res.json(await erasePerson(deps, principalOf(res), id, body, requestIdOf(req)));
  });

  r.put('/people/:id/legal-hold', requireRole('admin'), async (req, res) => {
    const id = uuidParam(req.params.id);
    const body = legalHoldSchema.parse(req.body ?? {});
    res.json(await setPersonLegalHold(deps, principalOf(res), id, body, requestIdOf(req)));
  });

  r.delete('/people/:id/legal-hold', requireRole('admin'), async (req, res) => {
    res.json(await setPersonLegalHold(deps, principalOf(res), uuidParam(req.params.id), null, requestIdOf(req)));
  });

  return r;
}
