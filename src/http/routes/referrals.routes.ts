import { Router } from 'express';
import type { ServiceDeps } from '../../services/deps.js';

export function referralsRouter(_deps: ServiceDeps): Router {
  const r = Router();
  return r;
}
