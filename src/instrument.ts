/**
 * Imported first by the API and the worker process (src/server.ts, workers/index.ts): starts the
 * OpenTelemetry SDK when the OTEL_* settings ask for it, before Express, pg and the rest load, so
 * that their instrumentations are in place (docs/ops/tracing.md). Without the settings it does
 * nothing. OTEL_SERVICE_NAME names the process to the collector (`signpost` when unset: set
 * `signpost-api` and `signpost-worker` to tell them apart).
 */
import { startTracingFromEnv } from './platform/tracing-sdk.js';

export const tracing = startTracingFromEnv(process.env, 'signpost');
