/**
 * The architecture holds itself (docs/architecture.md): the lint rules that keep the layers and
 * modules apart refuse a deliberate violation (and let the same import through where it
 * belongs); modules depend on each other without a cycle; routes and pages reach no repository,
 * not even through another module's index.ts; each table is written by one repository file.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
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
    // the kernel imports nothing else of src/, and no I/O library, types included
    ['src/kernel/probe.ts', "import type { DB as x } from '../platform/db/database.js';"],
    ['src/kernel/probe.ts', "import { sql as x } from 'kysely';"],
    ['src/kernel/probe.ts', "import { findAgency as x } from '../modules/directory/index.js';"],
    // the platform imports only the kernel
    ['src/platform/db/probe.ts', "import { findAgency as x } from '../../modules/directory/index.js';"],
    ['src/platform/probe.ts', "import { createContext as x } from '../context.js';"],
    // a module reaches another only through its index.ts, types included, and never a composition root
    ['src/modules/referrals/probe.service.ts', "import { findAgency as x } from '../directory/agency.repository.js';"],
    ['src/modules/referrals/probe.service.ts', "import type { AgencyRow as x } from '../directory/agency.repository.js';"],
    ['src/modules/referrals/probe.service.ts', "import { createContext as x } from '../../context.js';"],
    ['src/modules/referrals/probe.service.ts', "import { startWorkers as x } from '../../../workers/index.js';"],
    // routes and pages never import kysely or a repository, their own module's either
    ['src/modules/referrals/pages/probe.routes.ts', "import { findReferral as x } from '../referral.repository.js';"],
    ['src/modules/referrals/pages/probe.routes.ts', "import { sql as x } from 'kysely';"],
    ['src/modules/referrals/api.ts', "import { findReferral as x } from './referral.repository.js';"],
    // migrations and configuration import nothing from src/
    ['migrations/2099_01_01_0000_probe.ts', "import { migrateToLatest as x } from '../src/platform/db/migrate.js';"],
    ['config/probe.ts', "import { HOUR as x } from '../src/kernel/clock.js';"],
    // production code never imports the demo tooling or the tests; workers compose through index.ts
    ['src/platform/mail/probe.ts', "import { SmtpSink as x } from '../../../dev/smtp-sink.js';"],
    ['src/server-probe.ts', "import { startWorkers as x } from '../workers/index.js';"],
    ['workers/probe.ts', "import { processForward as x } from '../src/modules/forwarding/forward-referral.worker.js';"],
  ];
  it.each(violations)('refuses, in %s: %s', async (file, code) => {
    expect(await importErrors(file, code)).toHaveLength(1);
  });

  const allowed: [string, string][] = [
    ['src/kernel/probe.ts', "import { HOUR as x } from './clock.js';"],
    ['src/platform/db/probe.ts', "import { HOUR as x } from '../../kernel/clock.js';"],
    ['src/modules/referrals/probe.service.ts', "import { findAgency as x } from '../directory/index.js';"],
    ['src/modules/referrals/probe.service.ts', "import { findReferral as x } from './referral.repository.js';"],
    ['src/modules/referrals/pages/probe.routes.ts', "import { getReferralForActor as x } from '../referral.service.js';"],
    ['src/modules/referrals/pages/probe.routes.ts', "import { listAgencies as x } from '../../directory/index.js';"],
    ['src/app-probe.ts', "import { webRouter as x } from './pages.js';"],
    ['workers/probe.ts', "import { createForwardWorker as x } from '../src/modules/forwarding/index.js';"],
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

const MODULES_DIR = join(ROOT, 'src', 'modules');
const moduleOf = (file: string) => {
  const r = relative(MODULES_DIR, file);
  return r.startsWith('..') ? undefined : r.split('/')[0];
};
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:\{([^}]*)\}|[^'";]*?)\s*from\s+'(\.{1,2}\/[^']+)'/g;
const target = (file: string, spec: string) => normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts');
const namesOf = (list: string | undefined) =>
  (list ?? '')
    .split(',')
    .map((x) => x.replace(/^\s*type\s+/, '').split(' as ')[0]!.trim())
    .filter(Boolean);

describe('the modules', () => {
  const files = tsFiles(join(ROOT, 'src'));
  const modules = readdirSync(MODULES_DIR).filter((m) => statSync(join(MODULES_DIR, m)).isDirectory());

  it('each has an index.ts, and depends on the others without a cycle', () => {
    expect(modules.length).toBeGreaterThan(10);
    for (const m of modules) expect(existsSync(join(MODULES_DIR, m, 'index.ts')), m).toBe(true);
    const uses = new Map(modules.map((m) => [m, new Set<string>()]));
    for (const f of files) {
      const from = moduleOf(f);
      if (!from) continue;
      for (const [, , spec] of readFileSync(f, 'utf8').matchAll(IMPORT)) {
        const to = moduleOf(target(f, spec!));
        if (to && to !== from) uses.get(from)!.add(to);
      }
    }
    // every module's dependencies, followed to the end, never lead back to it
    const cycles: string[] = [];
    for (const start of modules) {
      const seen = new Set<string>();
      const stack = [...uses.get(start)!];
      while (stack.length) {
        const m = stack.pop()!;
        if (m === start) {
          cycles.push(start);
          break;
        }
        if (seen.has(m)) continue;
        seen.add(m);
        stack.push(...uses.get(m)!);
      }
    }
    expect(cycles).toEqual([]);
    // and the check can fail: a made-up back edge is found
    const probe = new Map([...uses].map(([k, v]) => [k, new Set(v)]));
    const [a, b] = [...probe].find(([, v]) => v.size > 0)!;
    probe.get([...b][0]!)!.add(a);
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
      [...probe.get(from)!].some((m) => m === to || (!seen.has(m) && (seen.add(m), reaches(m, to, seen))));
    expect(reaches(a, a)).toBe(true);
  });

  it('routes and pages reach no repository, not even through another module’s index.ts', () => {
    // what each index.ts hands on, name by name, and from which file
    const origin = new Map<string, Map<string, string>>();
    for (const m of modules) {
      const index = join(MODULES_DIR, m, 'index.ts');
      const names = new Map<string, string>();
      for (const [, list, spec] of readFileSync(index, 'utf8').matchAll(IMPORT)) for (const n of namesOf(list)) names.set(n, target(index, spec!));
      origin.set(index, names);
    }
    const routeFiles = files.filter((f) => /\/src\/modules\/[^/]+\/(api\.ts|api\/|pages\/)/.test(f));
    expect(routeFiles.length).toBeGreaterThan(25);
    const problems: string[] = [];
    for (const f of routeFiles) {
      for (const [, list, spec] of readFileSync(f, 'utf8').matchAll(IMPORT)) {
        const t = target(f, spec!);
        const handedOn = origin.get(t);
        for (const n of namesOf(list)) {
          const from = handedOn?.get(n) ?? t;
          if (from.endsWith('.repository.ts')) problems.push(`${relative(ROOT, f)}: ${n} (${relative(ROOT, from)})`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('a referral’s step', () => {
  it('is decided and applied in one place (referrals/referral-step.ts), whoever asks', () => {
    const files = tsFiles(join(ROOT, 'src'));
    const calling = (name: string) =>
      files.filter((f) => new RegExp(`\\b${name}\\(`).test(readFileSync(f, 'utf8').replace(new RegExp(`export (async )?function ${name}\\(`), ''))).map((f) => relative(ROOT, f));
    // the lifecycle's judge is called by the step alone, and so is the one status-changing write
    expect(calling('decideTransition')).toEqual(['src/modules/referrals/referral-step.ts']);
    expect(calling('updateReferralIfStatus')).toEqual(['src/modules/referrals/referral-step.ts']);
    // and those who ask for a step (an agency or the hub, a consent withdrawal, the forward worker) go through it
    expect(calling('applyReferralStep').sort()).toEqual([
      'src/modules/forwarding/forward.service.ts',
      'src/modules/people/consent.service.ts',
      'src/modules/referrals/referral-transition.service.ts',
    ]);
  });
});

const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

describe('each table is written by one repository', () => {
  it('finds every write in exactly one src/modules/<feature>/<name>.repository.ts file per table', () => {
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
    // the platform's own bookkeeping: which version of each SQL file the database runs
    const PLATFORM_WRITERS: Record<string, string> = { sqlFiles: 'src/platform/db/sql-files.ts' };
    const problems = [...writers]
      .filter(([table, files]) => files.size !== 1 || ![...files][0]!.match(/^src\/modules\/[a-z-]+\/[a-z-]+\.repository\.ts$/) && [...files][0] !== PLATFORM_WRITERS[table])
      .map(([table, files]) => `${table}: ${[...files].join(', ')}`);
    expect(problems).toEqual([]);
  });
});
