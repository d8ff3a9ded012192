/**
 * The contract, checked on every response the tests receive through apiClient (test/helpers/api.ts):
 * a response to an /api/v1 path must be one the OpenAPI document lists for that route and status,
 * and its body must match the document's schema (Ajv, JSON Schema 2020-12, the dialect of
 * OpenAPI 3.1). A reply that is not JSON is checked by its content type. A path the document does
 * not list may only answer as unknown paths do: 404 (401 without a valid token), in the error shape.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { openApiJson } from '../../src/api.js';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;

type Json = Record<string, any>;
interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  params: number;
  op: Json;
}

const PREFIX = '/api/v1';

let state: { doc: Json; ajv: Ajv2020; operations: Operation[]; validators: Map<string, ValidateFunction> } | undefined;

function load() {
  if (state) return state;
  const doc = JSON.parse(openApiJson()) as Json;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, 'openapi');
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths as Json)) {
    for (const [method, op] of Object.entries(item as Json)) {
      const names = template.match(/\{[^}]+\}/g) ?? [];
      const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      operations.push({ method: method.toUpperCase(), template, pattern, params: names.length, op: op as Json });
    }
  }
  // a literal segment wins over a parameter, as Express's order has it (/people/matches before /people/{id})
  operations.sort((a, b) => a.params - b.params);
  state = { doc, ajv, operations, validators: new Map() };
  return state;
}

const pointer = (...parts: string[]) => parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

function resolveResponse(doc: Json, r: Json): Json {
  if (typeof r.$ref === 'string') return resolveResponse(doc, doc.components.responses[r.$ref.split('/').pop()!]);
  return r;
}

function validatorFor(where: string): ValidateFunction {
  const s = load();
  let v = s.validators.get(where);
  if (!v) {
    v = s.ajv.compile({ $ref: `openapi#/${where}` });
    s.validators.set(where, v);
  }
  return v;
}

function validateJson(where: string, body: unknown, label: string): void {
  const v = validatorFor(where);
  if (!v(body)) {
    const problems = (v.errors ?? []).slice(0, 8).map((e) => `  ${e.instancePath || '(body)'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);
    throw new Error(`${label}: the body does not match the OpenAPI document (${where.replace(/%7B/g, '{').replace(/%7D/g, '}')}):\n${problems.join('\n')}\nbody: ${JSON.stringify(body).slice(0, 600)}`);
  }
}

/** Throws, naming the route, status and the mismatch, when this response is not in the document. */
export function checkAgainstContract(method: string, url: string, status: number, headers: Headers, body: unknown): void {
  const path = new URL(url, 'http://x').pathname;
  if (!path.startsWith(`${PREFIX}/`)) return;
  const rest = path.slice(PREFIX.length);
  const label = `${method} ${path} answered ${status}`;
  const { doc, operations } = load();
  const match = operations.find((o) => o.method === method && o.pattern.test(rest));
  const type = headers.get('content-type') ?? '';
  if (!match) {
    if (status !== 404 && status !== 401 && status !== 400 && status !== 413) {
      throw new Error(`${label}: no route ${method} ${rest} in the OpenAPI document (an unlisted path may only answer 404, or 401 without a token)`);
    }
    if (!type.includes('application/json')) throw new Error(`${label}: an error must be JSON, got content type "${type}"`);
    validateJson('components/schemas/Error', body, label);
    return;
  }
  const declared = match.op.responses as Json;
  if (!declared[String(status)]) {
    throw new Error(`${label}: the OpenAPI document lists no ${status} for ${method} ${match.template} (it lists ${Object.keys(declared).join(', ')})`);
  }
  const response = resolveResponse(doc, declared[String(status)]);
  const content = (response.content ?? {}) as Json;
  const mediaTypes = Object.keys(content);
  if (!mediaTypes.length) return;
  const media = mediaTypes.find((m) => type.startsWith(m));
  if (!media) throw new Error(`${label}: content type "${type}", but the document says ${mediaTypes.join(' or ')}`);
  if (media !== 'application/json') return;
  const where = typeof declared[String(status)].$ref === 'string'
    ? `${declared[String(status)].$ref.slice(2)}/content/${pointer('application/json')}/schema`
    : `${pointer('paths', match.template, match.method.toLowerCase(), 'responses', String(status), 'content', 'application/json')}/schema`;
  validateJson(where, body, label);
}
