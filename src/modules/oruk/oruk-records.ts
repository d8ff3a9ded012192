/**
 * How an agency reads in Open Referral UK (HSDS 3.0, UK profile): each agency is one
 * organization offering one service, both under the agency's own id. Only public fields: the
 * name, the description an import gave it, whether it is taking referrals (open or closed, never
 * a wait or a reopening date) and when it last changed. Never its inbox, phone, contact clock or
 * the person's fields it receives. docs/oruk.md has the mapping.
 */
import type { PublicAgencyRow } from '../directory/index.js';

/** The service statuses of the UK profile (compiled/service_list.json). */
export const ORUK_SERVICE_STATUSES = ['active', 'inactive', 'defunct', 'temporarily closed'] as const;
export type OrukServiceStatus = (typeof ORUK_SERVICE_STATUSES)[number];

/** A paused agency takes no referrals; an active one closed to new referrals today is temporarily closed. */
export function orukStatus(agency: Pick<PublicAgencyRow, 'status'>, closedNow: boolean): OrukServiceStatus {
  if (agency.status !== 'active') return 'inactive';
  return closedNow ? 'temporarily closed' : 'active';
}

export interface OrukOrganization {
  id: string;
  name: string;
  description: string;
}

export interface OrukService {
  id: string;
  organization_id: string;
  name: string;
  description?: string;
  status: OrukServiceStatus;
  last_modified: string;
}

/** The organization: ORUK requires a description; an agency without one is described by its name. */
export function organizationOf(a: PublicAgencyRow): OrukOrganization {
  return { id: a.id, name: a.name, description: a.description ?? a.name };
}

export function serviceOf(a: PublicAgencyRow, closedNow: boolean): OrukService {
  return {
    id: a.id,
    organization_id: a.id,
    name: a.name,
    ...(a.description === null ? {} : { description: a.description }),
    status: orukStatus(a, closedNow),
    last_modified: a.updatedAt.toISOString(),
  };
}

/** An item of GET /services (compiled/service_list.json), and the record of GET /services/:id. */
export function serviceRecord(a: PublicAgencyRow, closedNow: boolean) {
  return { ...serviceOf(a, closedNow), organization: organizationOf(a) };
}

/** The record of GET /organizations/:id (compiled/organization.json), with its one service. */
export function organizationRecord(a: PublicAgencyRow, closedNow: boolean) {
  return { ...organizationOf(a), services: [serviceOf(a, closedNow)] };
}

/** The UK profile's page (openapi.json, components.schemas.Page) around its contents. */
export interface OrukPage<T> {
  total_items: number;
  total_pages: number;
  page_number: number;
  size: number;
  first_page: boolean;
  last_page: boolean;
  empty: boolean;
  contents: T[];
}

export function pageOf<T>(contents: T[], totalItems: number, pageNumber: number, perPage: number): OrukPage<T> {
  const totalPages = Math.ceil(totalItems / perPage);
  return {
    total_items: totalItems,
    total_pages: totalPages,
    page_number: pageNumber,
    size: contents.length,
    first_page: pageNumber === 1,
    last_page: pageNumber >= totalPages,
    empty: contents.length === 0,
    contents,
  };
}
