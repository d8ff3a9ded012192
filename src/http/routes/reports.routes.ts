/**
 * Reports (coordinators and admins). GET /reports/referrals.csv?from=&to= streams the referrals
 * received on those London days as CSV (middleware/csv-response.ts: BOM, CRLF, formulas
 * neutralised), one row per referral, no names or contact details.
 */
import { Router } from 'express';
import { sendCsv } from '../../middleware/csv-response.js';
import { referralExportRecords, referralExportSchema } from '../../services/report-export.service.js';
import type { ServiceDeps } from '../../services/deps.js';
import { principalOf, requestIdOf, requireRole } from '../middleware/auth.js';

export function reportsRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.get('/reports/referrals.csv', requireRole('coordinator', 'admin'), async (req, res) => {
    const q = referralExportSchema.parse(req.query);
    await sendCsv(res, `signpost-referrals-${q.from}-to-${q.to}.csv`, referralExportRecords(deps, principalOf(res), q, requestIdOf(req)));
  });
  return r;
}
