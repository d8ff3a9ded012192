import { describe, expect, it } from 'vitest';
import { checkAnswers, routeAnswers } from './routing.js';

const Q = [
  { id: 'q1', agencyId: 'fire' },
  { id: 'q2', agencyId: 'advice' },
  { id: 'q3', agencyId: 'falls' },
  { id: 'q4', agencyId: 'advice' },
];

describe('routing', () => {
  it('makes one referral per agency, in questionnaire order, listing every flagging question', () => {
    expect(routeAnswers(Q, { q1: false, q2: true, q3: true, q4: true })).toEqual([
      { agencyId: 'advice', questionIds: ['q2', 'q4'] },
      { agencyId: 'falls', questionIds: ['q3'] },
    ]);
  });
  it('makes none when nothing is "yes"', () => {
    expect(routeAnswers(Q, { q1: false, q2: false, q3: false, q4: false })).toEqual([]);
  });
  it('names each missing and each unknown answer', () => {
    expect(checkAnswers(Q, { q1: true, q2: false, q3: false, zz: true })).toEqual([
      { path: 'answers.q4', message: 'this question must be answered' },
      { path: 'answers.zz', message: 'not a question of this questionnaire' },
    ]);
    expect(checkAnswers(Q, { q1: true, q2: false, q3: false, q4: false })).toEqual([]);
  });
});
