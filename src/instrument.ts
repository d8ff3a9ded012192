/**
 * Imported first by the API and the worker process (src/server.ts, workers/index.ts): starts the
 * OpenTelemetry SDK when the OTEL_* settings ask for it, before Express, pg and the rest load, so
 * that their instrumentations are in place (docs/ops/tracing.md). Without the settings it does
 * nothing, and the SDK is not even loaded: its exporter and instrumentations are several
 * megabytes of heap that a process without traces would carry for nothing. (A module that awaits
 * at its top level holds back the modules imported after it, so Express and pg still load after
 * the SDK has patched them.) OTEL_SERVICE_NAME names the process to the collector (`signpost`
 * when unset: set `signpost-api` and `signpost-worker` to tell them apart).
 */
import { tracingSchema, tracingWanted } from '../config/env.js';

const settings = tracingSchema.safeParse(process.env);

export const tracing = settings.success && tracingWanted(settings.data) ? (await import('./platform/tracing-sdk.js')).startTracingFromEnv(process.env, 'signpost') : undefined;
