/** The follow-up module's public surface: what other modules and the composition roots may use. */
export { followUpsApiRouter } from './api.js';
export { followUpApiRoutes } from './api.schemas.js';
export { cancelFollowUpOf, countOpenFollowUps, eraseFollowUpNotes, referralsOfSubmission } from './follow-up.repository.js';
export { scheduleFollowUp } from './follow-up.service.js';
export { createFollowUpWorker } from './follow-up.worker.js';
export { followUpsRouter } from './pages/follow-ups.routes.js';
