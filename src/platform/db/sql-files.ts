/**
 * The database's functions and triggers, each written once, as its current state, in a .sql file
 * beside the code it serves (src/modules/<feature>/sql/*.sql, and the platform's own here in
 * sql/). Numbered migrations hold tables and data changes only; migrate applies these files after
 * them, every statement a CREATE OR REPLACE, and records each file's SHA-256 in sql_files, so a
 * database says which version of each it runs. A file is applied again when its text changed,
 * and every file is applied again whenever a migration ran (a migration going down and up may
 * have dropped or replaced what a file defines). All in one transaction, under an advisory lock,
 * so two processes starting at once apply them once.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';

const PLATFORM_SQL = fileURLToPath(new URL('./sql/', import.meta.url));
const MODULES = fileURLToPath(new URL('../../modules/', import.meta.url));
/** The advisory lock that keeps two appliers apart ('SQLF'). */
const LOCK_KEY = 0x53514c46;

export interface SqlFile {
  /** where it lives, from src/: 'modules/intake/sql/intake.sql' */
  name: string;
  text: string;
  checksum: string;
}

const sqlIn = (dir: string, prefix: string): SqlFile[] =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.sql'))
        .sort()
        .map((f) => {
          const text = readFileSync(join(dir, f), 'utf8');
          return { name: `${prefix}${f}`, text, checksum: createHash('sha256').update(text).digest('hex') };
        })
    : [];

/** Every SQL file, in the order they are applied: the platform's first, then each module's by name. */
export function sqlFiles(): SqlFile[] {
  return [
    ...sqlIn(PLATFORM_SQL, 'platform/db/sql/'),
    ...readdirSync(MODULES)
      .sort()
      .flatMap((m) => sqlIn(join(MODULES, m, 'sql'), `modules/${m}/sql/`)),
  ];
}

/** Applies the files whose text changed since they were applied (every file with `all`); returns their names. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function applySqlFiles(db: Kysely<any>, opts: { all: boolean }): Promise<string[]> {
  const files = sqlFiles();
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${LOCK_KEY})`.execute(trx);
    const { rows } = await sql<{ name: string; checksum: string }>`SELECT name, checksum FROM sql_files`.execute(trx);
    const applied = new Map(rows.map((r) => [r.name, r.checksum]));
    const due = files.filter((f) => opts.all || applied.get(f.name) !== f.checksum);
    for (const f of due) {
      await sql.raw(f.text).execute(trx);
      await sql`
        INSERT INTO sql_files (name, checksum, applied_at) VALUES (${f.name}, ${f.checksum}, now())
        ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = excluded.applied_at`.execute(trx);
    }
    return due.map((f) => f.name);
  });
}
