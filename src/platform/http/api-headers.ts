/**
 * Headers on every API response: its bodies hold personal data, so no cache may keep them
 * (Cache-Control: no-store), and a browser must take them as the JSON they say they are.
 */
import type { RequestHandler } from 'express';

export const apiHeaders: RequestHandler = (_req, res, next) => {
  res.set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  next();
};
