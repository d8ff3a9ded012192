/** The directory module's public surface: what other modules and the composition roots may use. */
export { advanceCapacityLinkGeneration, agencyContactDays, agencyStatusesForShare, existingAgencyIds, findAgency, findCapacityLinkState, insertAgenciesIfMissing, listAgencyRows, lockCapacityLinkState } from './agency.repository.js';
export { INBOX_NOT_SET } from './agency-inbox.js';
export { countAgencies, findPublicAgency, insertImportedAgency, lockAgenciesForImport, pageOfPublicAgencies, updateImportedAgency, type ImportableAgencyRow, type PublicAgencyRow } from './agency.repository.js';
export { listAgencies, stopCapacityLinksForStaff } from './agency.service.js';
export { agenciesApiRouter } from './api/agencies.api.js';
export { directoryApiRoutes } from './api/api.schemas.js';
export { organisationsApiRouter } from './api/organisations.api.js';
export { outcomesApiRouter } from './api/outcomes.api.js';
export { findOrganisation, insertOrganisationsIfMissing } from './organisation.repository.js';
export { listOrganisations } from './organisation.service.js';
export { activeOutcomeCodes, listOutcomes } from './outcome.service.js';
export { directoryRouter } from './pages/directory.routes.js';
