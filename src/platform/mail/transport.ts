/**
 * The one pooled nodemailer transport, built from SMTP_URL (smtp://user:pass@host:port, or
 * smtps:// for implicit TLS). Pooled: the forward and notify workers share a few long-lived
 * connections instead of a handshake per message. Every message carries the hub's from and
 * reply-to addresses and a Message-ID the caller chose (stable per notification, so a retry
 * is recognisably the same message).
 */
import nodemailer from 'nodemailer';
import type { Env } from '../../../config/env.js';
import { flattenToOneLine } from '../../kernel/one-line.js';
import { redactAddresses } from '../../kernel/mail-redaction.js';
import { SpanKind, withSpan } from '../tracing.js';

/** A mail as a template renders it: its subject and plain text. */
export interface RenderedMail {
  subject: string;
  text: string;
}

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string | null;
  /** '<...@...>', the same for every attempt at this message */
  messageId: string;
}

export interface Mailer {
  /** Resolves with the Message-ID once the server accepted the message; rejects with a MailError. */
  send(mail: OutgoingMail): Promise<{ messageId: string; response: string }>;
  close(): void;
}

/** Why a send failed, in the terms the workers act on (docs/failure.md, reliability rule 6). */
export class MailError extends Error {
  constructor(
    message: string,
    /** 5xx (except 503): the same message would be refused again; stop and alert */
    readonly permanent: boolean,
    readonly responseCode: number | null,
  ) {
    super(message);
    this.name = 'MailError';
  }
}

/**
 * 4xx, 503 and connection errors are temporary; other 5xx replies are permanent. The text has no
 * address in it (kernel/mail-redaction.ts: a server's reply quotes the recipient, and this text
 * is stored, kept with a failed job and logged); `recipients` are the mail's, removed wherever
 * they appear. Nothing else of the library's error (its `response`, `rejected` list) is kept.
 */
export function classifyMailError(err: unknown, recipients: readonly string[] = []): MailError {
  if (err instanceof MailError) return err;
  const e = err as { message?: string; responseCode?: number; permanent?: boolean; code?: string };
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  const permanent = e.permanent ?? (code !== null && code >= 500 && code !== 503);
  const text = redactAddresses(e.message ?? String(err), recipients).slice(0, 500);
  return new MailError(code ? text : `${e.code ?? 'ERROR'}: ${text}`, permanent, code);
}

export function createMailer(env: Pick<Env, 'SMTP_URL' | 'MAIL_FROM' | 'MAIL_REPLY_TO' | 'WORKER_CONCURRENCY'>, onError: (err: Error) => void = () => {}): Mailer {
  const transport = nodemailer.createTransport(
    {
      url: env.SMTP_URL,
      pool: true,
      maxConnections: Math.min(env.WORKER_CONCURRENCY, 5),
      maxMessages: 100,
      // fail fast enough for a BullMQ retry to be the thing that waits, not a hung socket
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    },
    { from: env.MAIL_FROM, replyTo: env.MAIL_REPLY_TO },
  );
  // a pooled connection that fails while idle is reported here, not thrown: without a listener
  // it would end the process (a send in progress fails through its own promise)
  transport.on('error', onError);
  return {
    // one span per send (docs/ops/tracing.md): the Message-ID (an id) and the relay's reply
    // code; never the recipient, the subject or the text
    send: (mail) =>
      withSpan(
        'smtp send',
        { kind: SpanKind.CLIENT, attributes: { 'signpost.mail.message_id': mail.messageId }, describeError: (err) => (err instanceof MailError ? `${err.permanent ? 'permanent' : 'temporary'} ${err.responseCode ?? 'connection'} failure` : 'error') },
        async (span) => {
          const sent = await sendOne(mail);
          span.setAttribute('signpost.smtp.reply_code', Number(/^\d{3}/.exec(sent.response)?.[0] ?? 0));
          return sent;
        },
      ),
    close() {
      transport.close();
    },
  };

  async function sendOne(mail: OutgoingMail): Promise<{ messageId: string; response: string }> {
    try {
      const info = await transport.sendMail({
        to: mail.to,
        // a subject is one header line, whatever a template put in it (nodemailer would fold
        // a line break, but a subject never needs one)
        subject: flattenToOneLine(mail.subject),
        text: mail.text,
        ...(mail.html ? { html: mail.html } : {}),
        messageId: mail.messageId,
      });
      return { messageId: mail.messageId, response: String(info.response ?? '') };
    } catch (err) {
      throw classifyMailError(err, [mail.to]);
    }
  }
}
