/**
 * `npm run demo`: the whole hub on one machine, in one process. Creates and migrates the
 * database, loads the demo checklist, makes one demo user per role (once; a second run reuses
 * them and prints fresh tokens), starts an embedded SMTP sink on SMTP_URL's port (2525 by
 * default; each message also saved under .demo/mail/), a page listing the mail it received
 * (DEMO_MAIL_PORT, 8025 by default), the API and the workers (with the workers' health port), and
 * prints where the queue view and the metrics are (with a METRICS_TOKEN made for the run unless one
 * is set). Ctrl-C stops everything in the
 * order reliability rule 9 gives (docs/failure.md).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Env } from '../config/env.js';
import { createContext } from '../src/context.js';
import { createDb } from '../src/platform/db/kysely.js';
import { ensureDatabase, migrateToLatest } from '../src/platform/db/migrate.js';
import { seedDemo, seedUuid, SEED_QUESTIONNAIRE_ID } from '../src/cli/seed.js';
import { findUserByEmail } from '../src/modules/accounts/user.repository.js';
import { findQuestionnaire } from '../src/modules/questionnaires/questionnaire.repository.js';
import type { Role } from '../src/kernel/principal.js';
import { startSinkPage } from './mail-page.js';
import { SmtpSink } from './smtp-sink.js';
import { startServer } from '../src/server.js';
import { loadEnvOrExit, onShutdownSignals } from '../src/platform/process.js';
import { createUserWithToken, issueToken, revokeUserTokens, type UserDeps } from '../src/modules/accounts/user.service.js';
import { setPassword } from '../src/modules/accounts/password.service.js';
import { startWorkers } from '../workers/index.js';
import { startWorkerHealth } from '../workers/health-server.js';
import { currentCodeFor, enrolWithKnownSecret } from '../src/modules/accounts/index.js';

/**
 * The demo's fixed second-factor secret (base32), enrolled for every demo user whose role must
 * have one (MFA_REQUIRED_ROLES): add it to an authenticator app once, or ask
 * `npm run cli -- totp-code --email <email>` for the current code. A demo secret, never a real one.
 */
export const DEMO_TOTP_SECRET = 'SIGNPOSTDEMOTOTPSECRETFORDEMOUSE';
import { createWorkerDeps } from '../src/context.js';

const DEMO_USERS: { role: Role; name: string; email: string; agency?: string; organisation?: string }[] = [
  { role: 'link_worker', name: 'Demo link worker', email: 'link-worker@demo.signpost.example.org', organisation: 'voluntary' },
  { role: 'agency', name: 'Demo fire service user', email: 'fire-service@demo.signpost.example.org', agency: 'fire' },
  { role: 'coordinator', name: 'Demo hub coordinator', email: 'coordinator@demo.signpost.example.org' },
  { role: 'admin', name: 'Demo administrator', email: 'admin@demo.signpost.example.org' },
];

/** Each demo user, created on the first run; every run revokes its old tokens and prints a new one. */
async function demoUsers(deps: UserDeps & { env: Env }, password: string): Promise<{ role: Role; email: string; token: string; twoFactor: boolean }[]> {
  const out = [];
  for (const u of DEMO_USERS) {
    const existing = await findUserByEmail(deps.db, u.email);
    let token: string;
    if (existing) {
      await revokeUserTokens(deps, { userId: existing.id });
      token = await issueToken(deps, existing.id, 'demo');
    } else {
      const agencyId = u.agency ? seedUuid(`agency:${u.agency}`) : null;
      const organisationId = u.organisation ? seedUuid(`organisation:${u.organisation}`) : null;
      token = (await createUserWithToken(deps, { role: u.role, name: u.name, email: u.email, agencyId, organisationId })).token;
    }
    const id = existing?.id ?? (await findUserByEmail(deps.db, u.email))!.id;
    await setPassword(deps, id, password);
    const twoFactor = deps.env.MFA_REQUIRED_ROLES.includes(u.role);
    if (twoFactor) await enrolWithKnownSecret(deps, { userId: id, name: u.name, role: u.role }, DEMO_TOTP_SECRET);
    out.push({ role: u.role, email: u.email, token, twoFactor });
  }
  return out;
}

/** A ready-to-send checklist ("yes" to the fire safety question only), for the curl example. */
async function writeExampleSubmission(db: ReturnType<typeof createContext>['db']): Promise<string> {
  const questions = (await findQuestionnaire(db, SEED_QUESTIONNAIRE_ID))!.sections.flatMap((s) => s.questions);
  const body = {
    questionnaireId: SEED_QUESTIONNAIRE_ID,
    person: { givenName: 'Test', familyName: 'Person', dateOfBirth: '1944-03-02', postcode: 'SE1 7PB', phone: '020 7946 0123', preferredContact: 'phone' },
    consent: { given: true, by: 'person', sharingAgreed: true, recordedAt: new Date().toISOString() },
    answers: Object.fromEntries(questions.map((q, i) => [q.id, i === 0])),
  };
  const file = join(process.cwd(), '.demo', 'example-submission.json');
  await mkdir('.demo', { recursive: true });
  await writeFile(file, JSON.stringify(body, null, 2));
  return file;
}

async function prepareDatabase(env: Env): Promise<void> {
  await ensureDatabase(env.DATABASE_URL);
  const db = createDb({ connectionString: env.DATABASE_URL, poolSize: 2, applicationName: 'signpost-demo' });
  try {
    await migrateToLatest(db);
    await seedDemo(db, new Date());
  } finally {
    await db.destroy();
  }
}

