/**
 * Traces, through the OpenTelemetry API only (docs/ops/tracing.md). Everything here is a no-op
 * until a root has started the SDK (src/platform/tracing-sdk.ts, started by src/instrument.ts
 * when the OTEL_* settings ask for it): the API's default tracer makes non-recording spans and
 * its default propagator writes nothing, so without the settings a span costs a function call.
 *
 * A span's attributes carry ids, counts, queue names and route templates, never personal data
 * (names, contact details, answers) and never a URL's own path or query (an agency's signed
 * link is a path).
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';

export { SpanKind };
export type { Attributes, Context, Link, Span };

/** The tracer of Signpost's own spans (the instrumentations of HTTP, Express and pg have their own). */
export const tracer = () => trace.getTracer('signpost');

/**
 * A W3C `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header), version 00:
 * version, trace id (32 hex digits, not all zero), parent span id (16, not all zero), flags.
 */
export const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The active span's context as a `traceparent`, to carry in a job's data; undefined when nothing is traced. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const tp = carrier.traceparent;
  return tp && TRACEPARENT.test(tp) ? tp : undefined;
}

/** The context a job's span continues: the one its `traceparent` names, or a new trace. */
export function contextFromTraceparent(traceparent: unknown): Context {
  if (typeof traceparent !== 'string' || !TRACEPARENT.test(traceparent)) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/** The active context (to parent a span that starts later, elsewhere: the intake batch). */
export const activeContext = (): Context => context.active();

/** The active span's context, as a link for a span that serves several requests at once (the intake batch). */
export function currentLink(): Link | undefined {
  const span = trace.getActiveSpan();
  const sc = span?.spanContext();
  return sc && trace.isSpanContextValid(sc) ? { context: sc } : undefined;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** the parent (the active context when not given) */
  parent?: Context;
  /** what the span's error event says, given the error (ids only: the default is the error's name) */
  describeError?: (err: unknown) => string;
}

/**
 * Runs fn inside a new active span, ended when fn settles; a thrown error marks the span as
 * failed (its name, or what describeError says: never the message of an error that might quote
 * an address) and is rethrown.
 */
export function withSpan<T>(name: string, opts: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const { parent = context.active(), describeError = (err) => (err instanceof Error ? err.name : 'error'), ...spanOpts } = opts;
  return tracer().startActiveSpan(name, spanOpts, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      const message = describeError(err);
      span.recordException({ name: err instanceof Error ? err.name : 'error', message });
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      throw err;
    } finally {
      span.end();
    }
  });
}
