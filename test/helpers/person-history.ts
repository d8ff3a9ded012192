/**
 * A person with a row in every table that can hold something about a person: two checklists
 * (the second joining a live referral; ONS4 answers on the first, and on the duplicate), a merged duplicate, a likely-duplicate flag, a
 * representative's consent, referrals forwarded (with mail and a signed link), rejected (an
 * alert), late (an SLA breach) and completed, the hub's calls (a failed attempt, then the
 * outcome), a self-referral released after the hub's call (its confirmation mail to the person's
 * own address, the call note), a consent withdrawal, and reads in the audit log. The subject access export and
 * erasure tests run against it: what it builds is the reach they must cover.
 */
import { expect } from 'vitest';
import { DAY } from '../../src/kernel/clock.js';
import { createAgencyLink } from '../../src/modules/referrals/agency-link.service.js';
import { createNotification } from '../../src/modules/notifications/notification.service.js';
import { releaseSelfReferral, submitSelfReferral } from '../../src/modules/self-referral/self-referral.service.js';
import { runSweep } from '../../src/modules/sla/sla.service.js';
import type { SubmissionBody } from '../../src/modules/intake/submission.schema.js';
import type { apiClient } from './api.js';
import type { TestContext } from './context.js';
import { submissionBody, type seedChecklist, type TestUser } from './factories.js';
import { randomNhsNumber, uniqueLetters } from './people.js';
import { markForwarded, moveThrough } from './referrals.js';
import { indexPersonSearchNames } from '../../src/modules/people/index.js';

type Checklist = Awaited<ReturnType<typeof seedChecklist>>;
export interface HistoryWorld {
  ctx: TestContext;
  api: ReturnType<typeof apiClient>;
  q: Checklist;
  worker: TestUser;
  coordinator: TestUser;
  /** an agency user for each agency the history refers the person to, by question index */
  agencyOf: (questionIndex: number) => Promise<TestUser>;
}

export interface History {
  personId: string;
  mergedId: string;
  submissionIds: string[];
  referralIds: string[];
  /** everything identifying that was typed about the person, to look for after erasure */
  identifiers: string[];
  dateOfBirth: string;
  /** how many rows of other people's hold the date of birth too (the open likely duplicate's person and version rows) */
  dobHeldByOthers: number;
  person: Record<string, string>;
}

