import { describe, expect, it } from 'vitest';
import { capacityWords, effectiveCapacity, likelyWait, UNSAID } from './capacity.js';

const now = new Date('2027-03-02T23:30:00Z'); // 2 March in London (GMT)
const said = (over: object) => ({ ...UNSAID, confirmedAt: new Date('2027-02-20T10:00:00Z'), confirmedByLabel: 'Ann', ...over });

describe('capacity as read now', () => {
  it('reads never-said as accepting and unconfirmed', () => {
    expect(effectiveCapacity(undefined, now, 30)).toMatchObject({ status: 'accepting', unconfirmed: true });
  });
  it('is unconfirmed only after the given number of days', () => {
    expect(effectiveCapacity(said({}), now, 30).unconfirmed).toBe(false);
    expect(effectiveCapacity(said({}), new Date('2027-03-22T10:00:01Z'), 30).unconfirmed).toBe(true);
  });
  it('reopens a closed agency on its day in London, as accepting but unconfirmed', () => {
    const closed = said({ status: 'closed', closedUntil: '2027-03-03' });
    expect(effectiveCapacity(closed, now, 30)).toMatchObject({ status: 'closed', closedUntil: '2027-03-03', unconfirmed: false });
    expect(effectiveCapacity(closed, new Date('2027-03-03T00:00:00Z'), 30)).toMatchObject({ status: 'accepting', closedUntil: null, unconfirmed: true, reopened: true });
  });
  it('puts the wait into words', () => {
    expect(capacityWords({ status: 'waiting_list', waitWeeks: 6, closedUntil: null })).toBe('Waiting list: usually 6 weeks');
    expect(capacityWords({ status: 'closed', waitWeeks: null, closedUntil: '2027-03-03' }, 'Council')).toBe('Closed until 3 March 2027: referrals go to Council');
    expect(capacityWords({ status: 'closed', waitWeeks: null, closedUntil: '2027-03-03' })).toBe('Closed until 3 March 2027: referrals will wait until then');
    expect(capacityWords({ status: 'accepting', waitWeeks: null, closedUntil: null })).toBeNull();
    expect(likelyWait({ status: 'waiting_list', waitWeeks: 1, closedUntil: null })).toContain('about 1 week before');
  });
});
