/**
 * The fault soak, as a library: the hub deployed as it would be on one machine (API processes
 * and worker processes against one Postgres, one Redis and one SMTP server), a client sending a
 * steady stream of checklists that retries with its Idempotency-Key on any failure, and faults
 * struck while the stream runs. Then it waits for everything to be forwarded and reports.
 * Used by `npm run soak` (test/soak/soak.ts) and, shortened, by test/soak/soak.test.ts.
 *
 * Postgres and Redis are private servers (services.ts), so that the faults strike only the soak.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SmtpSink } from '../../dev/smtp-sink.js';
import { createDb } from '../../src/platform/db/kysely.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { seedDemo } from '../../src/cli/seed.js';
import { findQuestionnaire } from '../../src/modules/questionnaires/questionnaire.repository.js';
import { systemClock } from '../../src/kernel/clock.js';
import { randomIds } from '../../src/kernel/ids.js';
import { createUserWithToken } from '../../src/modules/accounts/user.service.js';
import { lettersOf } from '../helpers/people.js';
import { createDatabase, startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from './services.js';

export interface SoakWorld {
  pg: PrivatePostgres;
  redis: PrivateRedis;
  sink: SmtpSink;
  apis: Proc[];
  workers: Proc[];
  /** an agency's email, for faults aimed at one agency */
  agencyEmail(questionIndex: number): string;
  /** starts a new worker process in place of workers[i] (after a kill) */
  replaceWorker(i: number): Promise<Proc>;
  log(event: string): void;
}

export interface Fault {
  /** ms after the stream starts */
  at: number;
  name: string;
  strike(world: SoakWorld): Promise<void>;
}

export interface SoakOptions {
  checklists: number;
  perSecond: number;
  apis: number;
  workers: number;
  faults: Fault[];
  /** how Node runs the API and the workers: the compiled code (soak) or the sources (test) */
  command: { api: string[]; worker: string[] };
  ports: { postgres: number; redis: number; base: number };
  /** give up waiting for everything to be forwarded after this long (a safety net) */
  settleTimeoutMs: number;
  quiet?: boolean;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  port: number;
  /** set when the soak itself stops or kills it */
  told: boolean;
  stderr: string[];
  peakRssMb(): number;
}

export interface SoakReport {
  checklistsSent: number;
  checklistsAccepted: number;
  checklistsStored: number;
  storedTwice: number;
  referrals: number;
  forwarded: number;
  neverMailed: number;
  mailsPerReferral: { zero: number; one: number; twoOrMore: number };
  duplicatesWithSameMessageId: number;
  duplicatesWithOtherMessageId: number;
  breaches: number;
  unexpectedExits: string[];
  lastFaultEndedAt: number;
  allForwardedAt: number | null;
  secondsFromLastFaultToAllForwarded: number | null;
  peakRssMb: Record<string, number>;
  timeline: string[];
}

const SESSION_SECRET = 'soak-session-secret-0123456789-abcdefghijkl';

