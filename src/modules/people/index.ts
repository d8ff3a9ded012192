/** The people module's public surface: what other modules and the composition roots may use. */
export { peopleApiRouter } from './api.js';
export { peopleApiRoutes } from './api.schemas.js';
export { runRetention } from './erasure.service.js';
export { indexPersonSearchNames } from './person.service.js';
export { registerPersonSearchIndexMetrics } from './person-search.metrics.js';
export { checklistRecordRouter } from './pages/checklist-record.routes.js';
export { peopleRouter } from './pages/people.routes.js';
