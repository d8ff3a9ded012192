/** The questionnaires module's public surface: what other modules and the composition roots may use. */
export { questionnairesApiRouter } from './api.js';
export { questionnairesApiRoutes } from './api.schemas.js';
export { questionnairePagesRouter } from './pages/questionnaires.routes.js';
export { PublishedQuestionnaires } from './questionnaire-cache.js';
export { findCurrentQuestionnaireId, insertQuestionnaire, lockQuestionnaireChanges, markQuestionnairePublished, nextQuestionnaireVersion, questionnaireExists, replaceQuestionnaireContent } from './questionnaire.repository.js';
export { currentQuestionnaire } from './questionnaire.service.js';
