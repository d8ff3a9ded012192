/**
 * The agency's signed-in inbox names the person only while the referral is live: a finished
 * referral is listed with its reference, status and date, as its emailed link shows it. One rule
 * (agencySeesPerson, src/modules/referrals/referral-access.ts) for the link, the inbox and the reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agencySeesPerson } from '../src/modules/referrals/referral-access.js';
import { createAgencyLink } from '../src/modules/referrals/agency-link.service.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { apiClient } from './helpers/api.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import { markForwarded, moveThrough } from './helpers/referrals.js';
import { WebClient } from './helpers/web-client.js';

describe('agencySeesPerson: the one rule', () => {
  it('hides the person once withdrawn from the agency, and once finished except in an account’s read', () => {
    const cases: [string, boolean, 'account' | 'link' | 'inbox', boolean][] = [
      ['contacted', false, 'account', true],
      ['contacted', false, 'link', true],
      ['contacted', false, 'inbox', true],
      ['rejected', false, 'inbox', true],
      ['completed', false, 'account', true],
      ['completed', false, 'link', false],
      ['completed', false, 'inbox', false],
      ['declined', false, 'inbox', false],
      ['unable_to_contact', false, 'link', false],
      ['cancelled', false, 'account', false],
      ['rerouted', false, 'account', false],
      ['contacted', true, 'account', false],
      ['completed', true, 'account', false],
    ];
    for (const [status, withdrawn, channel, sees] of cases) expect(agencySeesPerson(status, withdrawn, channel), `${status}, withdrawn ${withdrawn}, ${channel}`).toBe(sees);
  });
});

describe("the agency's inbox", () => {
  let ctx: TestContext;
  let q: Awaited<ReturnType<typeof seedChecklist>>;
  let fire: WebUser;
  let fireToken: TestUser;
  let worker: TestUser;
  let web: WebClient;
  const api = () => apiClient(ctx.baseUrl);

  beforeAll(async () => {
    ctx = await createTestContext();
    q = await seedChecklist(ctx);
    fire = await makeWebUser(ctx, 'agency', q.questions[0]!.agencyId);
    fireToken = await makeUser(ctx, 'agency', q.questions[0]!.agencyId);
    worker = await makeUser(ctx, 'link_worker');
    web = new WebClient(ctx.baseUrl);
    expect((await web.signIn(fire.email, fire.password)).status).toBe(303);
  }, 60_000);
  afterAll(async () => {
    await ctx?.close();
  });

  async function referralFor(familyName: string) {
    const res = await api().post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id], { person: { familyName } }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const r = res.body.referrals[0] as { id: string; reference: string };
    await markForwarded(ctx, r.id);
    return { ...r, personId: res.body.personId as string };
  }

  it('names the person on a live referral and not on a finished one, as the emailed link does; the one referral opened still shows them', async () => {
    const live = await referralFor('Liveinbox');
    const done = await referralFor('Doneinbox');
    await moveThrough(api(), fireToken.token, live.id, [{ to: 'contacted', note: 'A visit booked' }]);
    await moveThrough(api(), fireToken.token, done.id, [{ to: 'contacted', note: 'Visited' }, { to: 'completed', outcome: 'service_provided' }]);
    const listAudits = async (personId: string) => (await ctx.db.selectFrom('auditLog').select('id').where('personId', '=', personId).where('action', '=', 'list').execute()).length;
    const [liveBefore, doneBefore] = [await listAudits(live.personId), await listAudits(done.personId)];

    const inbox = await web.get('/agency');
    expect(inbox.status).toBe(200);
    expect(inbox.text).toContain('Liveinbox');
    expect(inbox.text).toContain(done.reference);
    expect(inbox.text).not.toContain('Doneinbox');
    expect(inbox.text).toContain('Not shown once closed');
    expect(inbox.text).toContain('A closed referral no longer shows who it was for here.');
    // a row that names no one is no read of the person: only the live one is audited
    expect(await listAudits(live.personId)).toBe(liveBefore + 1);
    expect(await listAudits(done.personId)).toBe(doneBefore);

    // the emailed link hides her too, by the same rule
    const link = new URL(await createAgencyLink(ctx.db, ctx, done.id, ctx.clock.now())).pathname;
    const viaLink = await new WebClient(ctx.baseUrl).get(link);
    expect(viaLink.status).toBe(200);
    expect(viaLink.text).toContain(done.reference);
    expect(viaLink.text).not.toContain('Doneinbox');

    // opened signed in, the one referral still names her, and the API still lists her for the agency's system
    expect((await web.get(`/agency/referrals/${done.id}`)).text).toContain('Doneinbox');
    const listed = await api().get(`/api/v1/referrals?status=completed&limit=100`, fireToken.token);
    expect((listed.body.items as { id: string; person: { familyName: string } | null }[]).find((x) => x.id === done.id)?.person?.familyName).toBe('Doneinbox');
  });
});
