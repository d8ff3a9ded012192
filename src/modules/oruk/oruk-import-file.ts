/**
 * Reading an Open Referral UK services page (the body of a directory's GET /services: the page
 * fields and `contents`, items shaped as compiled/service_list.json) for `directory:import`.
 * Only what the import uses is read; every field it reads, and the page fields, are checked, and
 * each problem names its field (`contents.2.id: must be a UUID`). Other fields are let through:
 * a directory's feed carries many the hub does not keep.
 */
import { z } from 'zod';
import { badRequest, type ErrorDetail } from '../../kernel/errors.js';
import { oneLineText } from '../../kernel/text-fields.js';
import { ORUK_SERVICE_STATUSES } from './oruk-records.js';

/** A services page larger than this is refused before it is parsed. */
export const ORUK_IMPORT_MAX_BYTES = 10 * 1024 * 1024;

/** The problems a refused file lists, at most. */
const MAX_LINES = 20;

const count = z.number({ message: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative');
const flag = z.boolean({ message: 'must be true or false' });

const importedService = z.looseObject({
  id: z.uuid({ message: 'must be a UUID' }),
  name: oneLineText().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  status: z.enum(ORUK_SERVICE_STATUSES, { message: `must be one of: ${ORUK_SERVICE_STATUSES.join(', ')}` }),
  // free text: line breaks and tabs may stay, no other control character (NUL cannot be stored)
  description: z
    .string({ message: 'must be text' })
    .refine((t) => !/(?![\t\n\r])\p{Cc}/u.test(t), 'must not hold control characters other than line breaks and tabs')
    .trim()
    .max(2000, 'must be at most 2000 characters')
    .nullish(),
  organization: z.looseObject({ id: z.uuid({ message: 'must be a UUID' }), name: z.string({ message: 'must be text' }) }).nullish(),
});
export type ImportedService = z.infer<typeof importedService>;

const servicesPage = z
  .looseObject({
    total_items: count.optional(),
    total_pages: count.optional(),
    page_number: count.optional(),
    size: count.optional(),
    first_page: flag.optional(),
    last_page: flag.optional(),
    empty: flag.optional(),
    contents: z.array(importedService, { message: 'must be a list of services (the body of GET /services)' }),
  }, { message: 'must be an object: an Open Referral UK services page' })
  .superRefine((page, ctx) => {
    const seen = new Map<string, number>();
    page.contents.forEach((s, i) => {
      const first = seen.get(s.id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['contents', i, 'id'], message: `repeats the id of contents.${first}` });
      else seen.set(s.id, i);
    });
  });

/** The services of a file's text, or a 400 whose details name each bad field. */
export function parseServicesPage(text: string): ImportedService[] {
  if (Buffer.byteLength(text) > ORUK_IMPORT_MAX_BYTES) throw badRequest(`the file is larger than ${ORUK_IMPORT_MAX_BYTES / 1024 / 1024} MB`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw badRequest(`the file is not JSON: ${(err as Error).message}`);
  }
  const parsed = servicesPage.safeParse(json);
  if (!parsed.success) {
    const details: ErrorDetail[] = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(file)', message: i.message }));
    const lines = details.slice(0, MAX_LINES).map((d) => `\n  ${d.path}: ${d.message}`).join('');
    const more = details.length > MAX_LINES ? `\n  and ${details.length - MAX_LINES} more` : '';
    throw badRequest(`the file is not an Open Referral UK services page; nothing was imported:${lines}${more}`);
  }
  return parsed.data.contents;
}
