/** The capacity module's public surface: what other modules and the composition roots may use. */
export { capacityApiRouter } from './api.js';
export { capacityApiRoutes } from './api.schemas.js';
export { AgencyCapacities } from './capacity-cache.js';
export { capacityReminderLines } from './capacity-lines.js';
export { capacityLinkFor } from './capacity-link.js';
export { findCapacityRecord } from './capacity.repository.js';
export { capacityOverview } from './capacity.service.js';
export { capacityLinkRouter, capacityRouter } from './pages/capacity.routes.js';
