/** The forwarding module's public surface: what other modules and the composition roots may use. */
export { createForwardWorker } from './forward-referral.worker.js';
export { registerForwardMetrics } from './forward.metrics.js';
