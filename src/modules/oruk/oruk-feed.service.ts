/**
 * The public directory feed (/oruk): reads the agencies table alone (a count and one page, by
 * name) and the per-process capacity cache, so its cost does not grow with the hub's history.
 * No personal data is read, so nothing here is audited.
 */
import { z } from 'zod';
import { notFound } from '../../kernel/errors.js';
import { readAgencyFacts, type ServiceDeps } from '../../platform/deps.js';
import { countAgencies, findPublicAgency, pageOfPublicAgencies, type PublicAgencyRow } from '../directory/index.js';
import { organizationOf, organizationRecord, pageOf, serviceRecord } from './oruk-records.js';

export const ORUK_DEFAULT_PER_PAGE = 50;
export const ORUK_MAX_PER_PAGE = 200;

const wholeNumber = (max: number, maxWords: string) =>
  z
    .string({ message: 'must be given once, as a whole number' })
    .regex(/^[0-9]{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(1, 'must be 1 or more').max(max, maxWords));

/** `page` from 1, `per_page` from 1 to ORUK_MAX_PER_PAGE; other query parameters are ignored. */
export const orukPagingSchema = z.object({
  page: wholeNumber(1_000_000, 'must be at most 1000000').default(1),
  per_page: wholeNumber(ORUK_MAX_PER_PAGE, `must be at most ${ORUK_MAX_PER_PAGE}`).default(ORUK_DEFAULT_PER_PAGE),
});
export type OrukPaging = z.infer<typeof orukPagingSchema>;

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'env' | 'capacities'>;

/** Whether each agency is closed to new referrals now (as routing reads it). */
async function closedNow(deps: Deps): Promise<(id: string) => boolean> {
  const { capacity } = await readAgencyFacts(deps, deps.clock.now());
  return (id) => capacity.get(id)?.status === 'closed';
}

async function page(deps: Deps, paging: OrukPaging): Promise<{ rows: PublicAgencyRow[]; total: number }> {
  const [total, rows] = await Promise.all([
    countAgencies(deps.db),
    pageOfPublicAgencies(deps.db, (paging.page - 1) * paging.per_page, paging.per_page),
  ]);
  return { rows, total };
}

export async function orukServicesPage(deps: Deps, paging: OrukPaging) {
  const [{ rows, total }, closed] = await Promise.all([page(deps, paging), closedNow(deps)]);
  return pageOf(rows.map((a) => serviceRecord(a, closed(a.id))), total, paging.page, paging.per_page);
}

export async function orukOrganizationsPage(deps: Deps, paging: OrukPaging) {
  const { rows, total } = await page(deps, paging);
  return pageOf(rows.map(organizationOf), total, paging.page, paging.per_page);
}

export async function orukService(deps: Deps, id: string) {
  const a = await findPublicAgency(deps.db, id);
  if (!a) throw notFound('service');
  return serviceRecord(a, (await closedNow(deps))(a.id));
}

export async function orukOrganization(deps: Deps, id: string) {
  const a = await findPublicAgency(deps.db, id);
  if (!a) throw notFound('organization');
  return organizationRecord(a, (await closedNow(deps))(a.id));
}
