/**
 * `signpost …` run in the test's own process (src/cli): its exit code and what it printed to
 * stdout (console.log) and stderr (console.error), each call a line. Nothing reaches the terminal.
 */
import { vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import type { Env } from '../../config/env.js';

export async function runCliCaptured(args: string[], env: Env): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = vi.spyOn(console, 'log').mockImplementation(() => {});
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const code = await runCli(args, env);
    return { code, stdout: out.mock.calls.map((c) => String(c[0])).join('\n'), stderr: err.mock.calls.map((c) => String(c[0])).join('\n') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
