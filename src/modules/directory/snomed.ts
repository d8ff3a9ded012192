/**
 * SNOMED CT identifiers (SCTIDs), as the SNOMED CT technical guide defines them: 6 to 18 digits,
 * no leading zero, the last a Verhoeff check digit, the two before it the partition; a concept
 * is partition 00 (an international concept) or 10 (a concept of an extension, such as the UK's).
 */
const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** Whether the digits, check digit last, pass Verhoeff's check. */
export function verhoeffValid(digits: string): boolean {
  let c = 0;
  const n = digits.length;
  for (let i = 0; i < n; i++) c = D[c]![P[i % 8]![Number(digits[n - 1 - i])]!]!;
  return c === 0;
}

/** What is wrong with a SNOMED CT concept id, or null when it is one. */
export function snomedConceptProblem(id: string): string | null {
  if (!/^[1-9][0-9]{5,17}$/.test(id)) return 'must be a SNOMED CT concept id: 6 to 18 digits';
  if (!verhoeffValid(id)) return 'its check digit does not match: a digit may be mistyped';
  const partition = id.slice(-3, -1);
  if (partition !== '00' && partition !== '10') return 'is not a concept id (its partition is not 00 or 10)';
  return null;
}
