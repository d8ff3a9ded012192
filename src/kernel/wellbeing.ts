/**
 * ONS4 personal wellbeing: the Office for National Statistics' four questions, each answered
 * 0 to 10 (any may be skipped), and the change between a checklist and its follow-up call.
 * Pure: no I/O.
 *
 * Change is counted on pairs: one checklist's answer and the answer at that checklist's
 * follow-up call, per measure, where both exist. Improvement is after - before, except for
 * anxiety, where a lower score is better and improvement is before - after. Means are rounded
 * to one decimal place (halves away from zero).
 */

export type WellbeingMeasure = 'life_satisfaction' | 'worthwhile' | 'happy' | 'anxious';

/** The API's and the forms' names for the four answers. */
export type WellbeingKey = 'lifeSatisfaction' | 'worthwhile' | 'happy' | 'anxious';

export interface WellbeingMeasureInfo {
  measure: WellbeingMeasure;
  key: WellbeingKey;
  /** short, for tables and reports */
  label: string;
  /** as the ONS words it */
  question: string;
  /** what 0 and 10 mean, as the ONS puts it to the person */
  scale: string;
  /** false for anxiety: a fall is an improvement */
  higherIsBetter: boolean;
}

export const WELLBEING_MEASURES: readonly WellbeingMeasureInfo[] = [
  {
    measure: 'life_satisfaction',
    key: 'lifeSatisfaction',
    label: 'Life satisfaction',
    question: 'Overall, how satisfied are you with your life nowadays?',
    scale: "0 is 'not at all' and 10 is 'completely'",
    higherIsBetter: true,
  },
  {
    measure: 'worthwhile',
    key: 'worthwhile',
    label: 'Things done in life are worthwhile',
    question: 'Overall, to what extent do you feel that the things you do in your life are worthwhile?',
    scale: "0 is 'not at all' and 10 is 'completely'",
    higherIsBetter: true,
  },
  {
    measure: 'happy',
    key: 'happy',
    label: 'Happiness yesterday',
    question: 'Overall, how happy did you feel yesterday?',
    scale: "0 is 'not at all' and 10 is 'completely'",
    higherIsBetter: true,
  },
  {
    measure: 'anxious',
    key: 'anxious',
    label: 'Anxiety yesterday',
    question: "On a scale where 0 is 'not at all anxious' and 10 is 'completely anxious', overall, how anxious did you feel yesterday?",
    scale: "0 is 'not at all anxious' and 10 is 'completely anxious'",
    higherIsBetter: false,
  },
];

/** One occasion's answers: 0-10, or null (or absent) where the person skipped the question. */
export type WellbeingScores = Partial<Record<WellbeingKey, number | null>>;

/** One checklist's answers and the answers at its follow-up call, for one person. */
export interface WellbeingPair {
  personId: string;
  before: WellbeingScores;
  after: WellbeingScores;
}

export interface WellbeingMeasureChange {
  measure: WellbeingMeasure;
  label: string;
  /** pairs with both ends for this measure */
  n: number;
  meanBefore: number | null;
  meanAfter: number | null;
  meanImprovement: number | null;
  improved: number;
  same: number;
  worse: number;
}

export interface WellbeingChange {
  /** distinct people with at least one measure answered at both ends */
  people: number;
  measures: WellbeingMeasureChange[];
}

/** Whether any of the four was answered. */
export function hasWellbeing(s: WellbeingScores | null | undefined): boolean {
  return !!s && WELLBEING_MEASURES.some((m) => typeof s[m.key] === 'number');
}

/** sum / n to one decimal place, halves away from zero (sums of whole scores, so no float drift). */
function mean1dp(sum: number, n: number): number | null {
  if (n === 0) return null;
  const tenths = (Math.abs(sum) * 10) / n;
  const r = Math.round(tenths) / 10;
  return sum < 0 ? -r : r;
}

/** One measure's pairs added up: what the report's rollup keeps per day. */
export interface WellbeingSums {
  n: number;
  sumBefore: number;
  sumAfter: number;
  improved: number;
  same: number;
  worse: number;
}

/** The change, from each measure's sums and the number of people they came from. */
export function wellbeingFromSums(people: number, sums: Partial<Record<WellbeingMeasure, WellbeingSums>>): WellbeingChange {
  const measures = WELLBEING_MEASURES.map((m) => {
    const x = sums[m.measure] ?? { n: 0, sumBefore: 0, sumAfter: 0, improved: 0, same: 0, worse: 0 };
    const sumImprovement = m.higherIsBetter ? x.sumAfter - x.sumBefore : x.sumBefore - x.sumAfter;
    return {
      measure: m.measure,
      label: m.label,
      n: x.n,
      meanBefore: mean1dp(x.sumBefore, x.n),
      meanAfter: mean1dp(x.sumAfter, x.n),
      meanImprovement: mean1dp(sumImprovement, x.n),
      improved: x.improved,
      same: x.same,
      worse: x.worse,
    };
  });
  return { people, measures };
}

export function summariseWellbeing(pairs: readonly WellbeingPair[]): WellbeingChange {
  const people = new Set<string>();
  const sums: Partial<Record<WellbeingMeasure, WellbeingSums>> = {};
  for (const m of WELLBEING_MEASURES) {
    const x: WellbeingSums = { n: 0, sumBefore: 0, sumAfter: 0, improved: 0, same: 0, worse: 0 };
    for (const p of pairs) {
      const b = p.before[m.key];
      const a = p.after[m.key];
      if (typeof b !== 'number' || typeof a !== 'number') continue;
      x.n += 1;
      x.sumBefore += b;
      x.sumAfter += a;
      const gain = m.higherIsBetter ? a - b : b - a;
      if (gain > 0) x.improved += 1;
      else if (gain < 0) x.worse += 1;
      else x.same += 1;
      people.add(p.personId);
    }
    sums[m.measure] = x;
  }
  return wellbeingFromSums(people.size, sums);
}
