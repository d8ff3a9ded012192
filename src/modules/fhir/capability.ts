/** GET /fhir/metadata: exactly what this server does, and nothing it does not. */
import { UKCORE } from './fhir-codes.js';

const read = { code: 'read' as const };
const searchType = { code: 'search-type' as const };

export function capabilityStatement(publicUrl: string, software: { version: string }, date: string) {
  return {
    resourceType: 'CapabilityStatement' as const,
    status: 'active',
    date,
    publisher: 'Signpost',
    kind: 'instance',
    software: { name: 'Signpost', version: software.version },
    implementation: { description: 'Signpost social prescribing referral hub', url: `${publicUrl.replace(/\/$/, '')}/fhir` },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        documentation: 'The same bearer tokens and access rules as /api/v1: an agency sees only the referrals forwarded to it.',
        security: {
          cors: false,
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth', display: 'OAuth' }], text: 'Bearer token (Authorization: Bearer ...)' }],
          description: 'Every request but this one needs a bearer token; every read of personal data is audited.',
        },
        resource: [
          {
            type: 'Questionnaire',
            supportedProfile: [UKCORE('Questionnaire')],
            interaction: [read, searchType],
            searchParam: [{ name: 'status', type: 'token', documentation: 'active: the checklist in use now' }],
          },
          {
            type: 'QuestionnaireResponse',
            supportedProfile: [UKCORE('QuestionnaireResponse')],
            interaction: [
              { code: 'read' as const, documentation: 'The checklist as the create returned it: for its submitter and the hub (404 for anyone else); audited.' },
              { code: 'vread' as const, documentation: 'Its one version, 1 (the create’s Location).' },
              { code: 'create' as const, documentation: 'A completed checklist: the person as a contained Patient, the consent as a contained Consent.' },
            ],
            conditionalCreate: true,
          },
          {
            type: 'Task',
            supportedProfile: [UKCORE('Task')],
            documentation:
              'A search is sorted by the server: newest received first; with _lastUpdated, oldest change first (meta.lastUpdated, then id), so that a poller can resume from its last page’s next link, and a Task changed meanwhile comes again further on. A next link’s _cursor belongs to its own kind of search (400 on the other).',
            interaction: [read, searchType, { code: 'update' as const }, { code: 'patch' as const }],
            versioning: 'versioned-update',
            conditionalUpdate: false,
            searchParam: [
              { name: 'owner', type: 'reference', documentation: 'Organization/{agency id}' },
              { name: 'status', type: 'token', documentation: 'Task.status, comma-separated' },
              { name: 'business-status', type: 'token', documentation: 'the hub’s status, comma-separated' },
              { name: '_lastUpdated', type: 'date', documentation: 'gt only: changed after this instant; the results oldest change first' },
              { name: '_count', type: 'number', documentation: '1 to 200, 50 by default' },
            ],
          },
          { type: 'ServiceRequest', supportedProfile: [UKCORE('ServiceRequest')], interaction: [read] },
          { type: 'Patient', supportedProfile: [UKCORE('Patient')], interaction: [read] },
        ],
      },
    ],
  };
}
