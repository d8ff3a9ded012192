import { describe, expect, it } from 'vitest';
import { checklistFrom, personTimeline } from './person-timeline.js';
import type { PersonData } from './subject-access.repository.js';

const at = (iso: string) => new Date(iso);
/** Only the parts of a person's data the referral lines read; the rest empty. */
function data(referral: { heldUntil: string | null }, closedUntil: string | null, events: { fromStatus: string | null; toStatus: string }[]): PersonData {
  const r = { id: 'r1', reference: 'SP-1-1', agencyName: 'Fire & rescue', forwardDueAt: at('2026-01-06T09:00:00Z'), ...referral };
  return {
    submissions: [], versions: [], consents: [], withdrawals: [], attempts: [], outcomes: [], people: [],
    referrals: [r],
    routings: closedUntil ? [{ referralId: 'r1', closedUntil }] : [],
    events: events.map((e, i) => ({ referralId: 'r1', at: at(`2026-01-05T09:0${i}:00Z`), reason: null, outcome: null, actorLabel: 'the hub', ...e })),
  } as unknown as PersonData;
}

describe("the timeline says why a referral waits", () => {
  it('held for a closed agency: until when', () => {
    const [line] = personTimeline(data({ heldUntil: '2026-02-02' }, '2026-02-02', [{ fromStatus: null, toStatus: 'pending' }]));
    expect(line!.text).toBe('Fire & rescue: made, waiting to be sent (the agency is closed to new referrals until 2 February 2026; it is sent that day), by the hub');
  });
  it('otherwise: the day the hub promised to send it by; after a failed send: sent again', () => {
    const lines = personTimeline(data({ heldUntil: null }, null, [{ fromStatus: null, toStatus: 'pending' }, { fromStatus: 'pending', toStatus: 'forward_failed' }, { fromStatus: 'forward_failed', toStatus: 'pending' }]));
    expect(lines.map((l) => l.text)).toEqual([
      'Fire & rescue: made, waiting to be sent (the hub promised to send it to the agency by Tuesday 6 January 2026), by the hub',
      'Fire & rescue: could not be sent, by the hub',
      'Fire & rescue: to be sent again, once the agency’s email address was fixed, by the hub',
    ]);
  });
});

describe('who a checklist came from', () => {
  const base = { submittedByName: 'Coordinator A', referrerName: null, referrerOrganisationText: null, organisationName: null };
  it('the named referrer of a phone or paper checklist, then who keyed it in', () => {
    expect(checklistFrom({ ...base, channel: 'phone', referrerName: 'PC Sam Patel', organisationName: 'County fire service' })).toBe('PC Sam Patel, County fire service (by phone, entered by Coordinator A)');
    expect(checklistFrom({ ...base, channel: 'paper', referrerName: 'Mrs Okafor', referrerOrganisationText: 'Lunch club', organisationName: 'Other' })).toBe('Mrs Okafor, Lunch club (on paper, entered by Coordinator A)');
    expect(checklistFrom({ ...base, channel: 'paper' })).toBe('Coordinator A (on paper)');
  });
  it('the sender of a web or API checklist', () => {
    expect(checklistFrom({ ...base, channel: 'web', organisationName: 'Their own organisation' })).toBe('Coordinator A');
  });
});
