/**
 * Page speed (`npm run bench:pages`): signs in as each role and times every page's server
 * response (request sent to last byte received, on loopback) against the compiled API, as
 * `npm start` runs it (the script builds it first), with the demo checklist and a small hub's worth
 * of referrals in every state. Prints p50 and p95 per page; the target is p95 under 50 ms on
 * this machine when idle. BENCH_ROUNDS sets the requests per page (default 100).
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadEnv } from '../../config/env.js';
import { createContext } from '../../src/context.js';
import { ensureDatabase, migrateToLatest } from '../../src/platform/db/migrate.js';
import { seedDemo } from '../../src/cli/seed.js';
import { createAgencyLink } from '../../src/modules/referrals/agency-link.service.js';
import { recordFollowUp } from '../../src/modules/follow-up/follow-up-record.service.js';
import { recordForwarded } from '../../src/modules/forwarding/forward.service.js';
import { hashPassword } from '../../src/modules/accounts/password.service.js';
import { transitionReferral } from '../../src/modules/referrals/referral.service.js';
import { submissionBodySchema } from '../../src/modules/intake/submission.schema.js';
import { submitQuestionnaire } from '../../src/modules/intake/submission.service.js';
import { createUserWithToken } from '../../src/modules/accounts/user.service.js';
import { deleteRedisPrefix } from '../helpers/context.js';
import { lettersOf } from '../helpers/people.js';
import { BenchClient } from './bench-client.js';
import { productionArgs } from './production-command.js';

const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/signpost_bench_pages';
const PREFIX = 'signpost-bench-pages';
const PORT = 3931;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 100);
const PASSWORD = 'bench pages password';
const BASE = `http://127.0.0.1:${PORT}`;

async function prepare() {
  await ensureDatabase(DB_URL);
  const env = loadEnv({ ...process.env, DATABASE_URL: DB_URL, QUEUE_PREFIX: PREFIX, LOG_LEVEL: 'silent' });
  const ctx = createContext({ env, role: 'cli' });
  try {
    await migrateToLatest(ctx.db);
    const seeded = await seedDemo(ctx.db, ctx.clock.now());
    const q = (await ctx.questionnaires.get(seeded.questionnaireId))!;
    const questions = q.sections.flatMap((s) => s.questions);
    const stamp = Date.now();
    const passwordHash = await hashPassword(PASSWORD);
    const mk = (role: 'link_worker' | 'agency' | 'coordinator' | 'admin', agencyId?: string) =>
      createUserWithToken(ctx, { role, name: `Bench ${role}`, email: `bench-pages-${role}-${stamp}@example.org`, agencyId: agencyId ?? null, passwordHash }).then((u) => ({ ...u, email: `bench-pages-${role}-${stamp}@example.org` }));
    const worker = await mk('link_worker');
    const agency = await mk('agency', questions[0]!.agencyId);
    const coordinator = await mk('coordinator');
    const admin = await mk('admin');
    const asWorker = { userId: worker.id, name: 'Bench link_worker', role: 'link_worker' as const, agencyId: null };
    const asHub = { userId: coordinator.id, name: 'Bench coordinator', role: 'coordinator' as const, agencyId: null };
    // the bench is run again and again on one database: each run's people are its own
    const run = lettersOf(stamp % 26 ** 6);
    // 60 checklists by the link worker: two thirds forwarded, some of those contacted and completed, a few calls made
    const ids: { submission: string; referrals: { id: string; agencyId: string }[] }[] = [];
    for (let i = 0; i < 60; i++) {
      const body = submissionBodySchema.parse({
        questionnaireId: q.id,
        // one person each (names and birthdays differ), except the last two: the first person again
        person: { givenName: 'Bench', familyName: `Pages-${run}-${lettersOf(i < 58 ? i : 0)}`, dateOfBirth: new Date(Date.UTC(1930, 0, 1 + 97 * (i < 58 ? i : 0))).toISOString().slice(0, 10), postcode: 'SE1 7PB', phone: '020 7946 0000', preferredContact: 'phone' },
        consent: { given: true, by: 'person', sharingAgreed: true, recordedAt: new Date().toISOString() },
        answers: Object.fromEntries(questions.map((x, k) => [x.id, k === 0 || k === (i % questions.length)])),
      });
      const r = await submitQuestionnaire(ctx, asWorker, body, { rawBody: body });
      ids.push({ submission: r.body.id, referrals: r.body.referrals });
      if (i % 3 === 2) continue;
      const agencies = new Map((await ctx.db.selectFrom('agencies').select(['id', 'email']).execute()).map((a) => [a.id, a]));
      let followUpId = '';
      for (const ref of r.body.referrals) {
        const a = agencies.get(ref.agencyId)!;
        const f = await ctx.db.transaction().execute((trx) => recordForwarded(trx, ctx, { id: ref.id, submissionId: r.body.id, contactDueAt: new Date(ref.contactDueAt) }, { messageId: `<forward-${ref.id}@bench>`, recipient: a.email }, new Date()));
        followUpId = f && f !== 'ended' ? f.followUpId : followUpId;
        if (i % 3 === 1) {
          await transitionReferral(ctx, { principal: asHub }, ref.id, { to: 'contacted', note: 'Spoke to them' });
          await transitionReferral(ctx, { principal: asHub }, ref.id, { to: 'completed', outcome: 'service_provided' });
        }
      }
      if (i % 6 === 1) await recordFollowUp(ctx, asHub, followUpId, { contactMade: true, outcomes: r.body.referrals.map((x) => ({ referralId: x.id, needsMet: 'yes' })) });
    }
    const open = ids[0]!;
    const followUp = (await ctx.db.selectFrom('followUps').select('id').where('submissionId', '=', open.submission).executeTakeFirstOrThrow()).id;
    const link = new URL(await createAgencyLink(ctx.db, ctx, open.referrals[0]!.id, new Date())).pathname;
    const personId = (await ctx.db.selectFrom('submissions').select('personId').where('id', '=', open.submission).executeTakeFirstOrThrow()).personId;
    // the export lists every read of the person: another person's, not the one whose page the
    // bench opens a hundred times (each view is several audit rows), so that it is timed as a
    // person seen a few times
    const exported = (await ctx.db.selectFrom('submissions').select('personId').where('id', '=', ids[1]!.submission).executeTakeFirstOrThrow()).personId;
    return { worker, agency, agencyId: questions[0]!.agencyId, coordinator, admin, open, followUp, link, personId, exported, questionnaireId: q.id };
  } finally {
    await ctx.close();
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  const data = await prepare();
  const api = spawn(process.execPath, productionArgs('start'), {
    env: { ...process.env, DATABASE_URL: DB_URL, QUEUE_PREFIX: PREFIX, PORT: String(PORT), LOG_LEVEL: 'warn', NODE_ENV: 'production', SESSION_SECRET: 'bench-session-secret-0123456789-abcdefghij', MFA_KEY: 'bench-mfa-key-0123456789-abcdefghijklmnop', MFA_REQUIRED_ROLES: '', HUB_PHONE: '020 7946 0999' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let i = 0; i < 300; i++) {
      if ((await fetch(`${BASE}/readyz`).then((r) => r.status, () => 0)) === 200) break;
      await sleep(100);
    }
    const roles = { anyone: new BenchClient(BASE), link_worker: new BenchClient(BASE), agency: new BenchClient(BASE), coordinator: new BenchClient(BASE), admin: new BenchClient(BASE) };
    await roles.admin.signIn(data.admin.email, PASSWORD);
    await roles.link_worker.signIn(data.worker.email, PASSWORD);
    await roles.agency.signIn(data.agency.email, PASSWORD);
    await roles.coordinator.signIn(data.coordinator.email, PASSWORD);
    const pages: [keyof typeof roles, string][] = [
      ['anyone', '/sign-in'],
      ['anyone', '/accessibility'],
      ['anyone', data.link],
      ['anyone', '/self-referral'],
      ['anyone', '/paper-checklist'],
      ['link_worker', '/checklist'],
      ['link_worker', '/submissions'],
      ['link_worker', `/submissions/${data.open.submission}`],
      ['link_worker', `/submissions/${data.open.submission}/postcard`],
      ['agency', '/agency'],
      ['agency', `/agency/referrals/${data.open.referrals[0]!.id}`],
      ['agency', '/agency/capacity'],
      ['agency', '/agency/performance'],
      ['coordinator', '/hub'],
      ['coordinator', '/hub/follow-ups'],
      ['coordinator', '/hub/follow-ups?state=upcoming'],
      ['coordinator', '/hub/follow-ups?state=completed'],
      ['coordinator', `/hub/follow-ups/${data.followUp}`],
      ['coordinator', '/hub/referrals'],
      ['coordinator', `/hub/referrals/${data.open.referrals[0]!.id}`],
      ['coordinator', '/hub/agencies'],
      ['coordinator', '/hub/agencies?capacity=unconfirmed'],
      ['coordinator', `/hub/agencies/${data.agencyId}`],
      ['coordinator', '/hub/questionnaires'],
      ['coordinator', `/hub/questionnaires/${data.questionnaireId}`],
      ['coordinator', '/hub/mail'],
      ['coordinator', '/hub/outcomes'],
      ['coordinator', '/hub/organisations'],
      ['coordinator', '/hub/reports'],
      ['coordinator', '/hub/reports/return'],
      ['coordinator', `/hub/agencies/${data.agencyId}/capacity`],
      ['coordinator', `/hub/agencies/${data.agencyId}/performance`],
      ['coordinator', '/hub/triage'],
      ['coordinator', '/hub/checklists/new'],
      ['coordinator', '/hub/people'],
      ['coordinator', '/hub/people/matches'],
      ['coordinator', `/hub/people/${data.personId}`],
      ['coordinator', `/hub/people/${data.exported}/export`],
      ['coordinator', `/hub/people/${data.exported}/export.json`],
      ['admin', '/hub/users'],
      ['admin', '/hub/audit'],
      ['admin', `/hub/audit?personId=${data.personId}`],
    ];
    console.log(`\nPage speed: Node ${process.version}, the compiled API, ${ROUNDS} requests per page (after 5 to warm up), ${new Date().toISOString()}`);
    console.log('role         page                                               status   p50 ms   p95 ms');
    let worst = 0;
    for (const [role, path] of pages) {
      const b = roles[role];
      const times: number[] = [];
      let status = 0;
      for (let i = 0; i < ROUNDS + 5; i++) {
        const t = performance.now();
        const res = await b.fetch(path);
        await res.arrayBuffer();
        if (i >= 5) times.push(performance.now() - t);
        status = res.status;
      }
      times.sort((x, y) => x - y);
      const p95 = pct(times, 95);
      worst = Math.max(worst, p95);
      const shown = path.replace(/[0-9a-f-]{36}/g, ':id').replace(/\/a\/[\w-]{43}/, '/a/:token');
      console.log(`${role.padEnd(12)} ${shown.padEnd(50)} ${String(status).padStart(6)} ${pct(times, 50).toFixed(1).padStart(8)} ${p95.toFixed(1).padStart(8)}`);
    }
    console.log(`\nslowest page p95: ${worst.toFixed(1)} ms (target < 50 ms): ${worst < 50 ? 'MET' : 'NOT MET'}`);
  } finally {
    api.kill('SIGTERM');
    await deleteRedisPrefix(PREFIX);
  }
}

await main();
