import { describe, expect, it } from 'vitest';
import { agenciesConsulted, checkAnswers, routeAnswers } from './routing.js';

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

describe('routing around a closed agency', () => {
  const F = [
    { id: 'q1', agencyId: 'fire', fallbackAgencyId: 'council' },
    { id: 'q2', agencyId: 'advice', fallbackAgencyId: null },
    { id: 'q3', agencyId: 'council' },
    { id: 'q4', agencyId: 'falls', fallbackAgencyId: 'advice' },
    { id: 'q5', agencyId: 'fire', fallbackAgencyId: 'council' },
  ];
  const all = { q1: true, q2: true, q3: true, q4: true, q5: true };

  it('sends a closed agency\'s questions to their fallback, merged into its referral, recording where from and until when', () => {
    const routed = routeAnswers(F, all, new Map([['fire', '2027-03-03']]));
    expect(routed).toEqual([
      { agencyId: 'council', questionIds: ['q1', 'q3', 'q5'], fallbackFor: [{ fromAgencyId: 'fire', questionIds: ['q1', 'q5'], closedUntil: '2027-03-03' }] },
      { agencyId: 'advice', questionIds: ['q2'] },
      { agencyId: 'falls', questionIds: ['q4'] },
    ]);
  });

  it('keeps a question with its closed agency when it has no fallback, and says why', () => {
    expect(routeAnswers(F, { ...all, q1: false, q4: false, q5: false, q3: false }, new Map([['advice', '2027-01-10']]))).toEqual([
      { agencyId: 'advice', questionIds: ['q2'], held: [{ questionId: 'q2', reason: 'no_fallback' }] },
    ]);
  });

  it('keeps it too when the fallback is closed as well', () => {
    const routed = routeAnswers(F, { ...all, q1: false, q2: false, q3: false, q5: false }, new Map([['falls', '2027-01-10'], ['advice', '2027-02-01']]));
    expect(routed).toEqual([{ agencyId: 'falls', questionIds: ['q4'], held: [{ questionId: 'q4', reason: 'fallback_closed' }] }]);
  });

  it('changes nothing while every agency is open, and names the agencies a routing depends on', () => {
    expect(routeAnswers(F, all)).toEqual(routeAnswers(F, all, new Map([['nobody', '2027-01-01']])));
    expect(agenciesConsulted(F, { q1: true, q2: false, q3: false, q4: true, q5: false }).sort()).toEqual(['advice', 'council', 'falls', 'fire']);
  });
});
