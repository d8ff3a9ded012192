/** The self-referral module's public surface: what other modules and the composition roots may use. */
export { selfReferralRouter } from './pages/self-referral.routes.js';
export { triageRouter } from './pages/triage.routes.js';
export { countClosedSelfReferralNotesDue, eraseClosedSelfReferralNotes, eraseSelfReferralNotesOf } from './self-referral.repository.js';
export { triageCounts } from './self-referral.service.js';
export { registerSelfReferralMetrics } from './self-referral.metrics.js';
