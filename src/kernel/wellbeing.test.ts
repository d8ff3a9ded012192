import { describe, expect, it } from 'vitest';
import { hasWellbeing, summariseWellbeing, WELLBEING_MEASURES, type WellbeingPair } from './wellbeing.js';

describe('summariseWellbeing', () => {
  // Known pairs. Person a has two checklists; person c's two occasions share no measure.
  const pairs: WellbeingPair[] = [
    { personId: 'a', before: { lifeSatisfaction: 4, worthwhile: 5, happy: 3, anxious: 8 }, after: { lifeSatisfaction: 7, worthwhile: 5, happy: 6, anxious: 3 } },
    // happy skipped at the checklist
    { personId: 'b', before: { lifeSatisfaction: 6, worthwhile: 7, happy: null, anxious: 2 }, after: { lifeSatisfaction: 5, worthwhile: 8, happy: 7, anxious: 4 } },
    // anxiety answered only at the call
    { personId: 'a', before: { lifeSatisfaction: 2 }, after: { lifeSatisfaction: 2, anxious: 5 } },
    { personId: 'c', before: { happy: 5 }, after: { lifeSatisfaction: 6 } },
  ];

  it('counts n, means, improved, same and worse per measure, on pairs with both ends', () => {
    const s = summariseWellbeing(pairs);
    expect(s.people).toBe(2);
    expect(s.measures).toEqual([
      // 4->7, 6->5, 2->2: means 4, 14/3, improvement 2/3
      { measure: 'life_satisfaction', label: 'Life satisfaction', n: 3, meanBefore: 4, meanAfter: 4.7, meanImprovement: 0.7, improved: 1, same: 1, worse: 1 },
      { measure: 'worthwhile', label: 'Things done in life are worthwhile', n: 2, meanBefore: 6, meanAfter: 6.5, meanImprovement: 0.5, improved: 1, same: 1, worse: 0 },
      { measure: 'happy', label: 'Happiness yesterday', n: 1, meanBefore: 3, meanAfter: 6, meanImprovement: 3, improved: 1, same: 0, worse: 0 },
      // anxiety the other way round: 8->3 is 5 better, 2->4 is 2 worse
      { measure: 'anxious', label: 'Anxiety yesterday', n: 2, meanBefore: 5, meanAfter: 3.5, meanImprovement: 1.5, improved: 1, same: 0, worse: 1 },
    ]);
  });

  it('gives n 0 and null means when nothing pairs', () => {
    const s = summariseWellbeing([{ personId: 'c', before: { happy: 5 }, after: { anxious: 6 } }]);
    expect(s.people).toBe(0);
    expect(s.measures.map((m) => m.measure)).toEqual(['life_satisfaction', 'worthwhile', 'happy', 'anxious']);
    for (const m of s.measures) expect(m).toMatchObject({ n: 0, meanBefore: null, meanAfter: null, meanImprovement: null, improved: 0, same: 0, worse: 0 });
    expect(summariseWellbeing([]).measures.map((m) => m.measure)).toEqual(['life_satisfaction', 'worthwhile', 'happy', 'anxious']);
  });

  it('rounds means to one decimal place, halves away from zero', () => {
    // improvements -1, 0, 0, 0: mean -0.25 -> -0.3; befores 1, 1, 1, 2: 1.25 -> 1.3
    const worse = (b: number, a: number): WellbeingPair => ({ personId: `p${b}${a}`, before: { happy: b }, after: { happy: a } });
    const h = summariseWellbeing([worse(1, 0), worse(1, 1), worse(1, 1), worse(2, 2)]).measures.find((m) => m.measure === 'happy')!;
    expect(h).toMatchObject({ n: 4, meanBefore: 1.3, meanAfter: 1, meanImprovement: -0.3, improved: 0, same: 3, worse: 1 });
  });
});

describe('the measures', () => {
  it('word the questions as the ONS does, anxiety scored the other way round', () => {
    expect(WELLBEING_MEASURES.map((m) => m.question)).toEqual([
      'Overall, how satisfied are you with your life nowadays?',
      'Overall, to what extent do you feel that the things you do in your life are worthwhile?',
      'Overall, how happy did you feel yesterday?',
      "On a scale where 0 is 'not at all anxious' and 10 is 'completely anxious', overall, how anxious did you feel yesterday?",
    ]);
    expect(WELLBEING_MEASURES.filter((m) => !m.higherIsBetter).map((m) => m.measure)).toEqual(['anxious']);
  });

  it('knows an occasion with no answer from one with a 0', () => {
    expect(hasWellbeing({})).toBe(false);
    expect(hasWellbeing({ happy: null })).toBe(false);
    expect(hasWellbeing({ anxious: 0 })).toBe(true);
    expect(hasWellbeing(undefined)).toBe(false);
  });
});
