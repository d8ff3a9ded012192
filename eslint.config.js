// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The architecture, as lint rules (CONVENTIONS.md "Layout shows the architecture"):
 *   http | web  ->  services  ->  domain | db | jobs | mail
 *   workers     ->  services (and jobs, mail, the process helpers); only entry points import workers/
 *   middleware  ->  errors and the logger only; src/app.ts is the one composition root
 *   nothing in src/ or workers/ imports dev/ (the demo, the SMTP sink) or test/
 * Each rule matches the import specifier: a relative path that climbs into the forbidden folder.
 * Type-only imports of the Database types are allowed where marked.
 */
const into = (...folders) => `^(\\.\\./)+(${folders.join('|')})/`;
const layer = (files, message, patterns, allowTypeImports = false) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': ['error', { patterns: patterns.map((regex) => ({ regex, message, allowTypeImports })) }],
  },
});
const NOT_PURE = ['pg', 'kysely', 'express', 'bullmq', 'ioredis', 'nodemailer', 'pino', 'nunjucks'];

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
  // ---- boundaries (each folder's block replaces the rule for its files; src/** comes first) ----
  layer(['src/**/*.ts', 'workers/**/*.ts', 'config/**/*.ts', 'migrations/**/*.ts'], 'production code never imports the demo tooling (dev/) or the tests', [
    into('dev', 'test'),
  ]),
  layer(['src/**/*.ts'], 'only the entry points (dev/demo.ts, the tests) import workers/; production code never imports dev/ or test/', [
    into('workers', 'dev', 'test'),
  ]),
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: NOT_PURE.map((name) => ({ name, message: 'src/domain is pure rules: no I/O libraries' })),
          patterns: [{ regex: into('db', 'services', 'http', 'web', 'jobs', 'mail', 'middleware', 'cli', 'config', 'workers', 'dev', 'test'), message: 'src/domain is pure rules: it imports nothing but itself' }],
        },
      ],
    },
  },
  layer(['src/db/**/*.ts'], 'src/db (repositories) is below the services: it imports the domain and migrations only', [
    into('services', 'http', 'web', 'jobs', 'mail', 'middleware', 'cli', 'workers', 'dev', 'test'),
  ]),
  layer(['src/jobs/**/*.ts'], 'src/jobs (the job registry and producer) is below the services', [
    into('db', 'services', 'http', 'web', 'mail', 'middleware', 'cli', 'workers', 'dev', 'test'),
  ]),
  {
    files: ['src/mail/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: into('services', 'http', 'web', 'jobs', 'middleware', 'cli', 'workers', 'dev', 'test'), message: 'src/mail (transport, templates) is below the services' },
            { regex: into('db'), message: 'src/mail may use the Database types only', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  layer(['src/services/**/*.ts'], 'services are called by http, web and workers, never the other way', [
    into('http', 'web', 'middleware', 'cli', 'workers', 'dev', 'test'),
  ]),
  layer(['src/middleware/**/*.ts'], 'src/middleware is shared by http and web: it knows errors and the logger only', [
    into('db', 'services', 'http', 'web', 'jobs', 'mail', 'cli', 'workers', 'dev', 'test'),
  ]),
  {
    // the rules match climbs out of a folder (../web/), so a folder importing itself is fine
    files: ['src/http/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(\\.\\./)+web/', message: 'the API (src/http) and the pages (src/web) never import each other: src/app.ts mounts both' },
            { regex: into('jobs', 'mail', 'cli', 'workers', 'dev', 'test'), message: 'routes call services; they do not reach past them' },
            { regex: into('db'), message: 'routes call services; only the Database types may be imported from src/db', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    files: ['src/web/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(\\.\\./)+http/', message: 'the API (src/http) and the pages (src/web) never import each other: src/app.ts mounts both' },
            { regex: into('jobs', 'mail', 'cli', 'workers', 'dev', 'test'), message: 'routes call services; they do not reach past them' },
            { regex: into('db'), message: 'routes call services; only the Database types may be imported from src/db', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    files: ['workers/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^\\.\\./src/(http|web|middleware|cli)/', message: 'workers call services; they have no HTTP' },
            { regex: '^\\.\\./src/db/', message: 'workers call services, not repositories (only the Database types may be imported)', allowTypeImports: true },
            { regex: into('dev', 'test'), message: 'production code never imports the demo tooling (dev/) or the tests' },
          ],
        },
      ],
    },
  },
  {
    // response bodies in tests are read loosely; the assertions say what they must hold
    files: ['test/**', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/cli/**', 'dev/**', 'test/bench/**', 'test/soak/**', 'test/helpers/**'],
    rules: { 'no-console': 'off' },
  },
);
