import { describe, expect, it } from 'vitest';
import { accessLines } from './export-view.js';

describe('the printed copy of who has seen a person', () => {
  it('groups by who, organisation and act, counts them, keeps the first and last, newest first', () => {
    const row = (at: string, who: string, action: string, organisation = 'The hub') => ({ at, who, organisation, action, entity: 'person' });
    const lines = accessLines([
      row('2026-03-01T10:00:00Z', 'Coordinator A', 'read'),
      row('2026-01-05T09:00:00Z', 'Coordinator A', 'read'),
      row('2026-02-01T12:00:00Z', 'Coordinator A', 'read'),
      row('2026-02-10T08:00:00Z', 'Coordinator A', 'person.export'),
      row('2026-04-01T08:00:00Z', 'Fire worker', 'read', 'Fire & rescue'),
    ]);
    expect(lines).toEqual([
      { who: 'Fire worker', organisation: 'Fire & rescue', what: 'Opened: person record', times: 1, first: new Date('2026-04-01T08:00:00Z'), last: new Date('2026-04-01T08:00:00Z') },
      { who: 'Coordinator A', organisation: 'The hub', what: 'Opened: person record', times: 3, first: new Date('2026-01-05T09:00:00Z'), last: new Date('2026-03-01T10:00:00Z') },
      { who: 'Coordinator A', organisation: 'The hub', what: 'Exported everything held (subject access)', times: 1, first: new Date('2026-02-10T08:00:00Z'), last: new Date('2026-02-10T08:00:00Z') },
    ]);
  });
});
