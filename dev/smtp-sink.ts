/**
 * An embedded SMTP sink on the `smtp-server` package, for the demo and the tests: it accepts
 * every message, keeps it in memory (and, given a folder, as an .eml file there), and can be
 * told to refuse mail for a while with a temporary (4xx) or permanent (5xx) reply, to exercise
 * the workers' retry rules against a real SMTP conversation. Not for production: no TLS, no
 * authentication, nothing is relayed.
 */
import { EventEmitter, once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { parseMail, type ParsedMail } from './mail-parse.js';

export interface SinkMessage extends ParsedMail {
  /** 1, 2, 3 ... in order of acceptance */
  seq: number;
  receivedAt: Date;
  envelope: { from: string; to: string[] };
  raw: string;
  /** where the .eml was written, when the sink has a folder */
  file: string | null;
}

export interface SinkRejection {
  at: Date;
  code: number;
  envelope: { from: string; to: string[] };
  messageId: string;
}

export interface SinkFault {
  /** the SMTP reply code to answer the DATA command with: 421, 451, 452 (temporary), 550, 554 (permanent) */
  code: number;
  message?: string;
  /** refuse this many messages, then accept again */
  times?: number;
  /** refuse for this long, then accept again */
  forMs?: number;
  /** refuse only messages to one of these recipients (default: every message) */
  recipients?: string[];
}

export interface SmtpSinkOptions {
  host?: string;
  /** 0 (the default) picks a free port */
  port?: number;
  /** keep each accepted message as <seq>-<time>.eml here */
  dir?: string | null;
}

interface ActiveFault {
  code: number;
  message: string;
  remaining: number;
  until: number;
  recipients: string[];
}

export class SmtpSink extends EventEmitter {
  readonly messages: SinkMessage[] = [];
  readonly rejections: SinkRejection[] = [];
  private fault: ActiveFault | null = null;
  private readonly server: SMTPServer;
  private readonly opts: SmtpSinkOptions;
  private boundPort = 0;
  private holding: { recipients: string[]; waiters: (() => void)[] } | null = null;
  private seqCounter = 0;

  constructor(opts: SmtpSinkOptions = {}) {
    super();
    this.opts = opts;
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      banner: 'Signpost SMTP sink',
      size: 10 * 1024 * 1024,
      onRcptTo: (address, _session, callback) => {
        const h = this.holding;
        if (!h || (h.recipients.length && !h.recipients.includes(address.address))) return callback();
        // hold the conversation before DATA: nothing is accepted until release()
        h.waiters.push(() => callback());
        this.emit('held', address.address);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', (err) => callback(err));
        stream.on('end', () => {
          const envelope = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          };
          this.receive(Buffer.concat(chunks).toString('utf8'), envelope).then(
            () => callback(null, 'OK: message accepted by the Signpost sink'),
            (err: Error) => callback(err),
          );
        });
      },
    });
    this.server.on('error', (err) => this.emit('server-error', err));
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `smtp://${this.opts.host ?? '127.0.0.1'}:${this.boundPort}`;
  }

  async start(): Promise<this> {
    if (this.opts.dir) await mkdir(this.opts.dir, { recursive: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.release();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Refuse mail with `code` until `times` messages were refused, `forMs` passed, or accept() is called. */
  failWith(fault: SinkFault): void {
    this.fault = {
      code: fault.code,
      message: fault.message ?? (fault.code >= 500 ? 'Requested action not taken: mailbox unavailable' : 'Try again later'),
      remaining: fault.times ?? Infinity,
      until: fault.forMs === undefined ? Infinity : Date.now() + fault.forMs,
      recipients: fault.recipients ?? [],
    };
  }

  /**
   * Stop answering RCPT TO (for these recipients, or all) until release(): the sender is left
   * mid-conversation with nothing accepted, e.g. to kill a worker in the middle of a send.
   */
  hold(recipients: string[] = []): void {
    this.holding ??= { recipients, waiters: [] };
  }

  release(): void {
    const h = this.holding;
    this.holding = null;
    for (const w of h?.waiters ?? []) w();
  }

  /** Accept everything again. */
  accept(): void {
    this.fault = null;
  }

  /** Forget what was received (the folder is left alone). */
  clear(): void {
    this.messages.length = 0;
    this.rejections.length = 0;
  }

  /** Resolves with the messages once at least `count` of those matching `filter` have arrived. */
  async waitFor(count: number, opts: { timeoutMs?: number; filter?: (m: SinkMessage) => boolean } = {}): Promise<SinkMessage[]> {
    const filter = opts.filter ?? (() => true);
    const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
    for (;;) {
      const got = this.messages.filter(filter);
      if (got.length >= count) return got;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`SMTP sink: expected ${count} message(s), got ${got.length}`);
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), left);
      try {
        await once(this, 'message', { signal: ac.signal });
      } catch {
        /* timed out: the loop reports it */
      } finally {
        clearTimeout(timer);
      }
    }
  }

  private activeFault(to: string[]): ActiveFault | null {
    const f = this.fault;
    if (!f) return null;
    if (f.remaining <= 0 || Date.now() >= f.until) {
      this.fault = null;
      return null;
    }
    if (f.recipients.length && !to.some((t) => f.recipients.includes(t))) return null;
    return f;
  }

  private async receive(raw: string, envelope: { from: string; to: string[] }): Promise<void> {
    const parsed = parseMail(raw);
    const fault = this.activeFault(envelope.to);
    if (fault) {
      fault.remaining -= 1;
      this.rejections.push({ at: new Date(), code: fault.code, envelope, messageId: parsed.messageId });
      this.emit('rejected', this.rejections.at(-1));
      throw Object.assign(new Error(fault.message), { responseCode: fault.code });
    }
    const seq = ++this.seqCounter;
    let file: string | null = null;
    if (this.opts.dir) {
      file = join(this.opts.dir, `${String(seq).padStart(5, '0')}-${Date.now()}.eml`);
      await writeFile(file, raw);
    }
    const message: SinkMessage = { ...parsed, seq, receivedAt: new Date(), envelope, raw, file };
    this.messages.push(message);
    this.emit('message', message);
  }
}
