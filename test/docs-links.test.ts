/**
 * The documentation points at things that exist: every relative link in README.md and docs/*.md
 * reaches a file (and, with a #fragment, a heading of it); every repository path written in
 * backticks (`src/...`, `test/...`, `migrations/...`, ...) names a file or folder that is there;
 * every setting of config/env.ts is in docs/configuration.md; docs/architecture.md names every
 * module and every .sql file. Each check is first shown to catch a made-up mistake.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../config/env.js';

const ROOT = new URL('..', import.meta.url).pathname;
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
/** Where a path written in backticks may start: the repository's own folders. */
const REPO_FOLDERS = ['src', 'test', 'migrations', 'config', 'workers', 'dev', 'docs', '.ci'];
/** Folders the tests or tools make, git-ignored: named in the docs, absent from a fresh clone. */
const MADE_AT_RUN_TIME = ['test/artifacts/'];

const withoutFences = (md: string) => md.replace(/^```[\s\S]*?^```/gm, '');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens; repeats get -1, -2. */
export function anchorsOf(md: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, text] of withoutFences(md).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = text!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  return anchors;
}

/** The problems of one markdown file: broken relative links, missing anchors, paths that do not exist. */
export function problemsOf(file: string, md: string, root = ROOT): string[] {
  const problems: string[] = [];
  const text = withoutFences(md);
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    if (/^[a-z][a-z+.-]*:/i.test(target!)) continue; // http:, https:, mailto:
    const [path, fragment] = target!.split('#') as [string, string | undefined];
    const resolved = path ? normalize(join(dirname(join(root, file)), decodeURIComponent(path))) : join(root, file);
    if (!existsSync(resolved)) {
      problems.push(`${file}: link to ${target} (no such file)`);
      continue;
    }
    const heading = fragment !== undefined && resolved.endsWith('.md') ? anchorsOf(path ? readFileSync(resolved, 'utf8') : md) : undefined;
    if (heading && !heading.has(fragment!)) {
      problems.push(`${file}: link to ${target} (no such heading in ${relative(root, resolved)})`);
    }
  }
  const starts = new RegExp(`^(${REPO_FOLDERS.map((f) => f.replace('.', '\\.')).join('|')})/`);
  for (const [, code] of text.matchAll(/`([^`]+)`/g)) {
    // a path, not a pattern or a placeholder: src/modules/<feature>/ and src/modules/*/ are words
    if (!starts.test(code!) || /[\s<>*?…{}|]/.test(code!)) continue;
    if (MADE_AT_RUN_TIME.some((p) => code!.startsWith(p))) continue;
    if (!existsSync(join(root, code!))) problems.push(`${file}: \`${code}\` does not exist`);
  }
  return problems;
}

describe('the documentation', () => {
  it('catches a broken link, a missing heading and a path that does not exist', () => {
    const md = [
      '# A page',
      '[fine](README.md) [fine too](#a-page) [gone](docs/no-such-page.md) [no heading](#no-such-heading)',
      '`config/env.ts` is there; `config/no-such-file.ts` is not; `src/modules/<feature>/` is a word',
      '```',
      '[inside a fence](nowhere.md)',
      '```',
    ].join('\n');
    expect(problemsOf('README.md', md)).toEqual([
      'README.md: link to docs/no-such-page.md (no such file)',
      'README.md: link to #no-such-heading (no such heading in README.md)',
      'README.md: `config/no-such-file.ts` does not exist',
    ]);
    expect([...anchorsOf("## The person's data\n## Wellbeing (ONS4)\n## Pages\n## Pages")]).toEqual(['the-persons-data', 'wellbeing-ons4', 'pages', 'pages-1']);
  });

  it('links only to files and headings that exist, and names only paths that exist', () => {
    expect(DOCS.length).toBeGreaterThan(8);
    const problems = DOCS.flatMap((f) => problemsOf(f, readFileSync(join(ROOT, f), 'utf8')));
    expect(problems).toEqual([]);
  });

  it('lists every setting of config/env.ts in docs/configuration.md', () => {
    const table = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
    const keys = Object.keys(envSchema.shape);
    expect(keys.length).toBeGreaterThan(40);
    expect(keys.filter((k) => !table.includes(`\`${k}\``))).toEqual([]);
  });

  it('draws every module and every function and trigger file in docs/architecture.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    const modulesDir = join(ROOT, 'src/modules');
    const modules = readdirSync(modulesDir).filter((m) => statSync(join(modulesDir, m)).isDirectory());
    expect(modules.length).toBeGreaterThan(10);
    expect(modules.filter((m) => !doc.includes(`| \`${m}\` |`))).toEqual([]);
    const sqlFiles = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? sqlFiles(join(dir, n)) : n.endsWith('.sql') ? [relative(ROOT, join(dir, n))] : []));
    const files = sqlFiles(join(ROOT, 'src'));
    expect(files.length).toBeGreaterThan(5);
    expect(files.filter((f) => !doc.includes(`\`${f}\``))).toEqual([]);
  });
});