export async function buildHistory(w: HistoryWorld, dateOfBirth: string): Promise<History> {
  const { ctx, api, q, worker, coordinator } = w;
  const letters = uniqueLetters();
  const phone = () => `020 7946 ${String(1000 + Math.floor(Math.random() * 8999))}`;
  // every value unique to this person, so that finding one after erasure means it is theirs
  const person = {
    givenName: `Philippa${letters.slice(0, 4)}`,
    familyName: `Quintrell${letters}`,
    dateOfBirth,
    postcode: 'SE1 7PB',
    phone: phone(),
    email: `philippa.${letters}@example.net`,
    addressLine: `${letters.slice(0, 3)} Quintrell Gardens`,
    preferredContact: 'phone',
    language: 'Welsh',
    accessNeeds: `Hearing aid; knock loudly ${letters}`,
    nhsNumber: randomNhsNumber(),
  };
  const submit = async (yes: number[], p: Record<string, string>, consent: object = {}, wellbeing?: object) => {
    const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, yes.map((i) => q.questions[i]!.id), { person: p, consent, ...(wellbeing ? { wellbeing } : {}) }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; personId: string; referrals: { id: string; agencyId: string }[] };
  };
  // the police have a waiting list, so that the police referral has a routing record (referral_routings)
  const waitingList = await api.call('PUT', `/api/v1/agencies/${q.questions[1]!.agencyId}/capacity`, { token: coordinator.token, body: { status: 'waiting_list', waitWeeks: 3 } });
  expect(waitingList.status).toBe(200);
  // fire (0), police (1), advice (15)
  const first = await submit([0, 1, 15], person, { by: 'representative', representativeName: `Rhiannon ${letters}`, representativeRelationship: 'niece' }, { lifeSatisfaction: 4, happy: 6, anxious: 7 });
  const [fire, police, advice] = [0, 1, 15].map((i) => first.referrals.find((r) => r.agencyId === q.questions[i]!.agencyId)!);
  for (const r of [fire!, police!, advice!]) await markForwarded(ctx, r.id);
  await createAgencyLink(ctx.db, ctx, fire!.id, ctx.clock.now());
  // the forward mail, as the forward worker records it (full content names the person)
  await createNotification(ctx.db, ctx, { kind: 'forward', dedupeKey: `test-forward:${fire!.id}`, recipient: 'fire@example.org', subject: 'Signpost referral', bodyText: `Name: ${person.givenName} ${person.familyName}\nPhone: ${person.phone}`, referralId: fire!.id }, ctx.clock.now());

  const fireUser = await w.agencyOf(0);
  const policeUser = await w.agencyOf(1);
  await api.get(`/api/v1/referrals/${fire!.id}`, fireUser.token);
  await moveThrough(api, fireUser.token, fire!.id, [{ to: 'acknowledged' }, { to: 'contacted', note: `Spoke to ${person.givenName}; visit on Tuesday` }]);
  await moveThrough(api, policeUser.token, police!.id, [{ to: 'rejected', reason: `Outside our area: ${person.addressLine}` }]);
  // the advice team never makes contact: its two weeks run out, the sweep records the breach
  ctx.clock.advance(15 * DAY);
  await runSweep(ctx);

  // a second checklist joins the live fire referral and adds befriending (3)
  const secondPhone = phone();
  const second = await submit([0, 3], { ...person, phone: secondPhone });
  expect(second.personId).toBe(first.personId);

  // a duplicate typed with a typo in the family name, flagged, then merged in
  const dup = await submit([4], { ...person, nhsNumber: '', familyName: `Quintrel${letters}` }, {}, { worthwhile: 8 });
  expect(dup.personId).not.toBe(first.personId);
  const merged = await api.post(`/api/v1/people/${first.personId}/merge`, coordinator.token, { otherId: dup.personId });
  expect(merged.status).toBe(200);
  // and one more likely duplicate, left open
  // (as far as Signpost knows, another person: it shares only the birthday and postcode)
  const flagged = await submit([5], { givenName: `Pippa${letters.slice(0, 4)}`, familyName: `Quintral${letters}`, dateOfBirth, postcode: person.postcode, phone: phone(), preferredContact: 'phone' });

  // the hub's call: a failed attempt, then the person reached
  const fu = await ctx.db.selectFrom('followUps').select('id').where('submissionId', '=', first.id).executeTakeFirstOrThrow();
  expect((await api.post(`/api/v1/follow-ups/${fu.id}`, coordinator.token, { contactMade: false, note: `No answer on ${person.phone}` })).status).toBe(200);
  await moveThrough(api, fireUser.token, fire!.id, [{ to: 'completed', outcome: 'service_provided', note: 'Alarms fitted' }]);

  // a self-referral sent for them from the public page (the confirmation mailed to their own
  // address), released after the hub's call with a note; every answer "no", so its checklist closes
  const self = await submitSelfReferral(ctx, { body: submissionBody(q, [], { person }) as SubmissionBody, filledInBy: 'someone_else', formKey: `history-${letters}` });
  const item = await ctx.db.selectFrom('selfReferrals').select('id').where('reference', '=', self.reference).executeTakeFirstOrThrow();
  const hubPrincipal = { userId: coordinator.id, name: coordinator.name, role: coordinator.role, agencyId: null };
  const released = await releaseSelfReferral(ctx, hubPrincipal, item.id, submissionBody(q, [], { person }) as SubmissionBody, `Rang ${person.givenName} back on ${person.phone}; she asked for it`);
  expect(released.body.personId).toBe(first.personId);

  // consent withdrawn for the advice team
  const withdrawal = await api.post(`/api/v1/people/${first.personId}/consent-withdrawals`, coordinator.token, {
    agencyIds: [q.questions[15]!.agencyId],
    reason: `${person.givenName} says she has help already`,
    recordedAt: ctx.clock.now().toISOString(),
  });
  expect(withdrawal.status).toBe(201);
  await api.get(`/api/v1/people/${first.personId}`, coordinator.token);
  // the workers' name indexer, as it runs every few seconds: the person's names join the search's index
  await indexPersonSearchNames(ctx);

  const submissions = await ctx.db.selectFrom('submissions').select('id').where('personId', '=', first.personId).execute();
  const referrals = await ctx.db.selectFrom('referrals').select('id').where('submissionId', 'in', submissions.map((s) => s.id)).execute();
  return {
    personId: first.personId,
    mergedId: dup.personId,
    submissionIds: submissions.map((s) => s.id),
    referralIds: referrals.map((r) => r.id),
    // (not the date of birth: the likely duplicate left open, another person as far as Signpost
    // knows, shares it; see dobHeldByOthers)
    identifiers: [person.givenName, person.familyName, person.phone, person.email, person.addressLine, person.accessNeeds, person.nhsNumber, `Rhiannon ${letters}`, secondPhone, `Quintrel${letters}`],
    dateOfBirth,
    // (its people row: a person seen on one checklist has no separate version)
    dobHeldByOthers: 1,
    person: { ...person, flaggedId: flagged.personId },
  };
}

/** Closes what the history left open (so that the person may be erased): every live referral cancelled, every call made (with ONS4 answers). */
export async function closeHistory(w: HistoryWorld, h: History): Promise<void> {
  const { ctx, api, coordinator } = w;
  const res = await api.post(`/api/v1/people/${h.personId}/consent-withdrawals`, coordinator.token, { recordedAt: ctx.clock.now().toISOString() });
  expect(res.status).toBe(201);
  const open = await ctx.db
    .selectFrom('followUps')
    .select(['id', 'submissionId'])
    .where('submissionId', 'in', h.submissionIds)
    .where('status', '=', 'scheduled')
    .execute();
  for (const f of open) {
    const rs = await ctx.db.selectFrom('referrals').select(['id', 'status', 'forwardedAt']).where('submissionId', '=', f.submissionId).execute();
    const outcomes = rs.filter((r) => r.forwardedAt && !['cancelled', 'rerouted'].includes(r.status)).map((r) => ({ referralId: r.id, needsMet: 'yes' }));
    const call = await api.post(`/api/v1/follow-ups/${f.id}`, coordinator.token, { contactMade: true, outcomes, note: 'All sorted, she says', wellbeing: { lifeSatisfaction: 6, anxious: 4 } });
    expect(call.status, JSON.stringify(call.body)).toBe(200);
  }
  const still = await ctx.db.selectFrom('submissions').select(['reference', 'status']).where('id', 'in', h.submissionIds).where('status', '=', 'open').execute();
  expect(still).toEqual([]);
}
