/**
 * Start-up and shutdown of a process, shared by the API, the worker process and the demo.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadEnv, type Env } from '../../config/env.js';

/**
 * Whether the module at this URL is the one Node was asked to run (`node dist/src/server.js`,
 * the `signpost` bin's symlink, or tsx on the sources, which does not set import.meta.main).
 */
export function isEntryPoint(moduleUrl: string): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(arg);
  } catch {
    return false;
  }
}

/** The configuration, or exit 78 (EX_CONFIG) after printing what is wrong with it. */
export function loadEnvOrExit(source?: Record<string, string | undefined>): Env {
  try {
    return loadEnv(source);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

/**
 * A process that meets an error nothing handled does not carry on in an unknown state: it logs
 * why (fatal) and exits 1, so that its supervisor (compose `restart: unless-stopped`, systemd
 * `Restart=on-failure`) starts it again. A backing service going away is handled where it
 * happens and is never such an error: requests answer 503, jobs are retried.
 */
export function exitOnUnhandledErrors(logger: { fatal(obj: object, msg: string): void }): void {
  const die = (kind: string) => (err: unknown) => {
    logger.fatal({ err, kind }, `${kind}: exiting (exit code 1) so that the supervisor restarts this process`);
    process.exitCode = 1;
    // let the log line reach its destination first
    setTimeout(() => process.exit(1), 100).unref();
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled promise rejection'));
}

/**
 * On SIGINT/SIGTERM: the first signal runs stop() once, then the process exits 0, or 1 (after
 * printing the error) if stop() failed. Each signal is listened for once, so a repeated signal
 * ends the process at once.
 */
export function onShutdownSignals(stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      if (stopping) return;
      stopping = true;
      stop(sig).then(
        () => process.exit(0),
        (err) => {
          console.error(err);
          process.exit(1);
        },
      );
    });
  }
}
