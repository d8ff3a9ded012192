/** The sso_sign_ins table (a single sign-on waiting for the provider's answer): written here only. */
import type { Executor } from '../../platform/db/database.js';

export interface SsoSignInRow {
  idHash: Buffer;
  codeVerifier: string;
  state: string;
  nonce: string;
  next: string;
  createdAt: Date;
  expiresAt: Date;
}

/** Stores a new sign-in, and clears those that ran out (the table holds ten minutes of them). */
export async function insertSsoSignIn(db: Executor, row: SsoSignInRow): Promise<void> {
  await db.deleteFrom('ssoSignIns').where('expiresAt', '<=', row.createdAt).execute();
  await db.insertInto('ssoSignIns').values(row).execute();
}

/** Takes the sign-in away as it reads it (single use); undefined when there is none or it ran out. */
export async function takeSsoSignIn(db: Executor, idHash: Buffer, now: Date) {
  const row = await db
    .deleteFrom('ssoSignIns')
    .where('idHash', '=', idHash)
    .returning(['codeVerifier', 'state', 'nonce', 'next', 'expiresAt'])
    .executeTakeFirst();
  return row && row.expiresAt > now ? row : undefined;
}
