// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

import { readdirSync } from 'node:fs';

/**
 * The architecture, as lint rules (CONVENTIONS.md "Layout shows the architecture"; the picture is
 * in docs/architecture.md). Dependencies point one way:
 *   composition roots (src/*.ts, src/cli/, workers/)  ->  src/modules/<feature>/  ->  src/platform/  ->  src/kernel/
 *   - src/kernel/ (shared words, pure rules) imports nothing else of src/ and no I/O library;
 *   - src/platform/ (database, jobs, mail transport, logger, the HTTP and page kits) imports the kernel only;
 *   - a module reaches another module only through that module's index.ts, types included, and never a composition root;
 *   - a module's routes and pages (api.ts, api/, pages/) never import kysely or pg, or a repository;
 *   - migrations/ and config/ import nothing from src/; nothing in production imports dev/ or test/.
 * Each rule matches the import specifier (a relative path that climbs into what is forbidden),
 * and type-only imports are held to the same rules. test/architecture.test.ts proves that each
 * rule refuses a deliberate violation and lets the same import through where it belongs.
 */
const MODULES = readdirSync(new URL('./src/modules', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const into = (...folders) => `^(\\.\\./)+(${folders.join('|')})/`;
const ROOT_FILES = '^(\\.\\./)+(app|api|pages|context|server|instrument)\\.js$';
const NOT_PURE = ['pg', 'kysely', 'express', 'bullmq', 'ioredis', 'nodemailer', 'pino', 'nunjucks'];
const NO_DEV_OR_TEST = { regex: into('dev', 'test'), message: 'production code never imports the demo tooling (dev/) or the tests' };
const rule = (files, patterns, paths = []) => ({
  files,
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns: patterns.map((p) => ({ allowTypeImports: false, ...p })) }] },
});

/** A module's block: the common rules, and every OTHER module only through its index.ts. */
const moduleRules = (name) => {
  const others = MODULES.filter((m) => m !== name);
  return rule(
    [`src/modules/${name}/**/*.ts`],
    [
      NO_DEV_OR_TEST,
      { regex: into('workers', 'cli'), message: 'a module never imports a composition root (workers/, src/cli/)' },
      { regex: ROOT_FILES, message: 'a module never imports a composition root (src/app.ts, api.ts, pages.ts, context.ts, server.ts, instrument.ts)' },
      ...(others.length ? [{ regex: `^(\\.\\./)+(${others.join('|')})/(?!index\\.js$)`, message: `a module uses another only through its index.ts (src/modules/<other>/index.ts)` }] : []),
    ],
  );
};
/** Routes and pages call services: never the database directly, nor a repository (their own module's either). */
const routeRules = (name) =>
  rule(
    [`src/modules/${name}/api.ts`, `src/modules/${name}/api/**/*.ts`, `src/modules/${name}/pages/**/*.ts`],
    [
      NO_DEV_OR_TEST,
      { regex: into('workers', 'cli'), message: 'a module never imports a composition root (workers/, src/cli/)' },
      { regex: ROOT_FILES, message: 'a module never imports a composition root (src/app.ts, api.ts, pages.ts, context.ts, server.ts, instrument.ts)' },
      ...(MODULES.length > 1 ? [{ regex: `^(\\.\\./)+(${MODULES.filter((m) => m !== name).join('|')})/(?!index\\.js$)`, message: 'a module uses another only through its index.ts (src/modules/<other>/index.ts)' }] : []),
      { regex: '\\.repository\\.js$', message: 'routes and pages call services, never a repository' },
    ],
    ['kysely', 'pg'].map((n) => ({ name: n, message: 'routes and pages call services, never the database', allowTypeImports: false })),
  );

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'test/artifacts/', '.demo/', '.tools/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  // ---- boundaries (a later block replaces the rule for its files) ----
  rule(['src/**/*.ts', 'workers/**/*.ts'], [NO_DEV_OR_TEST, { regex: into('workers'), message: 'only the entry points (dev/demo.ts, the tests) import workers/' }]),
  rule(['workers/**/*.ts'], [
    NO_DEV_OR_TEST,
    { regex: `^\\.\\./src/modules/(${MODULES.join('|')})/(?!index\\.js$)`, message: 'workers/ composes the handlers each module exports from its index.ts' },
  ]),
  rule(['config/**/*.ts', 'migrations/**/*.ts'], [NO_DEV_OR_TEST, { regex: '^(\\.\\./)+src/', message: 'migrations and configuration import nothing from src/' }]),
  rule(
    ['src/kernel/**/*.ts'],
    [NO_DEV_OR_TEST, { regex: into('platform', 'modules', 'cli', 'workers'), message: 'src/kernel is shared words and pure rules: it imports nothing else of src/' }, { regex: ROOT_FILES, message: 'src/kernel imports nothing else of src/' }],
    NOT_PURE.map((name) => ({ name, message: 'src/kernel is pure rules: no I/O libraries', allowTypeImports: false })),
  ),
  rule(['src/platform/**/*.ts'], [
    NO_DEV_OR_TEST,
    { regex: into('modules', 'cli', 'workers'), message: 'src/platform imports only the kernel (and itself): the modules are above it' },
    { regex: ROOT_FILES, message: 'src/platform never imports a composition root' },
  ]),
  ...MODULES.map(moduleRules),
  ...MODULES.map(routeRules),
  {
    // response bodies in tests are read loosely; the assertions say what they must hold
    files: ['test/**', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/cli/**', 'dev/**', 'test/bench/**', 'test/soak/**', 'test/drill/**', 'test/helpers/**'],
    rules: { 'no-console': 'off' },
  },
);
