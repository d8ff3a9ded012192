/**
 * Traces (docs/ops/tracing.md), exported to memory: one checklist POSTed to the real API, stored
 * in the real Postgres, forwarded by the real forward worker through Redis, and mailed to the
 * SMTP sink, makes ONE trace: the HTTP request -> the intake -> the database -> the forward job
 * (its trace context carried in the job's data) -> the SMTP send. And no span of it holds the
 * person's details or a URL's path.
 *
 * The SDK starts here after the helpers have loaded Express and pg (their imports come first):
 * the instrumentations patch prototypes, so this is the harder case of the two (src/instrument.ts
 * starts it before they load).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { SpanKind } from '@opentelemetry/api';
import { startTracing, type Tracing } from '../src/platform/tracing-sdk.js';
import { JOBS } from '../src/platform/jobs/registry.js';
import { createWorld, type World } from './helpers/world.js';
import { submissionBody } from './helpers/factories.js';
import { startTestSink, to, type SmtpSink } from './helpers/smtp-sink.js';
import { startTestWorkers, waitUntil, type TestWorkers } from './helpers/workers.js';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let w: World<'linkWorker'>;
let sink: SmtpSink;
let workers: TestWorkers;

const person = {
  givenName: 'Tracy',
  familyName: 'Spanner-Quill',
  dateOfBirth: '1941-06-23',
  postcode: 'SE1 7PB',
  phone: '020 7946 0777',
  email: 'tracy.spanner@example.net',
  addressLine: '7 Trace Terrace',
};

beforeAll(async () => {
  tracing = startTracing({ serviceName: 'signpost-test', exporter, simple: true });
  sink = await startTestSink();
  w = await createWorld({ linkWorker: 'link_worker' }, { SMTP_URL: sink.url });
  workers = await startTestWorkers(w.ctx, ['forward']);
});
afterAll(async () => {
  await workers?.stop();
  await w?.ctx.close();
  await sink?.stop();
  await tracing?.shutdown();
});

const id = (s: ReadableSpan) => s.spanContext().spanId;
const traceOf = (s: ReadableSpan) => s.spanContext().traceId;

/** Whether `ancestor` is `span` or one of its ancestors, through the spans exported. */
function descends(span: ReadableSpan, ancestor: ReadableSpan, all: ReadableSpan[]): boolean {
  for (let s: ReadableSpan | undefined = span; s; s = all.find((p) => id(p) === s!.parentSpanContext?.spanId)) {
    if (id(s) === id(ancestor)) return true;
  }
  return false;
}

describe('one trace from the POST to the agency’s mail', () => {
  it('runs through the intake, Postgres, the forward job and the SMTP send, with one trace id', async () => {
    exporter.reset();
    const benefits = w.q.questions.find((x) => x.text.includes('benefits check'))!;
    const res = await w.api.post('/api/v1/submissions', w.linkWorker.token, submissionBody(w.q, [benefits.id], { person }));
    expect(res.status).toBe(201);
    const referral = (res.body as { referrals: { id: string; agencyId: string }[] }).referrals[0]!;
    const agency = await w.ctx.db.selectFrom('agencies').select('email').where('id', '=', referral.agencyId).executeTakeFirstOrThrow();
    const [mail] = await sink.waitFor(1, { filter: to(agency.email) });
    expect(mail!.messageId).toBe(`<forward-${referral.id}@signpost.example.org>`);

    // the job span ends after the send's: wait until it is exported
    const spans = await waitUntil(async () => {
      await tracing.flush();
      const all = exporter.getFinishedSpans();
      return all.some((s) => s.name === 'forward process') && all;
    }, 30_000);

    const http = spans.find((s) => s.kind === SpanKind.SERVER && s.attributes['http.route'] === '/api/v1/submissions');
    expect(http, spans.map((s) => s.name).join(', ')).toBeDefined();
    expect(http!.name).toBe('POST /api/v1/submissions');
    expect(http!.parentSpanContext).toBeUndefined(); // the trace starts at the request
    const trace = traceOf(http!);
    const inTrace = spans.filter((s) => traceOf(s) === trace);

    const intake = inTrace.find((s) => s.name === 'intake submit')!;
    expect(intake).toBeDefined();
    expect(descends(intake, http!, inTrace)).toBe(true);
    expect(intake.attributes['signpost.submission.id']).toBe((res.body as { id: string }).id);

    const batch = inTrace.find((s) => s.name === 'intake batch')!;
    expect(descends(batch, intake, inTrace)).toBe(true);
    const pgSpans = inTrace.filter((s) => s.attributes['db.system'] === 'postgresql' || s.attributes['db.system.name'] === 'postgresql');
    const intakeStatement = pgSpans.find((s) => descends(s, batch, inTrace) && /signpost_intake/.test(String(s.attributes['db.statement'] ?? s.attributes['db.query.text'])));
    expect(intakeStatement, pgSpans.map((s) => `${s.name}: ${s.attributes['db.statement'] ?? s.attributes['db.query.text']}`).join('\n')).toBeDefined();

    const job = inTrace.find((s) => s.name === 'forward process')!;
    expect(job, 'the forward job continues the request’s trace').toBeDefined();
    expect(job.kind).toBe(SpanKind.CONSUMER);
    expect(descends(job, intake, inTrace)).toBe(true);
    expect(job.attributes['messaging.message.id']).toBe(`forward-batch-${referral.id}`); // the intake's batch job, of this one referral
    // the worker's own statements are in the trace too
    expect(pgSpans.filter((s) => descends(s, job, inTrace)).length).toBeGreaterThan(0);

    const smtp = inTrace.find((s) => s.name === 'smtp send')!;
    expect(smtp).toBeDefined();
    expect(smtp.kind).toBe(SpanKind.CLIENT);
    expect(descends(smtp, job, inTrace)).toBe(true);
    expect(smtp.attributes['signpost.mail.message_id']).toBe(mail!.messageId);
    expect(smtp.attributes['signpost.smtp.reply_code']).toBe(250);

    // the job's data carried the trace context, ids only
    const stored = await w.ctx.jobs.queue('forward').getJob(`forward-batch-${referral.id}`);
    expect(stored?.data.traceparent).toMatch(new RegExp(`^00-${trace}-[0-9a-f]{16}-01$`));
  }, 90_000);

  it('holds no personal data, no URL path and no statement parameter in any span', async () => {
    const spans = exporter.getFinishedSpans();
    expect(spans.length).toBeGreaterThan(5);
    const text = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, links: s.links.map((l) => l.attributes ?? {}) })));
    for (const value of Object.values(person)) expect(text, value).not.toContain(value);
    expect(text).not.toContain(w.linkWorker.token);
    const server = spans.filter((s) => s.kind === SpanKind.SERVER);
    expect(server.length).toBeGreaterThan(0);
    for (const s of server) {
      for (const key of ['url.full', 'url.path', 'url.query', 'http.target', 'http.url', 'client.address', 'user_agent.original', 'http.user_agent']) expect(s.attributes[key], key).toBeUndefined();
    }
    for (const s of spans) expect(Object.keys(s.attributes).filter((k) => k.startsWith('db.query.parameter') || k === 'db.postgresql.values')).toEqual([]);
  });

  it('refuses a job whose traceparent is not the W3C format', () => {
    const referralId = '0190a6f4-2b6c-7d7e-8f90-a1b2c3d4e5f6';
    const p = JOBS['forward-referral'].payload;
    expect(p.safeParse({ referralId, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }).success).toBe(true);
    for (const bad of ['garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ; name=Tracy']) {
      expect(p.safeParse({ referralId, traceparent: bad }).success, bad).toBe(false);
    }
  });
});
