/** Id and reference generation, injectable so that tests can make them predictable. */
import { randomBytes, randomUUID } from 'node:crypto';

export interface IdGenerator {
  uuid(): string;
  /** A short human reference for phone calls and the printed record, e.g. SP-7K3M-9QXD. */
  reference(): string;
}

// Crockford base32 without I, L, O, U: nothing that reads as another character over the phone.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function randomReference(): string {
  const bytes = randomBytes(8);
  let s = '';
  for (let i = 0; i < 8; i++) s += ALPHABET[bytes[i]! & 31];
  return `SP-${s.slice(0, 4)}-${s.slice(4)}`;
}

/** A referral's reference: its submission's, plus its position (SP-7K3M-9QXD-2). */
export function referralReference(submissionReference: string, index: number): string {
  return `${submissionReference}-${index + 1}`;
}

export const randomIds: IdGenerator = { uuid: randomUUID, reference: randomReference };
