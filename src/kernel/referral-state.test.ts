import { describe, expect, it } from 'vitest';
import { allowedNext, decideTransition, FHIR_TASK_STATUS, REFERRAL_STATUSES, type Actor, type ReferralStatus } from './referral-state.js';

/**
 * The lifecycle written out again, by hand, as "from -> to: actors". Every one of the
 * 13 x 13 x 3 combinations is checked against it, so a change to the table that is not also
 * made here fails.
 */
const EXPECTED = `
pending -> forwarded: system
pending -> forward_failed: system
pending -> declined: hub
pending -> rerouted: hub
pending -> cancelled: hub
forward_failed -> pending: hub
forward_failed -> declined: hub
forward_failed -> rerouted: hub
forward_failed -> cancelled: hub
forwarded -> acknowledged: agency hub
forwarded -> accepted: agency hub
forwarded -> contacted: agency hub
forwarded -> on_hold: agency hub
forwarded -> unable_to_contact: agency hub
forwarded -> declined: agency hub
forwarded -> rejected: agency hub
forwarded -> cancelled: hub
acknowledged -> accepted: agency hub
acknowledged -> contacted: agency hub
acknowledged -> on_hold: agency hub
acknowledged -> unable_to_contact: agency hub
acknowledged -> declined: agency hub
acknowledged -> rejected: agency hub
acknowledged -> cancelled: hub
accepted -> contacted: agency hub
accepted -> on_hold: agency hub
accepted -> unable_to_contact: agency hub
accepted -> declined: agency hub
accepted -> cancelled: hub
contacted -> on_hold: agency hub
contacted -> completed: agency hub
contacted -> unable_to_contact: agency hub
contacted -> declined: agency hub
contacted -> cancelled: hub
on_hold -> contacted: agency hub
on_hold -> completed: agency hub
on_hold -> unable_to_contact: agency hub
on_hold -> declined: agency hub
on_hold -> cancelled: hub
rejected -> rerouted: hub
rejected -> cancelled: hub
completed -> accepted: hub
unable_to_contact -> accepted: hub
declined -> accepted: hub
cancelled -> accepted: hub
`;

const expected = new Set(
  EXPECTED.trim()
    .split('\n')
    .flatMap((line) => {
      const [, from, to, actors] = /^(\w+) -> (\w+): (.+)$/.exec(line)!;
      return actors!.split(' ').map((a) => `${from}>${to}>${a}`);
    }),
);

// everything a rule might require, so that only legality is under test here
const FULL = { reason: 'r', outcome: 'service_provided', note: 'n', onHoldUntil: '2026-02-01', targetAgencyId: 'a', wasForwarded: true };
const ACTORS: Actor[] = ['agency', 'hub', 'system'];

describe('referral state machine', () => {
  it('allows exactly the transitions of the lifecycle, for exactly the actors named', () => {
    const actual = new Set<string>();
    for (const from of REFERRAL_STATUSES)
      for (const to of REFERRAL_STATUSES)
        for (const actor of ACTORS) {
          const d = decideTransition(from, { to, actor, ...FULL });
          if (d.ok) actual.add(`${from}>${to}>${actor}`);
          else expect(d.code).toBe('illegal_transition');
        }
    expect([...actual].sort()).toEqual([...expected].sort());
  });

  it('lists the allowed next states with an illegal move', () => {
    const d = decideTransition('forwarded', { to: 'completed', actor: 'agency', ...FULL });
    expect(d).toEqual({ ok: false, code: 'illegal_transition', from: 'forwarded', allowed: ['acknowledged', 'accepted', 'contacted', 'on_hold', 'unable_to_contact', 'declined', 'rejected'] });
    // a referral the agency has not been sent is the hub's alone
    expect(allowedNext('pending', 'agency')).toEqual([]);
    expect(allowedNext('contacted', 'agency')).toEqual(['on_hold', 'completed', 'unable_to_contact', 'declined']);
  });

  it('never moves a rerouted referral, for anyone', () => {
    for (const actor of ACTORS) expect(allowedNext('rerouted', actor)).toEqual([]);
  });

  it.each([
    ['forwarded', 'rejected', 'reason'],
    ['accepted', 'on_hold', 'reason'],
    ['contacted', 'completed', 'outcome'],
    ['accepted', 'unable_to_contact', 'note'],
    ['accepted', 'declined', 'reason'],
    ['accepted', 'cancelled', 'reason'],
    ['completed', 'accepted', 'note'],
    ['rejected', 'rerouted', 'targetAgencyId'],
  ] as [ReferralStatus, ReferralStatus, string][])('%s -> %s requires %s', (from, to, field) => {
    const d = decideTransition(from, { to, actor: 'hub', ...FULL, [field]: '  ' });
    expect(d).toMatchObject({ ok: false, code: 'missing_field', field });
  });

  it('needs an expected date to put a referral on hold', () => {
    expect(decideTransition('accepted', { to: 'on_hold', actor: 'agency', reason: 'waiting list' })).toMatchObject({ ok: false, field: 'onHoldUntil' });
  });

  it('accepts only known completion outcomes', () => {
    expect(decideTransition('contacted', { to: 'completed', actor: 'agency', outcome: 'made_up' })).toMatchObject({ ok: false, code: 'invalid_outcome' });
    expect(decideTransition('contacted', { to: 'completed', actor: 'agency', outcome: 'advice_given' })).toMatchObject({ ok: true, closes: true });
  });

  it('reopens a terminal referral only for the hub, with a note, and only if it had reached its agency', () => {
    expect(decideTransition('completed', { to: 'accepted', actor: 'agency', note: 'x' })).toMatchObject({ ok: false, code: 'illegal_transition' });
    expect(decideTransition('cancelled', { to: 'accepted', actor: 'hub', note: 'x', wasForwarded: false })).toMatchObject({ ok: false, code: 'illegal_transition' });
    expect(decideTransition('completed', { to: 'accepted', actor: 'hub', note: 'x', wasForwarded: true })).toEqual({
      ok: true,
      from: 'completed',
      to: 'accepted',
      reopen: true,
      closes: false,
    });
  });

  it('maps every status onto a FHIR Task.status', () => {
    const fhir = ['requested', 'accepted', 'in-progress', 'on-hold', 'completed', 'failed', 'cancelled', 'rejected'];
    for (const s of REFERRAL_STATUSES) expect(fhir).toContain(FHIR_TASK_STATUS[s]);
  });
});
