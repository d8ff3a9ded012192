/** The referrals module's public surface: what other modules and the composition roots may use. */
export { revokeLinksOfReferrals } from './agency-link.repository.js';
export { createAgencyLink } from './agency-link.service.js';
export { referralsApiRouter } from './api.js';
export { referralsApiRoutes } from './api.schemas.js';
export { replanHeldReferrals, retimeHeldForwards } from './held-referral.service.js';
export { agencyLinkRouter } from './pages/agency-link.routes.js';
export { agencyRouter } from './pages/agency.routes.js';
export { hubReferralsRouter } from './pages/hub.routes.js';
export { renderConsentWithdrawnMail, renderEndedWhileSendingMail } from './referral-ended-mail.js';
export { appendReferralEvent, countHeldReferrals, eraseEventText, eraseForwardErrors, findReferralStatus, listEventsOfReferrals, listReferralsAwaitingContactDueBy, lockForRecordingForward, lockLiveReferralsOfPerson, markFollowedUp, markSentAfterEnding, recordForwardAttempt, referralsWithParties, setFollowUpDueOnForwardedReferrals, updateReferralIfStatus } from './referral.repository.js';
export { getReferralWithPersonId, getReferralsWithPersonId, listReferrals, transitionReferral, transitionSchema, type ReferralDetailWithPerson, type ReferralListItem, type TransitionInput } from './referral.service.js';
export { getPersonForActor } from './referral-person.service.js';
export { applyReferralStep, type ReferralStep, type StepOutcome } from './referral-step.js';
export { registerReferralMetrics } from './referral.metrics.js';
