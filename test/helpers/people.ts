/**
 * Made-up people that the intake's person matching (kernel/person-match.ts) tells apart: names
 * are matched on their letters only, so a number in a test name ("Test-12") does not make it
 * another person; these give each person letters of their own and a date of birth of their own.
 */
import { randomInt } from 'node:crypto';

/** 0 → "a", 25 → "z", 26 → "ba" …: a name part made of letters only. */
export function lettersOf(n: number): string {
  let s = '';
  let x = n;
  do {
    s = String.fromCharCode(97 + (x % 26)) + s;
    x = Math.floor(x / 26);
  } while (x > 0);
  return s;
}

/** Eight random letters: two people made with it share a family name one time in 200 billion. */
export function uniqueLetters(): string {
  return lettersOf(randomInt(26 ** 6, 26 ** 7 * 25));
}

/** A date of birth between 1926 and 1955, random: checklists for made-up people rarely share one. */
export function randomDateOfBirth(): string {
  return new Date(Date.UTC(1926, 0, 1) + randomInt(0, 30 * 365) * 86_400_000).toISOString().slice(0, 10);
}

/** A valid NHS number (its Modulus 11 check digit right), random: tests rarely share one. */
export function randomNhsNumber(): string {
  for (;;) {
    const nine = Array.from({ length: 9 }, () => randomInt(0, 10));
    const sum = nine.reduce((s, d, i) => s + d * (10 - i), 0);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    return [...nine, check === 11 ? 0 : check].join('');
  }
}

/**
 * A made-up person the intake will not match to anyone else a benchmark or test made: letters of
 * their own in both names and a random date of birth (kernel/person-match.ts matches on letters
 * only, so "Person 1" and "Person 2" would be one person).
 */
export function distinctPerson(): { givenName: string; familyName: string; dateOfBirth: string; postcode: string; phone: string; preferredContact: 'phone' } {
  return { givenName: `Bench${uniqueLetters()}`, familyName: `Person${uniqueLetters()}`, dateOfBirth: randomDateOfBirth(), postcode: 'SE1 7PB', phone: '020 7946 0123', preferredContact: 'phone' };
}
