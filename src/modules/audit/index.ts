/** The audit module's public surface: what other modules and the composition roots may use. */
export { auditApiRouter } from './api.js';
export { auditApiRoutes } from './api.schemas.js';
export { takeAuditCheckpoint } from './audit-checkpoint.service.js';
export { recordAudit, recordAudits } from './audit.repository.js';
export { sealAudit, verifyAuditChain } from './audit.service.js';
export { auditRouter } from './pages/audit.routes.js';