function rssOf(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const timeline: string[] = [];
  const log = (event: string) => {
    const line = `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${event}`;
    timeline.push(line);
    if (!o.quiet) console.log(line);
  };

  const pg = await startPrivatePostgres(o.ports.postgres);
  const redis = await startPrivateRedis(o.ports.redis);
  const sink = await new SmtpSink({ host: '127.0.0.1', port: 0, dir: null }).start();
  const procs: Proc[] = [];
  // if this process ends before the finally below (a test runner's timeout), take the children with it
  const killAll = () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    redis.stopSync();
    pg.stopSync();
  };
  process.once('exit', killAll);
  try {
    await createDatabase(pg.url(), 'signpost');
    const dbUrl = pg.url('signpost');
    const db = createDb({ connectionString: dbUrl, poolSize: 4 });
    await migrateToLatest(db);
    await seedDemo(db, new Date());
    const questionnaire = (await findQuestionnaire(db, (await db.selectFrom('questionnaires').select('id').where('isCurrent', '=', true).executeTakeFirstOrThrow()).id))!;
    const questions = questionnaire.sections.flatMap((s) => s.questions);
    const deps = { db, clock: systemClock, ids: randomIds };
    const worker = await createUserWithToken(deps, { role: 'link_worker', name: 'Soak link worker', email: 'soak-lw@example.org' });
    const coordinator = await createUserWithToken(deps, { role: 'coordinator', name: 'Soak coordinator', email: 'soak-co@example.org' });
    const agencyEmails = new Map((await db.selectFrom('agencies').select(['id', 'email']).execute()).map((a) => [a.id, a.email]));

    const env = {
      ...process.env,
      NODE_ENV: 'production',
      HUB_PHONE: '020 7946 0999',
      SESSION_SECRET,
      MFA_KEY: 'soak-mfa-key-0123456789-abcdefghijklmnopq',
      DATABASE_URL: dbUrl,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: 'soak',
      SMTP_URL: sink.url,
      // the sink speaks no TLS, which production otherwise requires (docs/ops/mail-relay.md)
      SMTP_REQUIRE_TLS: 'false',
      LOG_LEVEL: 'warn',
      // operational timings made short to watch them work (never the clocks' policies)
      SLA_SWEEP_EVERY_MS: '2000',
      SHUTDOWN_GRACE_MS: '3000',
    };
    let nextPort = o.ports.base;
    const startProc = (name: string, args: string[], extra: Record<string, string>): Proc => {
      const port = nextPort++;
      const child = spawn(process.execPath, args, { env: { ...env, ...extra, PORT: String(port), WORKER_HEALTH_PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
      const p: Proc = { name, child, port, told: false, stderr: [], peakRssMb: () => 0 };
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(child.pid))), 500);
      p.peakRssMb = () => Math.max(peak, rssOf(child.pid));
      child.stderr!.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n')) if (line.trim()) p.stderr.push(line.slice(0, 2000));
      });
      child.once('exit', (code, signal) => {
        clearInterval(sampler);
        if (!p.told) log(`${name} EXITED on its own (code ${code}, signal ${signal}): ${p.stderr.slice(-3).join(' | ')}`);
      });
      procs.push(p);
      return p;
    };
    const waitReady = async (p: Proc) => {
      for (let i = 0; i < 600; i++) {
        if ((await fetch(`http://127.0.0.1:${p.port}/readyz`).then((r) => r.status, () => 0)) === 200) return;
        if (p.child.exitCode !== null) throw new Error(`${p.name} exited while starting: ${p.stderr.join('\n')}`);
        await sleep(100);
      }
      throw new Error(`${p.name} was not ready`);
    };
    const apis = Array.from({ length: o.apis }, (_, i) => startProc(`api-${i + 1}`, o.command.api, {}));
    const workers = Array.from({ length: o.workers }, (_, i) => startProc(`worker-${i + 1}`, o.command.worker, {}));
    await Promise.all([...apis, ...workers].map(waitReady));
    log(`${o.apis} API and ${o.workers} worker processes ready`);

    const world: SoakWorld = {
      pg,
      redis,
      sink,
      apis,
      workers,
      agencyEmail: (i) => agencyEmails.get(questions[i]!.agencyId)!,
      async replaceWorker(i) {
        const p = startProc(`${workers[i]!.name}'`, o.command.worker, {});
        workers[i] = p;
        await waitReady(p);
        return p;
      },
      log,
    };

    // ---- the stream: each checklist flags two agencies, and is retried with its key until accepted ----
    const body = (i: number) => ({
      questionnaireId: questionnaire.id,
      person: { givenName: 'Soak', familyName: `Soak-${lettersOf(i)}`, dateOfBirth: new Date(Date.UTC(1930, 0, 1 + i)).toISOString().slice(0, 10), postcode: 'SE1 7PB', phone: '020 7946 0000', preferredContact: 'phone' },
      consent: { given: true, by: 'person', sharingAgreed: true, recordedAt: new Date().toISOString() },
      answers: Object.fromEntries(questions.map((q, k) => [q.id, k === i % questions.length || k === (i * 7 + 3) % questions.length])),
    });
    let accepted = 0;
    const send = async (i: number) => {
      const payload = JSON.stringify(body(i));
      for (let attempt = 0; ; attempt++) {
        const api = apis[(i + attempt) % apis.length]!;
        const res = await fetch(`http://127.0.0.1:${api.port}/api/v1/submissions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${worker.token}`, 'content-type': 'application/json', 'idempotency-key': `soak-${i}` },
          body: payload,
          signal: AbortSignal.timeout(10_000),
        }).then(
          async (r) => ({ status: r.status, text: await r.text() }),
          () => ({ status: 0, text: '' }),
        );
        if (res.status === 201) {
          accepted++;
          return;
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 409 && res.status !== 408) {
          throw new Error(`checklist ${i} refused: ${res.status} ${res.text}`);
        }
        await sleep(Math.min(3_000, 250 * 2 ** Math.min(attempt, 4)));
      }
    };
    const streamStart = Date.now();
    const inFlight: Promise<void>[] = [];
    const faultsDone = (async () => {
      let lastEnd = 0;
      for (const f of [...o.faults].sort((a, b) => a.at - b.at)) {
        const wait = streamStart + f.at - Date.now();
        if (wait > 0) await sleep(wait);
        log(`fault: ${f.name}`);
        await f.strike(world);
        lastEnd = Date.now();
        log(`fault over: ${f.name}`);
      }
      return lastEnd;
    })();
    for (let i = 0; i < o.checklists; i++) {
      const due = streamStart + (i * 1000) / o.perSecond;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(send(i));
    }
    await Promise.all(inFlight);
    log(`stream done: ${accepted} of ${o.checklists} checklists accepted`);
    const lastFaultEndedAt = (await faultsDone) || Date.now();

    // ---- settle: a coordinator sends again what a mail server refused for good (as the hub would) ----
    let allForwardedAt: number | null = null;
    const deadline = Date.now() + o.settleTimeoutMs;
    while (Date.now() < deadline) {
      const failed = await db.selectFrom('referrals').select('id').where('status', '=', 'forward_failed').execute();
      for (const r of failed) {
        await fetch(`http://127.0.0.1:${apis[0]!.port}/api/v1/referrals/${r.id}/transitions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${coordinator.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ to: 'pending', note: 'the agency fixed its mail server; send again' }),
        }).catch(() => undefined);
      }
      const open = await db.selectFrom('referrals').select((eb) => eb.fn.countAll<string>().as('n')).where('status', 'in', ['pending', 'forward_failed']).executeTakeFirst().catch(() => undefined);
      if (open && Number(open.n) === 0) {
        allForwardedAt = Date.now();
        break;
      }
      await sleep(500);
    }
    log(allForwardedAt ? 'every referral forwarded' : 'NOT every referral was forwarded before the time limit');

    // ---- the report ----
    const stored = await db.selectFrom('submissions as s').innerJoin('people as p', 'p.id', 's.personId').select(['p.familyName']).where('p.familyName', 'like', 'Soak-%').execute();
    const perName = new Map<string, number>();
    for (const s of stored) perName.set(s.familyName!, (perName.get(s.familyName!) ?? 0) + 1);
    const referrals = await db.selectFrom('referrals').select(['id', 'status']).execute();
    const mails = new Map<string, Set<string>>();
    const counts = new Map<string, number>();
    for (const m of sink.messages) {
      const id = /<forward-([0-9a-f-]{36})@/.exec(String(m.headers['message-id'] ?? ''))?.[1];
      if (!id) continue;
      counts.set(id, (counts.get(id) ?? 0) + 1);
      if (!mails.has(id)) mails.set(id, new Set());
      mails.get(id)!.add(String(m.headers['message-id']));
    }
    const per = referrals.map((r) => counts.get(r.id) ?? 0);
    const breaches = Number((await db.selectFrom('slaBreaches').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    await db.destroy();
    const unexpectedExits = procs.filter((p) => p.child.exitCode !== null && !p.told).map((p) => `${p.name} (code ${p.child.exitCode}, signal ${p.child.signalCode})`);
    const peakRssMb = Object.fromEntries(procs.map((p) => [p.name, Math.round(p.peakRssMb())]));
    return {
      checklistsSent: o.checklists,
      checklistsAccepted: accepted,
      checklistsStored: perName.size,
      storedTwice: [...perName.values()].filter((n) => n > 1).length,
      referrals: referrals.length,
      forwarded: referrals.filter((r) => r.status === 'forwarded').length,
      neverMailed: per.filter((n) => n === 0).length,
      mailsPerReferral: { zero: per.filter((n) => n === 0).length, one: per.filter((n) => n === 1).length, twoOrMore: per.filter((n) => n >= 2).length },
      duplicatesWithSameMessageId: [...mails].filter(([id, ids]) => (counts.get(id) ?? 0) >= 2 && ids.size === 1).length,
      duplicatesWithOtherMessageId: [...mails.values()].filter((ids) => ids.size > 1).length,
      breaches,
      unexpectedExits,
      lastFaultEndedAt,
      allForwardedAt,
      secondsFromLastFaultToAllForwarded: allForwardedAt ? Math.max(0, (allForwardedAt - lastFaultEndedAt) / 1000) : null,
      peakRssMb,
      timeline,
    };
  } finally {
    process.off('exit', killAll);
    for (const p of procs) {
      p.told = true;
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    }
    await Promise.all(procs.map((p) => (p.child.exitCode === null && p.child.signalCode === null ? new Promise((r) => p.child.once('exit', r)) : undefined)));
    await sink.stop();
    await redis.stop();
    await pg.stop();
  }
}

/** The report as the table docs/benchmarks.md#the-fault-soak shows. */
export function formatReport(r: SoakReport): string {
  const rows: [string, string][] = [
    ['checklists sent / accepted / stored', `${r.checklistsSent} / ${r.checklistsAccepted} / ${r.checklistsStored}`],
    ['checklists stored twice', String(r.storedTwice)],
    ['referrals / forwarded', `${r.referrals} / ${r.forwarded}`],
    ['mails per referral: 0 / 1 / 2+', `${r.mailsPerReferral.zero} / ${r.mailsPerReferral.one} / ${r.mailsPerReferral.twoOrMore}`],
    ['  of the 2+: same Message-ID / another', `${r.duplicatesWithSameMessageId} / ${r.duplicatesWithOtherMessageId}`],
    ['breaches recorded', String(r.breaches)],
    ['processes that exited untold', r.unexpectedExits.length ? r.unexpectedExits.join(', ') : '0'],
    ['last fault over to everything forwarded', r.secondsFromLastFaultToAllForwarded === null ? 'never (time limit)' : `${r.secondsFromLastFaultToAllForwarded.toFixed(1)} s`],
    ['peak RSS per process', Object.entries(r.peakRssMb).map(([k, v]) => `${k} ${v} MB`).join(', ')],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

/** What makes a soak fail: a referral never mailed, a checklist stored twice or lost, a process that died. */
export function soakProblems(r: SoakReport): string[] {
  return [
    ...(r.neverMailed ? [`${r.neverMailed} referrals were never mailed`] : []),
    ...(r.storedTwice ? [`${r.storedTwice} checklists were stored twice`] : []),
    ...(r.checklistsStored !== r.checklistsSent ? [`${r.checklistsSent - r.checklistsStored} checklists were not stored`] : []),
    ...(r.duplicatesWithOtherMessageId ? [`${r.duplicatesWithOtherMessageId} referrals were mailed twice under different Message-IDs`] : []),
    ...r.unexpectedExits.map((p) => `${p} exited without being told to`),
  ];
}
