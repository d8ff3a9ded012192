/** The audit API's contract (src/platform/http/openapi.ts): its route, query and reply. */
import { z } from 'zod';
import { moment, roleSchema, type ApiRoute } from '../../platform/http/openapi.js';
import { auditQuerySchema } from './audit.service.js';

export const auditPageSchema = z
  .object({
    items: z.array(
      z.object({
        id: z.string(),
        at: moment(),
        actor: z.object({ userId: z.uuid().nullable(), name: z.string(), role: roleSchema.nullable(), organisation: z.string() }),
        action: z.string().meta({ example: 'read' }),
        entity: z.string().meta({ example: 'referral' }),
        entityId: z.string(),
        personId: z.uuid().nullable(),
        requestId: z.string().nullable(),
        sealed: z.boolean().meta({ description: 'covered by a checkpoint of the hash chain' }),
      }),
    ),
    nextCursor: z.string().nullable().meta({ description: 'pass as `cursor` for the next page; null on the last' }),
  })
  .meta({ id: 'AuditPage' });

export const auditApiRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/audit',
    operationId: 'listAudit',
    summary: 'The audit log, newest first',
    description: 'Filtered by person (with the records merged into it), user and time; keyset pages. Reading it is audited.',
    tag: 'Audit',
    roles: ['admin'],
    query: auditQuerySchema,
    replies: { 200: { description: 'A page of audit rows.', schema: auditPageSchema } },
  },
];
