/**
 * Imported first by the API and the worker process (src/server.ts, workers/index.ts): starts the
 * OpenTelemetry SDK when the OTEL_* settings ask for it, before Express, pg and the rest load, so
 * that their instrumentations are in place (docs/ops/tracing.md). Without the settings it does
 * nothing, and the SDK is not even loaded: its exporter and instrumentations are several
 * megabytes of heap that a process without traces would carry for nothing. It is loaded with
 * `require` (Node loads an ES module that way, synchronously), not `await import()`: a module
 * awaiting at its top level does not hold back the imports listed after it in its importer, so
 * Express and pg could load before the SDK had patched them. OTEL_SERVICE_NAME names the process
 * to the collector (`signpost` when unset: set `signpost-api` and `signpost-worker` to tell them
 * apart).
 */
import { createRequire } from 'node:module';
import { tracingSchema, tracingWanted } from '../config/env.js';
import type * as TracingSdk from './platform/tracing-sdk.js';

const settings = tracingSchema.safeParse(process.env);

export const tracing =
  settings.success && tracingWanted(settings.data) ? (createRequire(import.meta.url)('./platform/tracing-sdk.js') as typeof TracingSdk).startTracingFromEnv(process.env, 'signpost') : undefined;
