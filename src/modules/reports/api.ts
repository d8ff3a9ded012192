/**
 * Reports (coordinators and admins). GET /reports/referrals.csv?from=&to= streams the referrals
 * received on those London days as CSV (platform/http/csv-response.ts: BOM, CRLF, formulas
 * neutralised), one row per referral, no names or contact details. GET /reports/summary?from=&to=
 * [&agencyId=&organisationId=] gives the summary of a period and of the period before it.
 */
import { Router } from 'express';
import { sendCsv } from '../../platform/http/csv-response.js';
import { referralExportRecords, referralExportSchema } from './report-export.service.js';
import { DURATION_BUCKETS_HOURS } from './report-summary.js';
import { summaryQuerySchema, summaryReport } from './report-summary.service.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { principalOf, requestIdOf, requireRole } from '../../platform/http/guards.js';

export function reportsApiRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.get('/reports/referrals.csv', requireRole('coordinator', 'admin'), async (req, res) => {
    const q = referralExportSchema.parse(req.query);
    await sendCsv(res, `signpost-referrals-${q.from}-to-${q.to}.csv`, referralExportRecords(deps, principalOf(res), q, requestIdOf(req)));
  });
  // the summary of a period beside the period before it; a duration longer than the last bucket
  // edge (Infinity) is written as the string ">672" (hours), which JSON has no number for
  r.get('/reports/summary', requireRole('coordinator', 'admin'), async (req, res) => {
    const q = summaryQuerySchema.parse(req.query);
    const report = await summaryReport(deps, principalOf(res), q, requestIdOf(req));
    const longest = DURATION_BUCKETS_HOURS[DURATION_BUCKETS_HOURS.length - 1];
    res.type('application/json').send(JSON.stringify({ bucketEdgesHours: DURATION_BUCKETS_HOURS, ...report }, (_k, v: unknown) => (v === Number.POSITIVE_INFINITY ? `>${longest}` : v)));
  });
  return r;
}
