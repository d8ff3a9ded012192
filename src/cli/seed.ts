/**
 * Loads the demo checklist as the current questionnaire, through the agency and questionnaire
 * repositories. Ids are derived from names, so running it twice changes nothing. It never replaces a
 * questionnaire the hub has published itself.
 */
import { createHash } from 'node:crypto';
import type { OrganisationType } from '../kernel/organisation-types.js';
import type { DB } from '../platform/db/database.js';
import { SEED_AGENCIES, SEED_SECTIONS } from './seed-data.js';
import { insertOrganisationsIfMissing, insertAgenciesIfMissing } from '../modules/directory/index.js';
import { findCurrentQuestionnaireId, insertQuestionnaire, lockQuestionnaireChanges, markQuestionnairePublished, nextQuestionnaireVersion, questionnaireExists, replaceQuestionnaireContent } from '../modules/questionnaires/index.js';

/** A name-based UUID (version 5 layout over SHA-1), stable across runs and machines. */
export function seedUuid(name: string): string {
  const h = createHash('sha1').update(`signpost-seed:${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export const SEED_QUESTIONNAIRE_ID = seedUuid('questionnaire:v1');

export interface SeedResult {
  agencies: number;
  questionnaireCreated: boolean;
  questionnaireId: string;
}

/** Demo referrer organisations (made-up names for the demo's county). */
export const SEED_ORGANISATIONS: { key: string; name: string; type: OrganisationType }[] = [
  { key: 'voluntary', name: 'Community wellbeing service (demo)', type: 'voluntary_sector' },
  { key: 'fire', name: 'County fire and rescue service (demo)', type: 'fire_and_rescue' },
  { key: 'council', name: 'County council adult social care (demo)', type: 'council' },
];

export async function seedDemo(db: DB, now: Date): Promise<SeedResult> {
  return db.transaction().execute(async (trx) => {
    const agencyIds = new Map(SEED_AGENCIES.map((a) => [a.key, seedUuid(`agency:${a.key}`)]));
    const agencies = await insertAgenciesIfMissing(
      trx,
      SEED_AGENCIES.map((a) => ({ id: agencyIds.get(a.key)!, name: a.name, email: a.email, phone: a.phone, contactDays: a.contactDays ?? 14 })),
      now,
    );
    // the referrers' organisations the demo's link worker may belong to
    await insertOrganisationsIfMissing(
      trx,
      SEED_ORGANISATIONS.map((o) => ({ id: seedUuid(`organisation:${o.key}`), name: o.name, type: o.type })),
      now,
    );
    // the same lock and steps as publishing a draft from the hub's pages
    await lockQuestionnaireChanges(trx);
    if (await questionnaireExists(trx, SEED_QUESTIONNAIRE_ID)) return { agencies, questionnaireCreated: false, questionnaireId: SEED_QUESTIONNAIRE_ID };
    const hasCurrent = (await findCurrentQuestionnaireId(trx)) !== undefined;
    await insertQuestionnaire(trx, { id: SEED_QUESTIONNAIRE_ID, version: await nextQuestionnaireVersion(trx), title: 'Safe and Independent Living checklist', createdAt: now });
    await replaceQuestionnaireContent(trx, SEED_QUESTIONNAIRE_ID, {
      sections: SEED_SECTIONS.map((section, si) => ({
        id: seedUuid(`section:${si}`),
        title: section.title,
        questions: section.questions.map((q, qi) => ({ id: seedUuid(`question:${si}:${qi}`), text: q.text, agencyId: agencyIds.get(q.agency)! })),
      })),
    });
    // never replaces a questionnaire the hub has published itself
    await markQuestionnairePublished(trx, SEED_QUESTIONNAIRE_ID, now, !hasCurrent);
    return { agencies, questionnaireCreated: true, questionnaireId: SEED_QUESTIONNAIRE_ID };
  });
}
