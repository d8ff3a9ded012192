/**
 * The typed job registry: every job's name, queue, payload schema (ids only: never personal
 * data, README) and default options. Producers and workers both read it, so a payload is
 * validated when it is enqueued and again when it is processed.
 */
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import type { QUEUE_NAMES } from '../../config/env.js';

export type QueueName = (typeof QUEUE_NAMES)[number];

const requestId = z.string().max(200).optional();

// Bounded retention (README reliability rule 3): Redis keeps a day of finished jobs, a week of failures.
const retention = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
} satisfies JobsOptions;

export const JOBS = {
  'forward-referral': {
    queue: 'forward',
    payload: z.object({ referralId: z.uuid(), requestId }),
    jobId: (p: { referralId: string }) => `forward-${p.referralId}`,
    // Temporary SMTP failures back off 5 s, 10 s, 20 s ... for about 2.8 hours in all; the
    // reconciliation sweep re-enqueues a referral still pending after that, and T1 is watched.
    options: { attempts: 12, backoff: { type: 'exponential', delay: 5_000 }, ...retention },
  },
  'follow-up-due': {
    queue: 'follow-up',
    payload: z.object({ followUpId: z.uuid(), requestId }),
    jobId: (p: { followUpId: string }) => `follow-up-${p.followUpId}`,
    options: { attempts: 5, backoff: { type: 'exponential', delay: 10_000 }, ...retention },
  },
  'contact-reminders': {
    queue: 'reminders',
    payload: z.object({ agencyId: z.uuid(), day: z.iso.date(), requestId }),
    jobId: (p: { agencyId: string; day: string }) => `reminder-${p.agencyId}-${p.day}`,
    options: { attempts: 8, backoff: { type: 'exponential', delay: 30_000 }, ...retention },
  },
  'sla-sweep': {
    queue: 'sla-sweep',
    payload: z.object({ requestId }),
    jobId: () => undefined,
    options: { attempts: 1, ...retention, removeOnComplete: { age: 3600, count: 100 } },
  },
  'send-notification': {
    queue: 'notify',
    payload: z.object({ notificationId: z.uuid(), requestId }),
    jobId: (p: { notificationId: string }) => `notify-${p.notificationId}`,
    options: { attempts: 12, backoff: { type: 'exponential', delay: 5_000 }, ...retention },
  },
} as const satisfies Record<
  string,
  {
    queue: QueueName;
    payload: z.ZodType;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    jobId: (p: any) => string | undefined;
    options: JobsOptions;
  }
>;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]['payload']>;
