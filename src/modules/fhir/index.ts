/** The FHIR module's public surface: the /fhir router the composition root mounts. */
export { fhirRouter } from './fhir.routes.js';
