/** The intake module's public surface: what other modules and the composition roots may use. */
export { submissionsApiRouter } from './api.js';
export { intakeApiRoutes } from './api.schemas.js';
export { resolveChannel } from './channel.service.js';
export { fingerprint } from './fingerprint.js';
export { bodyFromForm, problemsFrom, sectionTicks, type SectionTicks } from './pages/checklist-form.js';
export { linkWorkerRouter } from './pages/checklist.routes.js';
export { entryDefaults, entryFieldsFromForm, formFromBody } from './pages/hub-entry-form.js';
export { closeSubmissionIfDone } from './submission-closure.service.js';
export { getSubmission, submissionWithPromises } from './submission-read.service.js';
export { checklistProblems, consentProblems } from './submission-rules.js';
export { deleteExpiredIdempotencyKeys, eraseSubmissionConsentText, findReferralRoutings, findSubmission, findSubmissionState, forgetOtherClustersWrittenXids, movePersonSubmissions, reopenSubmission, submittedFor } from './submission.repository.js';
export { submissionBodySchema, wellbeingSchema, type SubmissionBody } from './submission.schema.js';
export { submitQuestionnaire, type SubmitResult } from './submission.service.js';
