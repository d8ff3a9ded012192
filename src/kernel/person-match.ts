/**
 * One person across all their checklists: the keys a person is matched on, and the NHS number's
 * check digit. Pure. The matching itself runs inside the intake function
 * (migrations/2026_12_02_1100_one_person.ts), under a lock, so that two checklists for one
 * person arriving together cannot both make a new person:
 *
 *  - a SURE match links the checklist to the existing person: the same NHS number and date of
 *    birth, or the same normalised given name, family name, date of birth and postcode (unless
 *    both records carry NHS numbers that differ);
 *  - a LIKELY match makes a new person and flags the pair for a coordinator to merge or
 *    dismiss: the same NHS number with another date of birth; the same name and date of birth
 *    at another postcode (moved house); or the same date of birth and postcode with the names
 *    the other way round, a family name one typo away (two for names of 8 letters or more), or
 *    a given name one typo away (twins, spouses with one birthday and nicknames land here, for
 *    a person to judge);
 *  - anything else is a new person. Records whose NHS numbers differ are never matched.
 */

/** Letters of any script, lower case, without accents or punctuation: "O'Brien-Zoë" → "obrienzoe". */
export function normaliseName(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}]/gu, '');
}

/** "se1 7pb" → "SE17PB". */
export function normalisePostcode(s: string): string {
  return s.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/**
 * An NHS number's Modulus 11 check (NHS Data Dictionary): the first nine digits weighted 10 down
 * to 2; 11 minus the remainder of their sum by 11 is the check digit, 11 counting as 0 and 10
 * meaning the number is not valid. `digits` is the ten digits without spaces.
 */
export function nhsNumberIsValid(digits: string): boolean {
  if (!/^[0-9]{10}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === Number(digits[9]);
}
