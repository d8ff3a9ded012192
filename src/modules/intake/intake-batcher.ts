/**
 * Group intake: checklists that arrive while earlier ones are being stored go to Postgres
 * together, in one call of the intake function (one statement, one commit, one statement per
 * table for all of them: src/modules/intake/sql/intake.sql). Nothing waits for a timer: while
 * fewer than `maxInFlight` batches are being stored, a checklist leaves at once (alone, at a quiet
 * time); under load, the ones that queued meanwhile leave together as soon as a batch returns.
 *
 * Two checklists that could be one person (the same date of birth or NHS number: every matching
 * rule needs one of them) or one request (the same user and Idempotency-Key) never travel
 * together: the later one waits for the next batch, so that it sees what the first one stored.
 * The intake function refuses such a pair too ('retry'), and the later one is stored on its own.
 *
 * When a batch of several fails as a whole (a constraint, a deadlock), each of its checklists is
 * stored again on its own, so that the error reaches only the request that caused it and the
 * others are stored as if they had come alone.
 */
import type { Executor } from '../../platform/db/database.js';
import { activeContext, currentLink, withSpan, type Context, type Link } from '../../platform/tracing.js';
import { insertIntakes, type IntakeChannel, type IntakeResult, type IntakeRow } from './submission.repository.js';

export interface BatchLimits {
  /** checklists per call of the intake function */
  maxBatch: number;
  /** calls under way at once: each holds one pooled connection */
  maxInFlight: number;
}

/** 32 checklists is about 150 kB of JSON and 15 ms of PostgreSQL on a small machine; two calls at once use its two cores. */
export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxBatch: 32, maxInFlight: 2 };

interface Waiting {
  row: IntakeRow;
  via: IntakeChannel | undefined;
  /** stored on its own: a batch it was in failed, or the function asked for it ('retry') */
  alone: boolean;
  /** the request's trace: the batch's span is a child of its first checklist's, linked to the others' */
  trace: { context: Context; link: Link | undefined };
  resolve(result: IntakeResult): void;
  reject(err: unknown): void;
}

/** What two checklists in one batch must not share. */
function keysOf(w: Waiting): string[] {
  const p = w.row.person;
  return [`dob:${p.dateOfBirth}`, ...(p.nhsNumber ? [`nhs:${p.nhsNumber}`] : []), ...(w.row.idempotency ? [`key:${w.row.userId}:${w.row.idempotency.key}`] : [])];
}

export class IntakeBatcher {
  private queue: Waiting[] = [];
  private inFlight = 0;
  /** calls of the intake function made, and the checklists they carried (their ratio: the batches' mean size) */
  readonly counts = { calls: 0, checklists: 0 };

  constructor(
    private readonly db: Executor,
    private readonly limits: BatchLimits = DEFAULT_BATCH_LIMITS,
  ) {}

  /** Stores one checklist, with whichever others are waiting; its own outcome. */
  store(row: IntakeRow, via?: IntakeChannel): Promise<IntakeResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, via, alone: false, trace: { context: activeContext(), link: currentLink() }, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.limits.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** The next batch, oldest first: a checklist to be stored alone goes alone; others up to maxBatch, no two sharing a key. */
  private take(): Waiting[] {
    const first = this.queue[0]!;
    if (first.alone) return [this.queue.shift()!];
    const batch: Waiting[] = [];
    const taken = new Set<string>();
    const left: Waiting[] = [];
    for (const w of this.queue) {
      const keys = keysOf(w);
      if (batch.length < this.limits.maxBatch && !w.alone && !keys.some((k) => taken.has(k))) {
        batch.push(w);
        keys.forEach((k) => taken.add(k));
      } else {
        left.push(w);
      }
    }
    this.queue = left;
    return batch;
  }

  private async run(batch: Waiting[]): Promise<void> {
    let results: IntakeResult[];
    this.counts.calls++;
    this.counts.checklists += batch.length;
    try {
      results = await withSpan(
        'intake batch',
        { parent: batch[0]!.trace.context, links: batch.flatMap((w) => (w.trace.link ? [w.trace.link] : [])), attributes: { 'signpost.intake.checklists': batch.length } },
        () => insertIntakes(this.db, batch),
      );
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      // each again on its own, first in line, in their order
      this.queue.unshift(...batch.map((w) => ({ ...w, alone: true })));
      return;
    }
    const again: Waiting[] = [];
    batch.forEach((w, i) => {
      const r = results[i];
      if (!r) w.reject(new Error('the intake function returned fewer results than checklists'));
      else if (r.outcome === 'retry' && !w.alone) again.push({ ...w, alone: true });
      else if (r.outcome === 'retry') w.reject(new Error('the intake function asked to retry a checklist stored on its own'));
      else w.resolve(r);
    });
    this.queue.unshift(...again);
  }
}

const batchers = new WeakMap<object, IntakeBatcher>();

/** The process's batcher for this database (one per connection pool). */
export function intakeBatcherFor(db: Executor): IntakeBatcher {
  let b = batchers.get(db);
  if (!b) {
    b = new IntakeBatcher(db);
    batchers.set(db, b);
  }
  return b;
}
