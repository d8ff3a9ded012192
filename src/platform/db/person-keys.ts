/**
 * Who a person is, for locking and reading: the one lock order every writer keeps, and the ids a
 * person's record spans (the records merged into it). Shared by the intake (in SQL), erasure and
 * retention, consent withdrawals, referral transitions and the hub's calls, so it lives below them all.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from './database.js';

/** The person's id and the ids of every record merged into it. */
export async function personIdsOf(db: Executor, personId: string): Promise<string[]> {
  const merged = await db.selectFrom('people').select('id').where('mergedInto', '=', personId).execute();
  return [personId, ...merged.map((m) => m.id)];
}

/**
 * The person lock: a transaction-level advisory lock per date of birth, the one the intake
 * function takes before it matches a person (migrations: signpost_intake), keyed alike
 * ('signpost-person:' || dob::text, computed by Postgres on both sides). Whoever takes it, takes
 * it BEFORE any row lock of the person: the intake (one date), erasure and retention (every date
 * of the person and of the records merged into it, in date order), a referral's change (shared).
 * One order everywhere, so none of them can deadlock with another.
 */
const personLockKey = (dob: RawBuilder<unknown>) => sql`hashtextextended('signpost-person:' || ${dob}::text, 0)`;

/** The dates of birth of the person's row and of every row merged into it, in order (YYYY-MM-DD). */
export async function datesOfBirthOf(db: Executor, personId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('people')
    .select('dateOfBirth')
    .distinct()
    .where((e) => e.or([e('id', '=', personId), e('mergedInto', '=', personId)]))
    .where('dateOfBirth', 'is not', null)
    .orderBy('dateOfBirth')
    .execute();
  return rows.map((r) => r.dateOfBirth!);
}

/** Waits for the person lock of each date, one after another in the order given (sorted). */
export async function lockDatesOfBirth(trx: Executor, dates: string[]): Promise<void> {
  for (const d of dates) await sql`SELECT pg_advisory_xact_lock(${personLockKey(sql`${d}::date`)})`.execute(trx);
}

/** Takes the person lock of each date if it is free now: false (and some may be held) if one is not. Never waits. */
export async function tryLockDatesOfBirth(trx: Executor, dates: string[]): Promise<boolean> {
  for (const d of dates) {
    const { rows } = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${personLockKey(sql`${d}::date`)}) AS ok`.execute(trx);
    if (!rows[0]!.ok) return false;
  }
  return true;
}

/**
 * Whether the person a checklist belongs to is erased, read under the person lock taken SHARED
 * (so changes to different referrals of one person do not wait for each other, but an erasure or
 * an intake for the person does): an erasure either committed before this returns, or starts
 * after this transaction ends. Two statements: the second reads after the wait.
 */
export async function personOfSubmissionErased(trx: Executor, submissionId: string): Promise<boolean> {
  await sql`
    SELECT pg_advisory_xact_lock_shared(${personLockKey(sql`p.date_of_birth`)})
      FROM submissions s JOIN people p ON p.id = s.person_id
     WHERE s.id = ${submissionId} AND p.date_of_birth IS NOT NULL`.execute(trx);
  return (await lockPersonOfSubmission(trx, submissionId))?.erasedAt != null;
}

/**
 * The person a checklist belongs to, locked (FOR NO KEY UPDATE) before any referral, follow-up
 * or checklist row is: whatever may close or reopen a checklist changes the person's row too (the
 * submissions_person_activity trigger), and the intake, a consent withdrawal and erasure all take
 * the person before the referrals. One order for every writer, so none can deadlock another.
 */
export async function lockPersonOfSubmission(trx: Executor, submissionId: string) {
  return trx
    .selectFrom('submissions as s')
    .innerJoin('people as p', 'p.id', 's.personId')
    .select(['p.id', 'p.erasedAt'])
    .where('s.id', '=', submissionId)
    .forNoKeyUpdate('p')
    .executeTakeFirst();
}

/** Whether the person a checklist belongs to is erased (no lock: a first answer, before a transaction). */
export async function isPersonOfSubmissionErased(db: Executor, submissionId: string): Promise<boolean> {
  const row = await db
    .selectFrom('submissions as s')
    .innerJoin('people as p', 'p.id', 's.personId')
    .select('p.erasedAt')
    .where('s.id', '=', submissionId)
    .executeTakeFirst();
  return Boolean(row?.erasedAt);
}

