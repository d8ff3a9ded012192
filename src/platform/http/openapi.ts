/**
 * The API's contract kit: each module describes its routes once, as a table of `ApiRoute`s
 * beside its api.ts (api.schemas.ts), with the same zod schemas that validate its requests and
 * the zod schemas of its replies; `openApiDocument` turns the tables into an OpenAPI 3.1
 * document (zod-openapi), so the document cannot say what the code does not do. Tests check the
 * other direction: every route Express serves is in a table, and every response the suite
 * receives matches the document (test/helpers/openapi.ts).
 */
import { z } from 'zod';
import type { Role } from '../../kernel/principal.js';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponseObject } from 'zod-openapi';

export type ApiMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One answer a route gives: a JSON body (a zod schema), another content type, or none. */
export interface ApiReply {
  description: string;
  /** the JSON body; leave out for a reply with another content type */
  schema?: z.ZodType;
  /** for a reply that is not JSON (a CSV file): its media type */
  contentType?: string;
  headers?: Record<string, { description: string; schema: z.ZodType }>;
  example?: unknown;
}

/** One route: its method and Express path under /api/v1, who may call it, its inputs and every answer it gives. */
export interface ApiRoute {
  method: ApiMethod;
  /** as Express spells it, under /api/v1: '/referrals/:id' */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** the roles that may call it; 'any' for every signed-in user (403 is added for the others); 'public' without a token */
  roles: readonly string[] | 'any' | 'public';
  /** path parameters; by default each `:name` is a UUID */
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: z.ZodType;
  bodyExample?: unknown;
  /** kept for the callers that use it; another route does the same better (the description says which) */
  deprecated?: boolean;
  /** the route's own answers: success, and the 403/404/409/422 it gives */
  replies: Record<number, ApiReply>;
}

/** GET /openapi.json: the document itself. */
export const openApiRoute: ApiRoute = {
  method: 'get',
  path: '/openapi.json',
  operationId: 'getOpenApiDocument',
  summary: 'This document: the API’s contract, OpenAPI 3.1',
  description: 'Made from the zod schemas that validate the requests and shape the replies. The reference page over it is /api/docs.',
  tag: 'Contract',
  roles: 'public',
  replies: { 200: { description: 'The OpenAPI 3.1 document.', schema: z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }) } },
};

/** A moment: a Date in TypeScript, ISO 8601 in UTC on the wire. */
export const moment = () => z.date().meta({ example: '2026-11-23T10:02:11.000Z' });
/** A London calendar day, YYYY-MM-DD. */
export const day = () => z.string().regex(/^\d{4}-\d{2}-\d{2}$/).meta({ example: '2026-11-24' });
export const roleSchema = z.enum(['link_worker', 'agency', 'coordinator', 'admin'] as const satisfies readonly Role[]);
export const uuid = () => z.uuid().meta({ example: '0194f0a4-6a3e-7c1b-9d2e-3f4a5b6c7d8e' });

/** The one error shape: every refusal and failure, from every route. */
export const apiErrorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'stable, for programs: invalid_request, not_found, invalid_transition, ...' }),
      message: z.string().meta({ description: 'for people; may change' }),
      details: z
        .union([
          z.array(
            z.looseObject({ path: z.string(), message: z.string() }).meta({
              description: 'one field: its path and what is wrong; some say more (an unknown outcome lists the `allowed` codes, an unpublishable question its `questionId`)',
            }),
          ),
          z.record(z.string(), z.unknown()),
        ])
        .optional()
        .meta({ description: 'a list of {path, message} for invalid input; on a 409 an object such as {from, allowed}' }),
    }),
    requestId: z.string().meta({ description: 'the x-request-id of the request' }),
  })
  .meta({
    id: 'Error',
    example: {
      error: { code: 'invalid_request', message: 'the request is not valid', details: [{ path: 'person.postcode', message: 'must be a UK postcode, for example SW1A 1AA' }] },
      requestId: '7d0c1f5e-2a4b-4c8d-9e0f-1a2b3c4d5e6f',
    },
  });

const errorReply = (id: string, description: string): ZodOpenApiResponseObject => ({
  id,
  description,
  content: { 'application/json': { schema: apiErrorSchema } },
});

