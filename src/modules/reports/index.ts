/** The reports module's public surface: what other modules and the composition roots may use. */
export { reportsApiRouter } from './api.js';
export { reportsApiRoutes } from './api.schemas.js';
export { performanceRouter } from './pages/performance.routes.js';
export { reportsRouter } from './pages/reports.routes.js';
export { rollUpReportBacklog } from './report-summary.service.js';
