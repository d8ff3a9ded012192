/** Shared parsing of path and query parameters for the API routers. */
import { z } from 'zod';
import { badRequest } from '../../kernel/errors.js';

/** A path id must be a UUID: anything else is a 400 naming the parameter, never a 500. */
export function uuidParam(value: unknown, name = 'id'): string {
  const id = z.uuid().safeParse(value);
  if (!id.success) throw badRequest(`invalid ${name}`, [{ path: name, message: 'must be a UUID' }]);
  return id.data;
}
