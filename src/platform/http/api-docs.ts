/**
 * The API's reference page at /api/docs: Swagger UI (swagger-ui-dist, no runtime dependencies)
 * reading GET /api/v1/openapi.json, with every asset served by Signpost itself, so that the page
 * asks no other host for anything (no web fonts, and the online validator badge is off).
 *
 * Its Content-Security-Policy is its own and as strict as the pages': scripts, styles and fonts
 * from this origin only (the start-up script is a file, not inline), fetches to this origin only
 * (the document, and "Try it out" against this API), images from this origin and data: URIs
 * (the viewer's icons are data: URIs in its stylesheet). No 'unsafe-inline' and no 'unsafe-eval':
 * the viewer sets its styles through the DOM, which the policy allows, and the browser test
 * (test/web/api-docs.test.ts) fails on any violation it reports.
 */
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import express, { Router } from 'express';

const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const ASSETS = ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png'];

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signpost API reference</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png">
</head>
<body>
<main id="api-reference">
<noscript><p>This reference needs JavaScript. The contract itself is <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1).</p></noscript>
</main>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/start.js"></script>
</body>
</html>
`;

const START = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#api-reference',
    validatorUrl: null,
    deepLinking: true,
    defaultModelsExpandDepth: 0,
    persistAuthorization: false
  });
});
`;

export const API_DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function apiDocsRouter(opts: { production: boolean }): Router {
  const r = Router();
  r.use((_req, res, next) => {
    res.set({ 'Content-Security-Policy': API_DOCS_CSP, 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY' });
    next();
  });
  r.get('/', (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('html').send(PAGE);
  });
  r.get('/start.js', (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('js').send(START);
  });
  const serve = express.static(SWAGGER_UI_DIR, { fallthrough: false, index: false, maxAge: opts.production ? '1d' : 0 });
  for (const name of ASSETS) r.get(`/${name}`, serve);
  return r;
}
