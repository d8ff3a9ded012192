/**
 * The OpenTelemetry SDK: the one file that knows it (everything else uses the API, through
 * src/platform/tracing.ts). src/instrument.ts starts it before anything else loads, and only
 * when the OTEL_* settings ask for it (config/env.ts tracingWanted), so that a hub without a
 * collector pays nothing.
 *
 * ESM and instrumentation: the instrumentations patch modules as they are `require`d
 * (require-in-the-middle). Node's http, pg (with pg-pool) and express are CommonJS; an ESM
 * `import` of them would load them without passing through `require`, so startTracing requires
 * them itself, once the instrumentations are enabled: the patched modules are then the ones the
 * imports are given (Node keeps one copy of a CommonJS module), and what is patched is
 * prototypes (http.Server's emit, pg's Client#query, pg-pool's connect, Express's Router and
 * application), so the patch holds even for a module loaded earlier. No loader hook is needed.
 *
 * What the spans may hold (docs/ops/tracing.md): route templates and ids. pg records the
 * statement's text (Kysely sends parameters apart, so the text holds no value) and never its
 * parameters (enhancedDatabaseReporting off); an HTTP span keeps its method, route template and
 * status, and loses the URL's path and query (an agency's signed link is a path) and the client's
 * address and user agent.
 */
import { createRequire } from 'node:module';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type ReadableSpan,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { tracingSchema, tracingWanted, type TracingSettings } from '../../config/env.js';

/** Attributes the HTTP instrumentation sets that may hold what a trace must not: a URL's path or query, the client. */
const DROPPED_ATTRIBUTES = [
  'http.url',
  'http.target',
  'url.full',
  'url.path',
  'url.query',
  'http.user_agent',
  'user_agent.original',
  'http.client_ip',
  'client.address',
  'net.peer.ip',
  'net.sock.peer.addr',
  'network.peer.address',
  'http.host',
  'net.host.name',
  'server.address',
];

/**
 * Drops those attributes of a request's (server) span before the span reaches the exporter's processor (the route template
 * stays, in http.route and the span's name). A span is still writable in onStart, where the
 * HTTP instrumentation's attributes are already set; what it adds later is its status.
 */
class RedactingProcessor implements SpanProcessor {
  constructor(private readonly next: SpanProcessor) {}
  onStart(span: Span, parent: Parameters<SpanProcessor['onStart']>[1]): void {
    const attrs = (span as unknown as { attributes?: Record<string, unknown> }).attributes;
    if (attrs && span.kind === SpanKind.SERVER) for (const key of DROPPED_ATTRIBUTES) delete attrs[key];
    this.next.onStart(span, parent);
  }
  onEnd(span: ReadableSpan): void {
    // An instrumentation's error text can quote what was sent (pg: `invalid input syntax for
    // type uuid: "<value>"`): its spans keep that they failed, never the text. Signpost's own
    // spans write theirs from ids and codes (tracing.ts, describeError).
    if (span.instrumentationScope.name.startsWith('@opentelemetry/instrumentation-')) {
      const writable = span as unknown as { status: { code: number; message?: string } };
      if (writable.status.message) writable.status = { code: writable.status.code, message: 'error' };
      for (const e of span.events) {
        if (!e.attributes) continue;
        const attrs = e.attributes as Record<string, unknown>;
        delete attrs['exception.message'];
        delete attrs['exception.stacktrace'];
      }
    }
    this.next.onEnd(span);
  }
  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}

/** Paths whose requests are not traced: the probes, asked every few seconds, and the static files. */
const UNTRACED = /^\/(healthz|readyz|static\/|favicon)/;

export interface Tracing {
  /** exports what is still buffered (the batch processor's queue) */
  flush(): Promise<void>;
  /** flushes, then stops the provider and the instrumentations */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  serviceName: string;
  /** where spans go; the batch processor in front of it unless `simple` (tests: each span at its end) */
  exporter: SpanExporter;
  simple?: boolean;
  /** the share of new traces kept (1: all) */
  ratio?: number;
}

let started: Tracing | undefined;

/** Starts the SDK (once per process: a second call returns the first one's handle). */
export function startTracing(opts: TracingOptions): Tracing {
  if (started) return started;
  const processor = new RedactingProcessor(opts.simple ? new SimpleSpanProcessor({ exporter: opts.exporter }) : new BatchSpanProcessor({ exporter: opts.exporter }));
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName }),
    // a caller's traceparent does not decide for the hub: a remote parent is sampled by the same
    // ratio, on its trace id, as a root (so a job continuing a sampled trace is sampled too)
    sampler: (() => {
      const ratio = new TraceIdRatioBasedSampler(opts.ratio ?? 1);
      return new ParentBasedSampler({ root: ratio, remoteParentSampled: ratio, remoteParentNotSampled: ratio });
    })(),
    spanProcessors: [processor],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // the OTLP exporter's own requests, and the webhooks' calls out, are not this hub's work to trace
        disableOutgoingRequestInstrumentation: true,
        ignoreIncomingRequestHook: (req) => UNTRACED.test(req.url ?? ''),
        headersToSpanAttributes: { server: { requestHeaders: [], responseHeaders: [] } },
      }),
      // one span per route handler (its template as the name); the middleware's and routers' spans would only be noise
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
      new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true, addSqlCommenterCommentToQueries: false }),
    ],
  });
  // load (or meet again) the CommonJS modules through `require`, so that the hooks patch them
  const require = createRequire(import.meta.url);
  for (const name of ['node:http', 'pg', 'pg-pool', 'express']) require(name);
  started = {
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.forceFlush();
      unregister();
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
      started = undefined;
    },
  };
  return started;
}

/**
 * Starts the SDK when the settings ask for it (the OTEL_* keys of config/env.ts); undefined
 * otherwise, and when they are malformed: the full configuration check that follows refuses them.
 */
export function startTracingFromEnv(source: Record<string, string | undefined>, defaultServiceName: string): Tracing | undefined {
  const parsed = tracingSchema.safeParse(source);
  if (!parsed.success) return undefined;
  const s: TracingSettings = parsed.data;
  const kind = tracingWanted(s);
  if (!kind) return undefined;
  const exporter = kind === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter(s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? { url: s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT } : {});
  return startTracing({ serviceName: s.OTEL_SERVICE_NAME ?? defaultServiceName, exporter, ratio: s.OTEL_TRACES_SAMPLER_ARG });
}
