/**
 * The API's contract (docs/api.md "The contract"): the OpenAPI 3.1 document is valid, served
 * without a token, covers exactly the routes Express serves under /api/v1, and the checker
 * that every apiClient response passes through (test/helpers/openapi.ts) refuses what the
 * document does not say.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRouter, apiRoutes, openApiJson } from '../src/api.js';
import { openApiPath } from '../src/platform/http/openapi.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { apiClient } from './helpers/api.js';
import { checkAgainstContract } from './helpers/openapi.js';
import { makeUser } from './helpers/factories.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every route in the router's stack, as 'GET /referrals/:id' (module routers are mounted without a path). */
function servedRoutes(router: Router): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.push(`${method.toUpperCase()} ${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((router as unknown as { stack: Layer[] }).stack);
  return out;
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(openApiJson()));
    expect(result.errors ?? [], 'the validator’s findings').toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('is served at /api/v1/openapi.json without a token, and is the document the tests check against', async () => {
    const res = await apiClient(ctx.baseUrl).get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual(JSON.parse(openApiJson()));
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('describes exactly the /api/v1 routes Express serves', () => {
    const served = new Set(servedRoutes(apiRouter(ctx)));
    const documented = new Set(apiRoutes.map((r) => `${r.method.toUpperCase()} ${r.path}`));
    const missing = [...served].filter((r) => !documented.has(r)).sort();
    const extra = [...documented].filter((r) => !served.has(r)).sort();
    expect(
      missing,
      `Express serves these /api/v1 routes that the OpenAPI document lacks: describe each in its module's api.schemas.ts and add the module's routes to apiRoutes in src/api.ts:\n  ${missing.join('\n  ')}\n`,
    ).toEqual([]);
    expect(extra, `the OpenAPI document describes these routes that Express does not serve:\n  ${extra.join('\n  ')}\n`).toEqual([]);
    expect(served.size).toBeGreaterThan(35);
    // and the document holds each of them once, under its OpenAPI path
    const doc = JSON.parse(openApiJson());
    for (const r of apiRoutes) expect(doc.paths[openApiPath(r.path)]?.[r.method], `${r.method} ${r.path}`).toBeDefined();
  });

  it('gives every route the shared error answers, bearer security (but the document itself), and an example of the error shape', () => {
    const doc = JSON.parse(openApiJson());
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const statuses = Object.keys(op.responses);
        for (const s of ['400', '413', '500', '503']) expect(statuses, `${method} ${path}`).toContain(s);
        if (path === '/openapi.json') expect(op.security).toEqual([]);
        else expect(statuses, `${method} ${path}`).toContain('401');
        expect(statuses.some((s) => s.startsWith('2')), `${method} ${path} has a success`).toBe(true);
      }
    }
    expect(doc.components.schemas.Error.example.error.code).toBe('invalid_request');
  });
});

describe('the contract checker (every apiClient response passes through it)', () => {
  const json = new Headers({ 'content-type': 'application/json; charset=utf-8' });
  const error = { error: { code: 'not_found', message: 'referral not found' }, requestId: 'r1' };

  it('refuses a status the document does not list for the route', () => {
    expect(() => checkAgainstContract('GET', '/api/v1/agencies', 418, json, error)).toThrow(/lists no 418 for GET \/agencies/);
  });

  it('refuses a body that does not match the route’s schema, naming the field', () => {
    expect(() => checkAgainstContract('GET', '/api/v1/agencies', 200, json, { items: [{ id: 'not-a-uuid', name: 'A' }] })).toThrow(/\/items\/0/);
    expect(() => checkAgainstContract('GET', '/api/v1/agencies', 200, json, { items: [], extra: true })).toThrow(/additional/);
    expect(() => checkAgainstContract('GET', '/api/v1/referrals/0194f0a4-6a3e-7c1b-9d2e-3f4a5b6c7d8e', 404, json, { message: 'no' })).toThrow(/does not match/);
  });

  it('refuses a route the document lacks unless it answers as an unknown path does', () => {
    expect(() => checkAgainstContract('GET', '/api/v1/webhook-subscriptions', 200, json, { items: [] })).toThrow(/no route GET \/webhook-subscriptions/);
    expect(() => checkAgainstContract('GET', '/api/v1/no-such-thing', 404, json, error)).not.toThrow();
  });

  it('checks a reply that is not JSON by its content type', () => {
    expect(() => checkAgainstContract('GET', '/api/v1/reports/referrals.csv?from=2026-01-01&to=2026-01-31', 200, new Headers({ 'content-type': 'text/csv; charset=utf-8' }), 'a,b')).not.toThrow();
    expect(() => checkAgainstContract('GET', '/api/v1/reports/referrals.csv', 200, json, {})).toThrow(/content type/);
  });

  it('passes real answers: a list, an unknown path, a missing token and a bad body', async () => {
    const api = apiClient(ctx.baseUrl);
    const hub = await makeUser(ctx, 'coordinator');
    expect((await api.get('/api/v1/agencies', hub.token)).status).toBe(200);
    expect((await api.get('/api/v1/no-such-thing', hub.token)).status).toBe(404);
    expect((await api.get('/api/v1/agencies')).status).toBe(401);
    expect((await api.post('/api/v1/organisations', hub.token, { name: '', type: 'pirates' })).status).toBe(400);
    expect((await api.post('/api/v1/organisations', hub.token, '{"name": ')).status).toBe(400);
  });
});

describe('the reference page at /api/docs', () => {
  it('is served with its own assets and its own Content-Security-Policy', async () => {
    const page = await fetch(`${ctx.baseUrl}/api/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-');
    for (const src of [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)) {
      expect(src.startsWith('/'), `${src} is served by Signpost`).toBe(true);
      expect((await fetch(`${ctx.baseUrl}${src}`)).status, src).toBe(200);
    }
    expect(html).toContain('/api/docs/swagger-ui-bundle.js');
  });
});
