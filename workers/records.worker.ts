/**
 * records queue: the person's data kept as the README promises.
 *  - 'audit-seal' (every AUDIT_SEAL_EVERY_MS): seals new audit rows into the hash chain.
 *    Idempotent: only unsealed rows are sealed, one sealer at a time (an advisory lock; a second
 *    one seals nothing). No retry: the next tick is the retry.
 *  - 'retention-run' (daily, 02:30 London time): erases the personal data of people past
 *    RETENTION_MONTHS_AFTER_CLOSE. Idempotent: an erased person is never claimed again, and
 *    two runs share the work (SKIP LOCKED). Retried with backoff on a database hiccup.
 */
import type { Job, Worker } from 'bullmq';
import { JOBS } from '../src/jobs/registry.js';
import { sealAudit } from '../src/services/audit.service.js';
import type { ServiceDeps } from '../src/services/deps.js';
import { runRetention } from '../src/services/erasure.service.js';
import { keepSchedule } from './schedulers.js';
import { createQueueWorker, type WorkerDeps } from './worker-deps.js';

const QUEUE = JOBS['audit-seal'].queue;

export async function processRecords(job: Pick<Job, 'id' | 'name' | 'data'>, deps: ServiceDeps) {
  const logger = deps.logger.child({ queue: QUEUE, jobId: job.id, job: job.name });
  switch (job.name) {
    case 'audit-seal':
      JOBS['audit-seal'].payload.parse(job.data ?? {});
      return sealAudit({ db: deps.db, logger });
    case 'retention-run':
      JOBS['retention-run'].payload.parse(job.data ?? {});
      return runRetention({ ...deps, logger }, { dryRun: false });
    default:
      throw new Error(`the records queue has no job called ${job.name}`);
  }
}

export async function createRecordsWorker(deps: WorkerDeps): Promise<Worker> {
  const worker = createQueueWorker(deps, QUEUE, (job) => processRecords(job, deps));
  await keepSchedule(deps, worker, 'audit-seal');
  await keepSchedule(deps, worker, 'daily-retention');
  return worker;
}
