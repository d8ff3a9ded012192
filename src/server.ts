/**
 * The API process. Graceful shutdown in the order reliability rule 9 gives (docs/failure.md): stop
 * accepting HTTP and let in-flight requests finish (up to SHUTDOWN_GRACE_MS), then close the
 * queues and the Redis connection, then destroy the Postgres pool (context.ts close()).
 *
 * Its first import starts the traces, when the OTEL_* settings ask for them (src/instrument.ts):
 * before Express and pg load.
 */
import { tracing } from './instrument.js';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Env } from '../config/env.js';
import { createContext } from './context.js';
import { createApp } from './app.js';
import { exitOnUnhandledErrors, isEntryPoint, loadEnvOrExit, onShutdownSignals } from './platform/process.js';

/**
 * Bounds on what one client can hold: the headers, then the whole request (body included), must
 * arrive within their timeouts, or the socket is closed (a slow client cannot keep a socket for
 * minutes); connections beyond HTTP_MAX_CONNECTIONS are refused. Idle keep-alive sockets close
 * after 65 s (longer than common load balancers' 60 s, so that they close first).
 */
export function createHttpServer(app: RequestListener, env: Pick<Env, 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS' | 'HTTP_MAX_CONNECTIONS'>): Server {
  const server = createServer(
    {
      headersTimeout: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: env.HTTP_REQUEST_TIMEOUT_MS,
      // how often Node checks those timeouts (30 s by default, which would let a slow client
      // keep its socket 30 s past them)
      connectionsCheckingInterval: 1_000,
      keepAliveTimeout: 65_000,
    },
    app,
  );
  server.maxConnections = env.HTTP_MAX_CONNECTIONS;
  return server;
}

/** Listens on port/host; resolves once listening. */
export function listen(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export async function startServer(ctx: ReturnType<typeof createContext>): Promise<{ server: Server; stop: () => Promise<void> }> {
  const server = await listen(createHttpServer(createApp(ctx), ctx.env), ctx.env.PORT, ctx.env.HOST);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      ctx.logger.info('shutting down: no new connections');
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, ctx.env.SHUTDOWN_GRACE_MS).unref();
      });
      await ctx.close();
      ctx.logger.info('shut down');
    })());
  return { server, stop };
}

async function main() {
  const env = loadEnvOrExit();
  const ctx = createContext({ env, role: 'api' });
  exitOnUnhandledErrors(ctx.logger);
  const { server, stop } = await startServer(ctx);
  const addr = server.address();
  ctx.logger.info({ port: typeof addr === 'object' && addr ? addr.port : env.PORT }, 'signpost API listening');
  onShutdownSignals(async () => {
    await stop();
    // the spans still buffered go to the collector before the process ends
    await tracing?.shutdown().catch((err: Error) => ctx.logger.warn({ err: err.message }, 'traces could not be flushed'));
  });
}

if (isEntryPoint(import.meta.url)) {
  await main();
}
