/**
 * Mail through a real relay: Debian's Postfix (test/helpers/postfix.ts, a private instance on
 * free ports) with STARTTLS and a certificate from a CA this file makes, relaying to an SMTP
 * sink where the test reads what Postfix delivered.
 *  (a) with SMTP_CA_FILE, SMTP_TLS_SERVERNAME and SMTP_REQUIRE_TLS the forward arrives through
 *      Postfix over TLS, says Auto-Submitted, and its DKIM signature verifies (mailauth, with the
 *      DNS lookup of the selector answered by this file's public key: mocked because the test's
 *      domain has no DNS);
 *  (b) without the CA the relay's certificate is refused: the referral waits (pending, retried),
 *      nothing reaches Postfix, and the sweep records the T1 breach when the 24 h pass;
 *  (a') the same through its smtps:// listener (TLS from the first byte), and refused without the CA;
 *  (c) a relay that offers no STARTTLS is refused while TLS is required: nothing is sent in clear;
 *      the same relay with SMTP_REQUIRE_TLS=false takes it (so the refusal is the setting's).
 * Retry backoff is set for these jobs only (see retriesEvery); the 24 h policy is untouched.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../config/env.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { apiClient } from './helpers/api.js';
import { submit } from './helpers/referrals.js';
import { makeUser, seedChecklist, type TestUser } from './helpers/factories.js';
import { startTestSink, settle, type SinkMessage, type SmtpSink } from './helpers/smtp-sink.js';
import { startTestWorkers, waitUntil, type TestWorkers } from './helpers/workers.js';
import { startPostfix, type TestPostfix } from './helpers/postfix.js';
import { JOBS } from '../src/platform/jobs/registry.js';
import { HOUR } from '../src/kernel/clock.js';
import { runSweep } from '../src/modules/sla/index.js';

const DKIM_DOMAIN = 'signpost.example.org';
const DKIM_SELECTOR = 'relaytest';

let ctx: TestContext;
let sink: SmtpSink;
let postfix: TestPostfix;
let keyDir: string;
let dkimTxt: string;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let linkWorker: TestUser;
let workers: TestWorkers | undefined;

beforeAll(async () => {
  sink = await startTestSink();
  postfix = await startPostfix({ relayTo: { host: '127.0.0.1', port: sink.port } });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  keyDir = await mkdtemp(join(tmpdir(), 'signpost-dkim-'));
  await writeFile(join(keyDir, 'dkim.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  // the DNS TXT record a hub publishes at <selector>._domainkey.<domain> (docs/ops/mail-relay.md)
  dkimTxt = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
  ctx = await createTestContext({
    SMTP_URL: `smtp://127.0.0.1:${postfix.tlsPort}`,
    SMTP_REQUIRE_TLS: 'true',
    SMTP_CA_FILE: postfix.caFile,
    // the relay is reached by its address; its certificate names relay.signpost.test only
    SMTP_TLS_SERVERNAME: postfix.hostName,
    DKIM_DOMAIN,
    DKIM_SELECTOR,
    DKIM_PRIVATE_KEY_FILE: join(keyDir, 'dkim.pem'),
    MAIL_FROM: `Signpost hub <hub@${DKIM_DOMAIN}>`,
  });
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  linkWorker = await makeUser(ctx, 'link_worker');
}, 120_000);
afterEach(async () => {
  await workers?.stop();
  workers = undefined;
});
afterAll(async () => {
  await ctx?.close();
  await postfix?.stop();
  await sink?.stop();
  if (keyDir) await rm(keyDir, { recursive: true, force: true });
});

/** Answers the verifier's DNS question for the test's selector, and only that one. */
const resolver = async (name: string, type: string): Promise<string[][]> => {
  if (type === 'TXT' && name === `${DKIM_SELECTOR}._domainkey.${DKIM_DOMAIN}`) return [[dkimTxt]];
  throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
};

