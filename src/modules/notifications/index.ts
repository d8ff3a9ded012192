/** The notifications module's public surface: what other modules and the composition roots may use. */
export { resolveReferralAlerts } from './alert.repository.js';
export { raiseAlert } from './alert.service.js';
export { busyError, claimForSending, sendClaimed } from './delivery.service.js';
export { ensureForwardNotification, eraseNotificationBodies, forgetRecipient, linkNotificationToSubmission, listNotificationRows, markForwardNotificationUnsent, requeueFailedForwardNotification } from './notification.repository.js';
export { createNotification, dispatchNotifications } from './notification.service.js';
export { mailRouter } from './pages/mail.routes.js';
export { createSendNotificationWorker } from './send-notification.worker.js';
export { registerMailMetrics } from './notification.metrics.js';
