import { Router } from 'express';
import type { ServiceDeps } from '../../services/deps.js';

export function agenciesRouter(_deps: ServiceDeps): Router {
  const r = Router();
  return r;
}