/** Submits a checklist flagging one agency (by question index); workers are not running yet. */
async function submitOne(index: number) {
  const ref = (await submit(api, linkWorker, q, [q.questions[index]!.id])).referrals[0]!;
  const agency = await ctx.db.selectFrom('agencies').selectAll().where('id', '=', ref.agencyId).executeTakeFirstOrThrow();
  return { ref, agency };
}

/** Replaces the intake's job by one with the same id that retries every `ms` (tests only). */
async function retriesEvery(referralId: string, ms: number) {
  const jobId = `forward-${referralId}`;
  const queue = ctx.jobs.queue('forward');
  await queue.remove(jobId);
  await queue.add('forward-referral', { referralId }, { ...JOBS['forward-referral'].options, jobId, backoff: { type: 'fixed', delay: ms } });
}

/** A sink filter: the forward mail of this referral (its Message-ID is `<forward-<id>@…>`). */
const forwardOf = (referralId: string) => (m: SinkMessage) => m.messageId.startsWith(`<forward-${referralId}@`);

const referral = (id: string) => ctx.db.selectFrom('referrals').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** Postfix's log lines that show it took in a message with this Message-ID. */
async function postfixTookIn(messageId: string): Promise<boolean> {
  return (await postfix.log()).includes(`message-id=<${messageId}>`);
}

/**
 * A forward refused before any mail went: still pending after two tries (retried, not failed for
 * good), the reason kept, nothing in Postfix or the sink, and the T1 breach once 24 h pass.
 */
async function expectWaitingAfterRefusal(env: Partial<Env>, index: number, reason: RegExp) {
  const { ref } = await submitOne(index);
  await retriesEvery(ref.id, 500);
  workers = await startTestWorkers(ctx, ['forward'], { env });
  const tried = await waitUntil(async () => {
    const r = await referral(ref.id);
    return r.forwardAttempts >= 2 && r;
  }, 30_000);
  await workers.stop();
  workers = undefined;

  expect(tried.status).toBe('pending');
  expect(tried.lastForwardError).toMatch(reason);
  const job = await ctx.jobs.queue('forward').getJob(`forward-${ref.id}`);
  expect(['delayed', 'waiting', 'prioritized']).toContain(await job!.getState());
  const n = await ctx.db.selectFrom('notifications').selectAll().where('dedupeKey', '=', `forward:${ref.id}`).executeTakeFirstOrThrow();
  expect(n.status).not.toBe('sent');
  expect(n.status).not.toBe('failed');
  expect(await postfixTookIn(n.messageId)).toBe(false);
  expect(await settle(sink, forwardOf(ref.id), 300)).toHaveLength(0);

  // the hub's clock runs on: the sweep records the forward breach as for any mail that waits
  const r0 = await referral(ref.id);
  ctx.clock.set(new Date(r0.forwardDueAt.getTime() + HOUR));
  await runSweep(ctx);
  const breach = await ctx.db.selectFrom('slaBreaches').selectAll().where('referralId', '=', ref.id).executeTakeFirst();
  expect(breach?.clock).toBe('forward');
  expect(breach?.resolvedAt).toBeNull();
}

