/**
 * A private Postfix for the tests (Debian's `postfix` package, installed by .ci/run): its own
 * config_directory, queue_directory and data_directory in a temporary folder, listening on free
 * ports of 127.0.0.1 only, run in the foreground (`master -d`) as this process's child and ended
 * by stop(). The system's own Postfix (port 25, /etc/postfix) is never touched.
 *
 * It is a relay as councils and hosting firms run one: STARTTLS with a certificate from a private
 * CA that the helper makes with the machine's `openssl` (the CA's PEM is `caFile`; the server's
 * certificate names only `hostName`, so a client must be told that name), on `tlsPort`; the same
 * with TLS from the first byte (smtps, `smtpd_tls_wrappermode`) on `smtpsPort`; and the
 * same relay with TLS switched off (`smtpd_tls_security_level=none`, no STARTTLS offered) on
 * `plainPort`. Both accept mail from 127.0.0.1 and relay it to `relayTo` (an SMTP sink), where the
 * test reads what Postfix delivered. Postfix needs root to start (it drops to its `postfix` user).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);

export const POSTFIX_MASTER = process.env.POSTFIX_MASTER ?? '/usr/lib/postfix/sbin/master';

export interface TestPostfix {
  dir: string;
  /** STARTTLS offered, with the private CA's certificate for hostName */
  tlsPort: number;
  /** TLS from the first byte (smtps://), the same certificate */
  smtpsPort: number;
  /** no STARTTLS offered (the relay's TLS switched off) */
  plainPort: number;
  hostName: string;
  /** the private CA's certificate (PEM), for SMTP_CA_FILE */
  caFile: string;
  /** Postfix's own log (maillog_file) so far */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** The smtpd, qmgr, cleanup, smtp client and helpers Postfix needs to relay; no chroot, no local delivery. */
function masterCf(tlsPort: number, smtpsPort: number, plainPort: number): string {
  const services = [
    `127.0.0.1:${tlsPort} inet n - n - - smtpd`,
    `127.0.0.1:${smtpsPort} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt`,
    `127.0.0.1:${plainPort} inet n - n - - smtpd -o smtpd_tls_security_level=none`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'tlsmgr unix - - n 1000? 1 tlsmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'proxywrite unix - - n - 1 proxymap',
    'smtp unix - - n - - smtp',
    'relay unix - - n - - smtp',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
  ];
  return services.join('\n') + '\n';
}

function mainCf(dir: string, hostName: string, relayTo: { host: string; port: number }): string {
  return [
    'compatibility_level = 3.6',
    `queue_directory = ${dir}/queue`,
    `data_directory = ${dir}/data`,
    'mail_owner = postfix',
    `myhostname = ${hostName}`,
    // nothing is delivered here: every message is relayed to the sink
    'mydestination =',
    'local_recipient_maps =',
    'alias_maps =',
    'alias_database =',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    'smtpd_relay_restrictions = permit_mynetworks, reject',
    `relayhost = [${relayTo.host}]:${relayTo.port}`,
    'smtp_tls_security_level = none',
    `smtpd_tls_cert_file = ${dir}/conf/server.pem`,
    `smtpd_tls_key_file = ${dir}/conf/server.key`,
    'smtpd_tls_security_level = may',
    // a test's mail goes at once, and a sink that is gone is not retried for long
    'queue_run_delay = 1s',
    'minimal_backoff_time = 1s',
    'maximal_backoff_time = 2s',
    `maillog_file_prefixes = ${dir}`,
    `maillog_file = ${dir}/maillog`,
    '',
  ].join('\n');
}

/** A CA and a server certificate for hostName signed by it, made with the machine's openssl. */
async function makeCertificates(dir: string, hostName: string): Promise<void> {
  const days = '2';
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-days', days, '-subj', '/CN=Signpost test relay CA']);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'conf/server.key'), '-out', join(dir, 'server.csr'), '-subj', `/CN=${hostName}`]);
  await writeFile(join(dir, 'server.ext'), `subjectAltName=DNS:${hostName}\nextendedKeyUsage=serverAuth\n`);
  await run('openssl', ['x509', '-req', '-in', join(dir, 'server.csr'), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-out', join(dir, 'conf/server.pem'), '-days', days, '-extfile', join(dir, 'server.ext')]);
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postfix master exited (${child.exitCode}) before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`postfix is not listening on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startPostfix(opts: { relayTo: { host: string; port: number }; hostName?: string }): Promise<TestPostfix> {
  if (!existsSync(POSTFIX_MASTER)) {
    throw new Error(`Postfix is not installed (${POSTFIX_MASTER} missing): apt-get install postfix, as .ci/run does`);
  }
  const hostName = opts.hostName ?? 'relay.signpost.test';
  const dir = await mkdtemp(join(tmpdir(), 'signpost-postfix-'));
  // mkdtemp makes it 0700: Postfix's own user must reach its queue and data inside
  await chmod(dir, 0o755);
  await run('mkdir', ['-p', join(dir, 'conf'), join(dir, 'queue'), join(dir, 'data')]);
  const [tlsPort, smtpsPort, plainPort] = [await freePort(), await freePort(), await freePort()];
  await makeCertificates(dir, hostName);
  await writeFile(join(dir, 'conf/main.cf'), mainCf(dir, hostName, opts.relayTo));
  await writeFile(join(dir, 'conf/master.cf'), masterCf(tlsPort, smtpsPort, plainPort));
  // Postfix's own user writes its data directory; `postfix check` makes the queue's folders
  const { stdout } = await run('id', ['-u', 'postfix']);
  await chown(join(dir, 'data'), Number(stdout.trim()), 0);
  await run('postfix', ['-c', join(dir, 'conf'), 'check']);
  const child = spawn(POSTFIX_MASTER, ['-d', '-c', join(dir, 'conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const log = async () => ((await readFile(join(dir, 'maillog'), 'utf8').catch(() => '')) + output);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(tlsPort, child, 30_000);
    await waitForPort(smtpsPort, child, 30_000);
    await waitForPort(plainPort, child, 30_000);
  } catch (err) {
    const text = await log();
    await stop();
    throw new Error(`${(err as Error).message}\n${text}`);
  }
  return { dir, tlsPort, smtpsPort, plainPort, hostName, caFile: join(dir, 'ca.pem'), log, stop };
}