async function main(): Promise<void> {
  // links in the agency mail must point at this demo, whatever port it runs on
  // and /metrics answers (with a token made for this run unless METRICS_TOKEN is set)
  const env = loadEnvOrExit({ LOG_LEVEL: 'warn', PUBLIC_URL: `http://localhost:${process.env.PORT ?? 3000}`, METRICS_TOKEN: `demo-metrics-${randomBytes(12).toString('hex')}`, ...process.env });
  const smtp = new URL(env.SMTP_URL);
  const sink = await new SmtpSink({ host: smtp.hostname, port: Number(smtp.port) || 2525, dir: join(process.cwd(), '.demo', 'mail') }).start();
  const mailPage = await startSinkPage(sink, env.DEMO_MAIL_PORT);

  await prepareDatabase(env);
  const api = createContext({ env, role: 'api' });
  const users = await demoUsers(api, env.DEMO_PASSWORD);
  const { stop: stopApi } = await startServer(api);
  const workerDeps = createWorkerDeps(env, api.logger);
  const workers = await startWorkers(workerDeps);
  // the workers' /healthz, /readyz and /metrics (WORKER_HEALTH_PORT, or a free port)
  const workerHealth = await startWorkerHealth(workerDeps, workers, env.WORKER_HEALTH_PORT, '127.0.0.1');

  // PUBLIC_URL (http://localhost:<port> unless set) everywhere: the address printed here and the
  // links in the mail are one origin, so a sign-in carries over from one to the other
  const apiUrl = env.PUBLIC_URL.replace(/\/+$/, '');
  const token = (role: Role) => users.find((u) => u.role === role)!.token;
  const example = await writeExampleSubmission(api.db);
  const withCode = users.filter((u) => u.twoFactor);
  const codes = await Promise.all(withCode.map((u) => currentCodeFor(api, u.email)));
  const twoFactorLines = withCode.length
    ? `
Two-factor sign-in (${withCode.map((u) => u.role).join(', ')}: MFA_REQUIRED_ROLES): after the password, enter the code an
authenticator app shows for the fixed demo secret ${DEMO_TOTP_SECRET.replace(/(.{4})(?=.)/g, '$1 ')}
(add it to the app once), or ask for the current code:
  npm run cli -- totp-code --email ${withCode[0]!.email}
Codes right now: ${withCode.map((u, i) => `${u.role} ${codes[i]}`).join(', ')} (each new every 30 seconds, and each accepted once)
`
    : '';
  console.log(`
Signpost demo is running.

  API              ${apiUrl}/api/v1   (readiness: ${apiUrl}/readyz)
  API reference    ${apiUrl}/api/docs   (the contract: ${apiUrl}/api/v1/openapi.json)
  Directory feed   ${apiUrl}/oruk/services   (the partner agencies as Open Referral UK, public: docs/oruk.md)
  FHIR R4          ${apiUrl}/fhir/metadata   (the same tokens; docs/fhir.md)
  SMTP sink        ${sink.url}   (every message also saved in .demo/mail/)
  Mail received    ${mailPage.url}
  Web app          ${apiUrl}/   (sign in with a demo user's email and the password ${env.DEMO_PASSWORD})
  Workers          ${[...workers.workers.keys()].join(', ')}   (readiness: ${workerHealth.url}/readyz)
  Queue view       ${apiUrl}/hub/queues   (sign in as the admin; read-only unless QUEUE_VIEW_ALLOW_RETRIES=true)
  Metrics          ${apiUrl}/metrics and ${workerHealth.url}/metrics, with the token ${env.METRICS_TOKEN ?? '(none: set METRICS_TOKEN)'}:
                   curl -s -H "Authorization: Bearer ${env.METRICS_TOKEN ?? ''}" ${apiUrl}/metrics | grep '^signpost_'
  Forward mail     FORWARD_EMAIL_CONTENT=${env.FORWARD_EMAIL_CONTENT}

Demo users (web password for all: ${env.DEMO_PASSWORD}; API tokens are new on every run):
${users.map((u) => `  ${u.role.padEnd(12)} ${u.email.padEnd(42)} ${u.token}`).join('\n')}
${twoFactorLines}
Try it: fetch the checklist, then submit one (answer "yes" to the fire safety question):

  curl -s -H "Authorization: Bearer ${token('link_worker')}" ${apiUrl}/api/v1/questionnaire

  curl -s -X POST ${apiUrl}/api/v1/submissions \\
    -H "Authorization: Bearer ${token('link_worker')}" -H "Content-Type: application/json" \\
    -H "Idempotency-Key: $(date +%s%N)" -d @${example}

The same checklist in FHIR R4 (a Questionnaire), and the fire service's Tasks once forwarded:

  curl -s -H "Authorization: Bearer ${token('link_worker')}" "${apiUrl}/fhir/Questionnaire?status=active"

  curl -s -H "Authorization: Bearer ${token('agency')}" "${apiUrl}/fhir/Task?status=requested"

The fire service's mail appears at ${mailPage.url} within a second or two. Ctrl-C stops everything.
`);

  onShutdownSignals(async () => {
    console.log('\nstopping: API, workers, queues, database pool, Redis, SMTP sink');
    await stopApi(); // stops HTTP, then closes the API's queues, pool and Redis
    await workerHealth.close();
    await workers.close(env.SHUTDOWN_GRACE_MS);
    await workerDeps.close();
    await mailPage.close();
    await sink.stop();
  });
}

await main();