describe('a forward through Postfix with STARTTLS and a private CA', () => {
  it('arrives over TLS, says Auto-Submitted, and its DKIM signature verifies', { timeout: 60_000 }, async () => {
    const { ref } = await submitOne(1);
    workers = await startTestWorkers(ctx, ['forward']);
    const [mail] = await sink.waitFor(1, { filter: forwardOf(ref.id), timeoutMs: 30_000 });
    const done = await waitUntil(async () => {
      const r = await referral(ref.id);
      return r.status === 'forwarded' && r;
    });
    expect(done.forwardAttempts).toBe(1);

    // Postfix took it in over TLS (ESMTPS) and relayed it to the sink
    expect(mail!.messageId).toBe(done.forwardMessageId);
    expect(await postfixTookIn(mail!.messageId.replace(/^<|>$/g, ''))).toBe(true);
    expect(mail!.headers['received']).toMatch(new RegExp(`by ${postfix.hostName.replace(/\./g, '\\.')} \\(Postfix\\) with ESMTPS`));
    expect(mail!.headers['auto-submitted']).toBe('auto-generated');
    expect(mail!.headers['x-auto-response-suppress']).toBe('All');

    const verified = await dkimVerify(Buffer.from(mail!.raw), { resolver });
    expect(verified.results).toHaveLength(1);
    const [sig] = verified.results;
    expect(sig!.status.result).toBe('pass');
    expect(sig!.signingDomain).toBe(DKIM_DOMAIN);
    expect(sig!.selector).toBe(DKIM_SELECTOR);
    // the signature covers what an out-of-office rule reads
    expect(String(sig!.signingHeaders?.keys).toLowerCase().split(/[:,]\s*/)).toEqual(expect.arrayContaining(['from', 'subject', 'message-id', 'auto-submitted']));
    // and the verifier is not one that passes anything: a changed body fails
    const changed = mail!.raw.replace(ref.reference, 'SP-CHANGED');
    expect(changed).not.toBe(mail!.raw);
    const failed = await dkimVerify(Buffer.from(changed), { resolver });
    expect(failed.results[0]!.status.result).toBe('fail');
  });
});

describe('a forward through Postfix with TLS from the first byte (smtps://)', () => {
  it('arrives with the same CA and host name', { timeout: 60_000 }, async () => {
    const { ref } = await submitOne(6);
    workers = await startTestWorkers(ctx, ['forward'], { env: { SMTP_URL: `smtps://127.0.0.1:${postfix.smtpsPort}` } });
    const [mail] = await sink.waitFor(1, { filter: forwardOf(ref.id), timeoutMs: 30_000 });
    await waitUntil(async () => (await referral(ref.id)).status === 'forwarded');
    expect(mail!.headers['received']).toMatch(/\(Postfix\) with ESMTPS id/);
  });

  it("is refused the same way without the CA: the referral waits", { timeout: 90_000 }, async () => {
    await expectWaitingAfterRefusal({ SMTP_URL: `smtps://127.0.0.1:${postfix.smtpsPort}`, SMTP_CA_FILE: undefined }, 7, /^ETLS \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT)\): /);
  });
});

describe('TLS refused', () => {
  it("without the CA the relay's certificate is refused: the referral waits, nothing is sent", { timeout: 90_000 }, async () => {
    await expectWaitingAfterRefusal({ SMTP_CA_FILE: undefined }, 2, /^ETLS \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT)\): /);
  });

  it('without the host name the certificate does not match the address: refused the same way', { timeout: 90_000 }, async () => {
    await expectWaitingAfterRefusal({ SMTP_TLS_SERVERNAME: undefined }, 3, /^ETLS \(ERR_TLS_CERT_ALTNAME_INVALID\): .*altnames/);
  });

  it('a relay that offers no STARTTLS is refused while TLS is required: nothing goes in clear', { timeout: 90_000 }, async () => {
    await expectWaitingAfterRefusal({ SMTP_URL: `smtp://127.0.0.1:${postfix.plainPort}` }, 4, /^ETLS: .*STARTTLS/);
  });

  it('the same relay takes the mail in clear when TLS is not required (the refusal is the setting’s)', { timeout: 60_000 }, async () => {
    const { ref } = await submitOne(5);
    workers = await startTestWorkers(ctx, ['forward'], { env: { SMTP_URL: `smtp://127.0.0.1:${postfix.plainPort}`, SMTP_REQUIRE_TLS: false } });
    const [mail] = await sink.waitFor(1, { filter: forwardOf(ref.id), timeoutMs: 30_000 });
    await waitUntil(async () => (await referral(ref.id)).status === 'forwarded');
    expect(mail!.headers['received']).toMatch(/\(Postfix\) with ESMTP id/);
  });
});
