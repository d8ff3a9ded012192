/** The Open Referral UK module's public surface: the public feed's router and the directory import. */
export { orukRouter } from './oruk.api.js';
export { importOrukServices, type ImportReport } from './oruk-import.service.js';
