/**
 * Loads the demo checklist as the current questionnaire. Ids are derived from names, and every
 * insert is ON CONFLICT DO NOTHING, so running it twice changes nothing. It never replaces a
 * questionnaire the hub has published itself.
 */
import { createHash } from 'node:crypto';
import type { DB } from './database.js';
import { SEED_AGENCIES, SEED_SECTIONS } from './seed-data.js';

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

export async function seedDemo(db: DB, now: Date): Promise<SeedResult> {
  return db.transaction().execute(async (trx) => {
    const agencyIds = new Map(SEED_AGENCIES.map((a) => [a.key, seedUuid(`agency:${a.key}`)]));
    const inserted = await trx
      .insertInto('agencies')
      .values(
        SEED_AGENCIES.map((a) => ({
          id: agencyIds.get(a.key)!,
          name: a.name,
          email: a.email,
          phone: a.phone,
          contactDays: a.contactDays ?? 14,
          createdAt: now,
          updatedAt: now,
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .execute();

    const exists = await trx.selectFrom('questionnaires').select('id').where('id', '=', SEED_QUESTIONNAIRE_ID).executeTakeFirst();
    if (exists) return { agencies: inserted.length, questionnaireCreated: false, questionnaireId: SEED_QUESTIONNAIRE_ID };

    const hasCurrent = await trx.selectFrom('questionnaires').select('id').where('isCurrent', '=', true).executeTakeFirst();
    const maxVersion = await trx.selectFrom('questionnaires').select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
    await trx
      .insertInto('questionnaires')
      .values({
        id: SEED_QUESTIONNAIRE_ID,
        version: (maxVersion?.v ?? 0) + 1,
        title: 'Safe and Independent Living checklist',
        status: 'draft',
        createdAt: now,
      })
      .execute();
    for (const [si, section] of SEED_SECTIONS.entries()) {
      const sectionId = seedUuid(`section:${si}`);
      await trx
        .insertInto('questionnaireSections')
        .values({ id: sectionId, questionnaireId: SEED_QUESTIONNAIRE_ID, position: si + 1, title: section.title })
        .execute();
      await trx
        .insertInto('questions')
        .values(
          section.questions.map((q, qi) => ({
            id: seedUuid(`question:${si}:${qi}`),
            questionnaireId: SEED_QUESTIONNAIRE_ID,
            sectionId,
            position: qi + 1,
            text: q.text,
            agencyId: agencyIds.get(q.agency)!,
          })),
        )
        .execute();
    }
    await trx
      .updateTable('questionnaires')
      .set({ status: 'published', publishedAt: now, isCurrent: !hasCurrent })
      .where('id', '=', SEED_QUESTIONNAIRE_ID)
      .execute();
    return { agencies: inserted.length, questionnaireCreated: true, questionnaireId: SEED_QUESTIONNAIRE_ID };
  });
}