/** Answers any route may give, whatever it is: shared components in the document. */
const SHARED: Record<number, ZodOpenApiResponseObject> = {
  400: errorReply('BadRequest', 'The request is not valid: a bad parameter or body (each field named in `details`), JSON that does not parse, nests too deep or holds too many values, or text that cannot be stored.'),
  401: errorReply('Unauthorized', 'No valid bearer token (missing, unknown, revoked, expired, or its user disabled).'),
  413: errorReply('TooLarge', 'The JSON body is over 100 kB (after inflating).'),
  500: errorReply('InternalError', 'Something went wrong; the request id finds it in the log.'),
  503: errorReply('Unavailable', 'A backing service (Postgres or Redis) is briefly unavailable; nothing was saved: retry (see Retry-After).'),
};
const FORBIDDEN = errorReply('Forbidden', 'The token’s role may not do this.');

function replyObject(r: ApiReply): ZodOpenApiResponseObject {
  const headers = r.headers ? z.object(Object.fromEntries(Object.entries(r.headers).map(([name, h]) => [name, h.schema.meta({ description: h.description })]))) : undefined;
  if (!r.schema) {
    return { description: r.description, ...(headers ? { headers } : {}), ...(r.contentType ? { content: { [r.contentType]: { schema: z.string() } } } : {}) };
  }
  return {
    description: r.description,
    ...(headers ? { headers } : {}),
    content: { [r.contentType ?? 'application/json']: { schema: r.schema, ...(r.example !== undefined ? { example: r.example } : {}) } },
  };
}

/** '/referrals/:id' as OpenAPI spells it: '/referrals/{id}'. */
export const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

function operation(route: ApiRoute): ZodOpenApiOperationObject {
  const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const params = route.params ?? (names.length ? z.object(Object.fromEntries(names.map((n) => [n, uuid()]))) : undefined);
  const who = route.roles === 'public' ? 'Anyone: no token needed.' : route.roles === 'any' ? 'Any signed-in user.' : `Roles: ${route.roles.join(', ')}.`;
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  for (const [status, reply] of Object.entries(route.replies)) {
    responses[status] = replyObject(reply);
  }
  if (route.roles !== 'any' && route.roles !== 'public') responses['403'] ??= FORBIDDEN;
  for (const [status, reply] of Object.entries(SHARED)) if (!(route.roles === 'public' && status === '401')) responses[status] ??= reply;
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: [route.description, who].filter(Boolean).join('\n\n'),
    tags: [route.tag],
    ...(route.deprecated ? { deprecated: true } : {}),
    security: route.roles === 'public' ? [] : [{ bearer: [] }],
    ...(params || route.query || route.headers ? { requestParams: { ...(params ? { path: params } : {}), ...(route.query ? { query: route.query } : {}), ...(route.headers ? { header: route.headers } : {}) } } : {}),
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: route.body, ...(route.bodyExample !== undefined ? { example: route.bodyExample } : {}) } } } }
      : {}),
    responses,
  };
}

/** An error reply the route gives besides the shared ones (404, 409, 422...), in the one error shape. */
export const errorOf = (description: string): ApiReply => ({ description, schema: apiErrorSchema });
/** 404 as every route with an id gives it. */
export const notFoundReply = (what: string): ApiReply => errorOf(`No ${what} has this id, or it is not the caller’s to see (which looks exactly the same).`);

/** The OpenAPI 3.1 document of these routes (paths under the server /api/v1). */
export function openApiDocument(routes: readonly ApiRoute[], info: { version: string }): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const key = openApiPath(route.path);
    const item = (paths[key] ??= {});
    if (item[route.method]) throw new Error(`the route ${route.method.toUpperCase()} ${route.path} is described twice`);
    item[route.method] = operation(route);
  }
  const tags = [...new Set(routes.map((r) => r.tag))].sort().map((name) => ({ name }));
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Signpost API',
        version: info.version,
        description:
          'The JSON API of Signpost, the social prescribing referral hub. Every request carries `Authorization: Bearer <token>` ' +
          '(tokens are made on /account/tokens). Every refusal and failure has one shape, `Error`. A path that is not listed ' +
          'here answers 404 with that shape. Every response carries `x-request-id`, `Cache-Control: no-store` and ' +
          '`X-Content-Type-Options: nosniff`. Made from the zod schemas that validate the requests and shape the replies.',
      },
      servers: [{ url: '/api/v1' }],
      tags,
      security: [{ bearer: [] }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token: sp_ and 43 characters.' } } },
      paths,
    },
    {
      // a Date leaves as JSON does: an ISO 8601 string
      override: ({ jsonSchema, zodSchema, io }) => {
        if (zodSchema._zod.def.type === 'date' && io === 'output') {
          jsonSchema.type = 'string';
          jsonSchema.format = 'date-time';
        }
      },
    },
  );
}
