/** The clocks module's public surface: what other modules and the composition roots may use. */
export { insertBreaches, resolveBreach, resolveMissedBreaches, type BreachCandidate } from './breach.repository.js';
export { HolidayCalendar, importHolidayCalendar } from './holiday-calendar.js';
export { registerBreachMetrics } from './breach.metrics.js';
