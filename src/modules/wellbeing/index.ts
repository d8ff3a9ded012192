/** The wellbeing module's public surface: what other modules and the composition roots may use. */
export { WELLBEING_FIELDS, asksWellbeingAt, wellbeingError, wellbeingFromForm, type WellbeingAskedAt } from './pages/wellbeing-form.js';
export { deleteWellbeingOf, listWellbeingOfSubmission, moveWellbeingOnMerge, upsertFollowUpWellbeing } from './wellbeing.repository.js';
export { wellbeingChange } from './wellbeing.service.js';
