/**
 * Referral references in the order people read them: SP-7K3M-9QXD-2 before SP-7K3M-9QXD-10
 * (text order puts -10 first), and a re-routed replacement (SP-7K3M-9QXD-2R) right after the
 * referral it replaced. `column` is the qualified reference column, e.g. 'r.reference'.
 */
import { sql, type RawBuilder } from 'kysely';

export function byReference(column: string): RawBuilder<unknown> {
  const c = sql.ref(column);
  return sql`(rtrim(split_part(${c}, '-', 4), 'R'))::int, length(${c}), ${c}`;
}

/** The same order in TypeScript, for rows already read (byReference's rule: number, then length, then text). */
export function compareReferences(a: string, b: string): number {
  const n = (r: string) => Number.parseInt((r.split('-')[3] ?? '').replace(/R+$/, ''), 10) || 0;
  return n(a) - n(b) || a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
