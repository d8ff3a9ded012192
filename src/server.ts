/**
 * The API process. Graceful shutdown in the order README reliability rule 9 gives: stop accepting
 * HTTP (and let in-flight requests finish), close queues, destroy the pool, quit Redis.
 */
import type { Server } from 'node:http';
import { createContext } from './context.js';
import { createApp } from './app.js';
import { isEntryPoint, loadEnvOrExit, onShutdownSignals } from './process.js';

export async function startServer(ctx: ReturnType<typeof createContext>): Promise<{ server: Server; stop: () => Promise<void> }> {
  const app = createApp(ctx);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(ctx.env.PORT, ctx.env.HOST, () => resolve(s));
  });
  server.keepAliveTimeout = 65_000;
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
  const { server, stop } = await startServer(ctx);
  const addr = server.address();
  ctx.logger.info({ port: typeof addr === 'object' && addr ? addr.port : env.PORT }, 'signpost API listening');
  onShutdownSignals(stop);
}

if (isEntryPoint(import.meta.url)) {
  await main();
}
