/**
 * records queue: the person's data kept as docs/security.md#the-persons-data promises.
 *  - 'audit-seal' (every AUDIT_SEAL_EVERY_MS): seals new audit rows into the hash chain.
 *    Idempotent: only unsealed rows are sealed, one sealer at a time (an advisory lock; a second
 *    one seals nothing). No retry: the next tick is the retry.
 *  - 'audit-checkpoint' (daily, 03:00 London time): seals, verifies the chain from the last
 *    checkpoint and records its head (table, and the log at warn level). Running twice writes
 *    the same head twice, which is harmless. Retried with backoff on a database hiccup; a chain
 *    that no longer holds the last checkpoint fails the job with no retry (nothing will mend it).
 *  - 'person-search-index' (every PERSON_SEARCH_INDEX_EVERY_MS): adds the people of the checklists
 *    written since its last run to the person search's name index (a misspelt name finds them
 *    then). Idempotent: a person already indexed is left as they are; it reads by transaction
 *    id, so a checklist that commits late is read by a later run. No retry: the next tick is the retry.
 *  - 'retention-run' (daily, 02:30 London time): erases the personal data of people past
 *    RETENTION_MONTHS_AFTER_CLOSE. Idempotent: an erased person is never claimed again, and
 *    two runs share the work (SKIP LOCKED). Retried with backoff on a database hiccup.
 */
import { UnrecoverableError, type Job, type Worker } from 'bullmq';
import { JOBS, type JobName } from '../src/platform/jobs/registry.js';
import type { Logger } from '../src/platform/logger.js';
import type { ServiceDeps } from '../src/platform/deps.js';
import { keepSchedule } from '../src/platform/jobs/schedulers.js';
import { createQueueWorker, type WorkerDeps } from '../src/platform/jobs/worker.js';
import { takeAuditCheckpoint, sealAudit } from '../src/modules/audit/index.js';
import { indexPersonSearchNames, runRetention } from '../src/modules/people/index.js';

const QUEUE = JOBS['audit-seal'].queue;
type RecordsJob = { [N in JobName]: (typeof JOBS)[N]['queue'] extends typeof QUEUE ? N : never }[JobName];

/** One handler for each job of the queue: a job the registry adds here without one is a type error. */
const HANDLERS: Record<RecordsJob, (deps: ServiceDeps, logger: Logger) => Promise<unknown>> = {
  'audit-seal': (deps, logger) => sealAudit({ db: deps.db, logger }),
  'audit-checkpoint': async (deps, logger) => {
    const r = await takeAuditCheckpoint({ db: deps.db, clock: deps.clock, logger });
    if (!r.ok) throw new UnrecoverableError(`the audit chain breaks at ${r.brokenAt.seq ?? 'an unknown row'}: ${r.brokenAt.problem}`);
    return r;
  },
  'retention-run': (deps, logger) => runRetention({ ...deps, logger }, { dryRun: false }),
  'person-search-index': (deps, logger) => indexPersonSearchNames({ db: deps.db, logger }),
};

export async function processRecords(job: Pick<Job, 'id' | 'name' | 'data'>, deps: ServiceDeps) {
  const logger = deps.logger.child({ queue: QUEUE, jobId: job.id, job: job.name });
  if (!Object.hasOwn(HANDLERS, job.name)) throw new Error(`the records queue has no job called ${job.name}`);
  const name = job.name as RecordsJob;
  JOBS[name].payload.parse(job.data ?? {});
  return HANDLERS[name](deps, logger);
}

export async function createRecordsWorker(deps: WorkerDeps): Promise<Worker> {
  const worker = createQueueWorker(deps, QUEUE, (job) => processRecords(job, deps));
  await keepSchedule(deps, worker, 'audit-seal');
  await keepSchedule(deps, worker, 'daily-audit-checkpoint');
  await keepSchedule(deps, worker, 'daily-retention');
  await keepSchedule(deps, worker, 'person-search-index');
  return worker;
}
