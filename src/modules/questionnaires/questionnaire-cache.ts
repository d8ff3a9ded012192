/**
 * Published questionnaires are immutable (a trigger enforces it), so once read they can be kept
 * in memory for the life of the process, and intake pays no round trip for them. Whether a
 * version is still the current one is NOT cached: the intake statement checks it.
 */
import type { DB } from '../../platform/db/database.js';
import { findQuestionnaire } from './questionnaire.repository.js';
import { type QuestionnaireView } from '../../kernel/questionnaire.js';

export class PublishedQuestionnaires {
  private byId = new Map<string, Promise<QuestionnaireView | undefined>>();

  constructor(private db: DB) {}

  /** The published (or retired) version with this id, or undefined for drafts and unknown ids. */
  get(id: string): Promise<QuestionnaireView | undefined> {
    let hit = this.byId.get(id);
    if (!hit) {
      hit = findQuestionnaire(this.db, id).then((q) => (q && q.status !== 'draft' ? q : undefined));
      // only remember settled, published answers; a draft may be published later
      hit.then(
        (q) => (q ? undefined : this.byId.delete(id)),
        () => this.byId.delete(id),
      );
      this.byId.set(id, hit);
    }
    return hit;
  }
}
