/** The sla module's public surface: what other modules and the composition roots may use. */
export { slaApiRouter } from './api.js';
export { slaApiRoutes } from './api.schemas.js';
export { dashboardRouter } from './pages/dashboard.routes.js';
export { createRemindersWorker } from './reminders.worker.js';
export { createSlaSweepWorker } from './sla-sweep.worker.js';
export { runSweep } from './sla.service.js';
export { registerDueSoonMetrics, registerSweepMetrics } from './sla.metrics.js';
