/**
 * The architecture holds itself: the lint rules that keep the layers apart fail on a deliberate
 * violation (and pass the same code where it belongs), and each table is written by one
 * repository file.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;

async function importErrors(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(`${code}\nexport const used = x;\n`, { filePath: join(ROOT, filePath) });
  return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

describe('the import rules (npm run lint)', () => {
  const violations: [string, string][] = [
    ['src/http/routes/probe.routes.ts', "import { webRouter as x } from '../../web/index.js';"],
    ['src/web/probe.routes.ts', "import { apiRouter as x } from '../http/api.js';"],
    ['src/web/probe.routes.ts', "import { listAgencies as x } from '../db/agency.repository.js';"],
    ['src/services/probe.service.ts', "import { page as x } from '../web/render.js';"],
    ['src/db/probe.repository.ts', "import { listAgencies as x } from '../services/agency.service.js';"],
    ['src/domain/probe.ts', "import { sql as x } from 'kysely';"],
    ['src/domain/probe.ts', "import { createDb as x } from '../db/kysely.js';"],
    ['src/server-probe.ts', "import { startWorkers as x } from '../workers/index.js';"],
    ['src/mail/probe.ts', "import { SmtpSink as x } from '../../dev/smtp-sink.js';"],
    ['workers/probe.worker.ts', "import { findAgency as x } from '../src/modules/directory/agency.repository.js';"],
    ['workers/probe.worker.ts', "import { page as x } from '../src/platform/pages/render.js';"],
  ];
  it.each(violations)('refuses, in %s: %s', async (file, code) => {
    expect(await importErrors(file, code)).toHaveLength(1);
  });

  const allowed: [string, string][] = [
    ['src/web/probe.routes.ts', "import { listAgencies as x } from '../services/agency.service.js';"],
    ['src/web/probe.routes.ts', "import type { Role as x } from '../db/database.js';"],
    ['src/services/probe.service.ts', "import { findAgency as x } from '../db/agency.repository.js';"],
    ['src/app-probe.ts', "import { webRouter as x } from './web/index.js';"],
    ['workers/probe.worker.ts', "import { runSweep as x } from '../src/modules/sla/sla.service.js';"],
    ['dev/probe.ts', "import { startWorkers as x } from '../workers/index.js';"],
  ];
  it.each(allowed)('allows, in %s: %s', async (file, code) => {
    expect(await importErrors(file, code)).toEqual([]);
  });
});

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

describe('each table is written by one repository', () => {
  it('finds every write in exactly one src/db/*.repository.ts file per table', () => {
    const writers = new Map<string, Set<string>>();
    for (const file of [...tsFiles(join(ROOT, 'src')), ...tsFiles(join(ROOT, 'workers'))]) {
      const text = readFileSync(file, 'utf8');
      const tables = [
        ...[...text.matchAll(/\.(?:insertInto|updateTable|deleteFrom)\(\s*'([a-zA-Z]+)(?: as \w+)?'/g)].map((m) => m[1]!),
        ...[...text.matchAll(/\b(?:INSERT INTO|UPDATE|DELETE FROM)\s+([a-z_]+)\b/g)].map((m) => camel(m[1]!)),
      ];
      for (const t of tables) {
        if (!writers.has(t)) writers.set(t, new Set());
        writers.get(t)!.add(relative(ROOT, file));
      }
    }
    expect(writers.size).toBeGreaterThan(15);
    const problems = [...writers]
      .filter(([, files]) => files.size !== 1 || ![...files][0]!.match(/^src\/db\/[a-z-]+\.repository\.ts$/))
      .map(([table, files]) => `${table}: ${[...files].join(', ')}`);
    expect(problems).toEqual([]);
  });
});
