/**
 * The arguments `npm start` / `npm run worker` give Node (package.json), so that a benchmark
 * measures the API exactly as production runs it: the compiled code with its heap settings.
 */
import { existsSync, readFileSync } from 'node:fs';

export function productionArgs(script: 'start' | 'worker'): string[] {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  const [cmd, ...args] = pkg.scripts[script]!.trim().split(/\s+/);
  if (cmd !== 'node') throw new Error(`npm run ${script} does not start with node: ${pkg.scripts[script]}`);
  const entry = args.at(-1)!;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  return args;
}
