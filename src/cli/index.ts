#!/usr/bin/env node
/**
 * signpost CLI. Each command prints one JSON line on success (easy to script) and a plain
 * message on stderr with a non-zero exit on failure.
 *   migrate | seed:demo | user:create --role R --name N --email E [--agency ID] [--organisation ID] [--password P] | user:password --email E --password P | token:revoke --user ID | --token ID
 *   tokens list [--user EMAIL] | tokens create --user EMAIL [--label L] [--expires-days N] | tokens revoke TOKEN_ID
 *   totp-code --email E (development and the demo only)
 *   sla:sweep | retention:run [--dry-run] | audit:seal | audit:verify [--expect-head HASH] | audit:checkpoint | holidays:import FILE
 *   directory:import FILE [--dry-run]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadEnv, type Env } from '../../config/env.js';
import { AppError } from '../kernel/errors.js';
import { isEntryPoint } from '../platform/process.js';
import { createContext } from '../context.js';
import { ensureDatabase, migrateToLatest } from '../platform/db/migrate.js';
import { seedDemo } from './seed.js';
import type { ServiceDeps } from '../platform/deps.js';
import { ZodError } from 'zod';
import { createUserWithToken, hashPassword, setPassword, findUserByEmail, createTokenForEmail, listTokensForAdmin, revokeAllTokensOfUser, revokeToken, userIdForEmail, CLI_ACTOR, currentCodeFor } from '../modules/accounts/index.js';
import { runSweep } from '../modules/sla/index.js';
import { runRetention } from '../modules/people/index.js';
import { sealAudit, verifyAuditChain, takeAuditCheckpoint } from '../modules/audit/index.js';
import { importHolidayCalendar } from '../modules/clocks/index.js';
import { importOrukServices } from '../modules/oruk/index.js';

type Ctx = ServiceDeps & { close(): Promise<void> };
type Command = { usage: string; run: (ctx: Ctx, args: string[]) => Promise<unknown> };

function opts(args: string[], spec: Record<string, { type: 'string' | 'boolean' }>) {
  return parseArgs({ args, options: spec, allowPositionals: false, strict: true }).values as Record<string, string | boolean | undefined>;
}

async function readFileText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new AppError(400, 'unreadable_file', `cannot read ${file}: ${(err as { code?: string }).code ?? (err as Error).message}`);
  }
}

export const COMMANDS: Record<string, Command> = {
  migrate: {
    usage: 'migrate',
    run: async (ctx) => {
      const results = await migrateToLatest(ctx.db);
      return { migrated: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
    },
  },
  'seed:demo': {
    usage: 'seed:demo',
    run: async (ctx) => seedDemo(ctx.db, ctx.clock.now()),
  },
  'user:create': {
    usage: 'user:create --role link_worker|agency|coordinator|admin --name NAME --email EMAIL [--agency AGENCY_ID] [--organisation ORGANISATION_ID] [--password P]',
    run: async (ctx, args) => {
      const o = opts(args, { role: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' }, agency: { type: 'string' }, organisation: { type: 'string' }, password: { type: 'string' } });
      const u = await createUserWithToken(ctx, {
        passwordHash: o.password === undefined ? null : await hashPassword(String(o.password)),
        role: o.role as never,
        name: String(o.name ?? ''),
        email: String(o.email ?? ''),
        agencyId: (o.agency as string | undefined) ?? null,
        organisationId: (o.organisation as string | undefined) ?? null,
      });
      return { id: u.id, token: u.token };
    },
  },
  'user:password': {
    usage: 'user:password --email EMAIL --password P   (sets a web sign-in password; ends their sessions)',
    run: async (ctx, args) => {
      const o = opts(args, { email: { type: 'string' }, password: { type: 'string' } });
      const user = await findUserByEmail(ctx.db, String(o.email ?? ''));
      if (!user) throw new AppError(404, 'not_found', 'no user has this email');
      await setPassword(ctx, user.id, String(o.password ?? ''));
      return { id: user.id, passwordSet: true };
    },
  },
  'totp-code': {
    usage: 'totp-code --email EMAIL   (the code the user\'s authenticator app shows now; not in production: it is for the demo and development)',
    run: async (ctx, args) => {
      const o = opts(args, { email: { type: 'string' } });
      if (!o.email) throw new AppError(400, 'usage', 'give --email');
      if (ctx.env.NODE_ENV === 'production') throw new AppError(403, 'forbidden', 'totp-code is for the demo and development, never production');
      const code = await currentCodeFor(ctx, String(o.email));
      if (!code) throw new AppError(404, 'not_found', 'no user with this email has two-factor sign-in on');
      return { email: o.email, code };
    },
  },
  'sla:sweep': {
    usage: 'sla:sweep',
    run: async (ctx) => runSweep(ctx),
  },
  'retention:run': {
    usage: 'retention:run [--dry-run]   (erases the personal data of people past RETENTION_MONTHS_AFTER_CLOSE; --dry-run counts them)',
    run: async (ctx, args) => {
      const o = opts(args, { 'dry-run': { type: 'boolean' } });
      return runRetention(ctx, { dryRun: o['dry-run'] === true });
    },
  },
  'audit:seal': {
    usage: 'audit:seal   (seals new audit rows into the hash chain now; the workers do it every AUDIT_SEAL_EVERY_MS)',
    run: async (ctx) => sealAudit(ctx),
  },
  'audit:verify': {
    usage: 'audit:verify [--expect-head HASH]   (recomputes the audit log hash chain and prints its head; exit 1 when a row was changed, removed or reordered, rows at or below a checkpoint are gone, or HASH, a head printed before, is no longer in the chain)',
    run: async (ctx, args) => {
      const o = opts(args, { 'expect-head': { type: 'string' } });
      const expected = o['expect-head'];
      if (expected !== undefined && !/^[0-9a-f]{64}$/i.test(String(expected))) {
        throw new AppError(400, 'usage', '--expect-head takes a head hash as audit:verify prints it (head.hash: 64 hexadecimal characters)');
      }
      const result = await verifyAuditChain(ctx, expected === undefined ? {} : { expectHead: Buffer.from(String(expected), 'hex') });
      if (!result.ok) throw new AppError(409, 'audit_chain_broken', 'the audit log hash chain is broken', result);
      return result;
    },
  },
  'audit:checkpoint': {
    usage: 'audit:checkpoint   (seals, verifies the chain from the last checkpoint and records its head now; the workers do it daily at 03:00)',
    run: async (ctx) => {
      const result = await takeAuditCheckpoint(ctx);
      if (!result.ok) throw new AppError(409, 'audit_chain_broken', 'the audit log hash chain does not verify from its last checkpoint; no checkpoint written', result);
      return result;
    },
  },
  'holidays:import': {
    usage: 'holidays:import FILE   (England and Wales bank holidays from a file in GOV.UK bank-holidays.json format; all or nothing)',
    run: async (ctx, args) => {
      const [file, ...rest] = args;
      if (!file || rest.length) throw new AppError(400, 'usage', 'give one file: holidays:import FILE');
      return importHolidayCalendar(ctx, await readFileText(file));
    },
  },
  'directory:import': {
    usage: 'directory:import FILE [--dry-run]   (partner agencies from an Open Referral UK services page, by ORUK id: creates (paused, until the hub sets the inbox) or updates the name and description, never deletes; --dry-run says what it would do)',
    run: async (ctx, args) => {
      const { values, positionals } = parseArgs({ args, options: { 'dry-run': { type: 'boolean' } }, allowPositionals: true, strict: true });
      const [file, ...rest] = positionals;
      if (!file || rest.length) throw new AppError(400, 'usage', 'give one file: directory:import FILE [--dry-run]');
      return importOrukServices(ctx, await readFileText(file), { dryRun: values['dry-run'] === true });
    },
  },
  'token:revoke': {
    usage: 'token:revoke (--user USER_ID | --token TOKEN_ID)   (revokes every live token of a user, or one; audited)',
    run: async (ctx, args) => {
      const o = opts(args, { user: { type: 'string' }, token: { type: 'string' } });
      if (!o.user && !o.token) throw new AppError(400, 'usage', 'give --user or --token');
      if (o.token) return { revoked: (await revokeToken(ctx, CLI_ACTOR, String(o.token))).revoked ? 1 : 0 };
      return { revoked: await revokeAllTokensOfUser(ctx, String(o.user)) };
    },
  },
  tokens: {
    usage: 'tokens list [--user EMAIL] | tokens create --user EMAIL [--label LABEL] [--expires-days N] | tokens revoke TOKEN_ID   (API tokens: list with last use, make one (printed once), revoke one; audited)',
    run: async (ctx, args) => {
      const [sub, ...rest] = args;
      if (sub === 'list') {
        const o = opts(rest, { user: { type: 'string' } });
        const userId = o.user === undefined ? undefined : await userIdForEmail(ctx, String(o.user));
        const tokens = await listTokensForAdmin(ctx, CLI_ACTOR, { userId });
        return tokens.map((t) => ({ id: t.id, user: t.userEmail, label: t.label, state: t.state, createdAt: t.createdAt, expiresAt: t.expiresAt, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt }));
      }
      if (sub === 'create') {
        const o = opts(rest, { user: { type: 'string' }, label: { type: 'string' }, 'expires-days': { type: 'string' } });
        if (!o.user) throw new AppError(400, 'usage', 'give --user EMAIL');
        const days = o['expires-days'];
        const made = await createTokenForEmail(ctx, String(o.user), { label: String(o.label ?? 'cli'), expiresInDays: days === undefined ? undefined : (String(days) as unknown as number) });
        return { id: made.id, userId: made.userId, label: made.label, expiresAt: made.expiresAt, token: made.token };
      }
      if (sub === 'revoke') {
        const ids = parseArgs({ args: rest, options: {}, allowPositionals: true, strict: true }).positionals;
        if (ids.length !== 1) throw new AppError(400, 'usage', 'give one token id: tokens revoke TOKEN_ID');
        const r = await revokeToken(ctx, CLI_ACTOR, ids[0]!);
        return { id: ids[0], revoked: r.revoked };
      }
      throw new AppError(400, 'usage', 'tokens takes list, create or revoke');
    },
  },
};

const isUsageError = (err: unknown) =>
  (err instanceof AppError && err.code === 'usage') || (err instanceof TypeError && Boolean((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')));

export async function runCli(argv: string[], env: Env): Promise<number> {
  const [name, ...args] = argv;
  const cmd = name ? COMMANDS[name] : undefined;
  if (!cmd) {
    console.error(`usage: signpost <command>\n${Object.values(COMMANDS).map((c) => `  ${c.usage}`).join('\n')}`);
    return 64;
  }
  if (name === 'migrate') await ensureDatabase(env.DATABASE_URL);
  const ctx = createContext({ env: { ...env, LOG_LEVEL: env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL }, role: 'cli' });
  try {
    const out = await cmd.run(ctx, args);
    console.log(JSON.stringify(out));
    return 0;
  } catch (err) {
    if (err instanceof ZodError) console.error(err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
    else if (err instanceof AppError && err.code === 'usage') console.error(`${err.message}\nusage: signpost ${cmd.usage}`);
    else if (err instanceof AppError) console.error(`${err.message}${err.details ? ` ${JSON.stringify(err.details)}` : ''}`);
    else if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(`${err.message}\nusage: signpost ${cmd.usage}`);
    else console.error(err);
    // a command used wrongly is told apart from one that ran and failed (64: EX_USAGE)
    return isUsageError(err) ? 64 : 1;
  } finally {
    await ctx.close();
  }
}

if (isEntryPoint(import.meta.url)) {
  try {
    process.exitCode = await runCli(process.argv.slice(2), loadEnv());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exitCode = 78;
    } else throw err;
  }
}
