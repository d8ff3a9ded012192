/**
 * The one pooled nodemailer transport, built from SMTP_URL (smtp://user:pass@host:port, or
 * smtps:// for implicit TLS). Pooled: the forward and notify workers share a few long-lived
 * connections instead of a handshake per message. Every message carries the hub's from and
 * reply-to addresses and a Message-ID the caller chose (stable per notification, so a retry
 * is recognisably the same message).
 *
 * Real relays (docs/ops/mail-relay.md): with SMTP_REQUIRE_TLS nothing is sent over a connection
 * without TLS (STARTTLS is required on smtp://; smtps:// is TLS from the start); SMTP_CA_FILE
 * adds a private CA to the trusted ones; SMTP_TLS_SERVERNAME is the name the relay's certificate
 * must carry. With DKIM_* every mail is signed (nodemailer's own DKIM). Every mail says
 * `Auto-Submitted: auto-generated` (RFC 3834): no out-of-office reply should answer it.
 */
import { readFileSync } from 'node:fs';
import { getCACertificates } from 'node:tls';
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

/** Node's codes for a peer certificate it would not trust (node:tls, OpenSSL's X509_V_ERR_* names). */
const TLS_CERTIFICATE_CODES = /^(ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_.*|.*SELF_SIGNED.*|UNABLE_TO_.*|CERT_.*|.*_CERT_.*|HOSTNAME_MISMATCH)$/;

/**
 * 4xx, 503, connection errors and TLS refusals are temporary; other 5xx replies are permanent. The text has no
 * address in it (kernel/mail-redaction.ts: a server's reply quotes the recipient, and this text
 * is stored, kept with a failed job and logged); `recipients` are the mail's, removed wherever
 * they appear. Nothing else of the library's error (its `response`, `rejected` list) is kept.
 */
export function classifyMailError(err: unknown, recipients: readonly string[] = []): MailError {
  if (err instanceof MailError) return err;
  const e = err as { message?: string; responseCode?: number; permanent?: boolean; code?: string; originalCode?: string };
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  const text = redactAddresses(e.message ?? String(err), recipients).slice(0, 500);
  // No TLS (the relay offers no STARTTLS while it is required, or answers it with a 5xx) or its
  // certificate refused (Node's verification code, kept by nodemailer as originalCode): nothing
  // was sent, and the relay may be put right (a certificate renewed, STARTTLS switched back on,
  // SMTP_CA_FILE set). Temporary, whatever the reply code: the referral waits on its clock and
  // the sweep sees it, rather than being failed for good.
  if (e.code === 'ETLS') return new MailError(`ETLS: ${text}`, false, code);
  if (e.originalCode && TLS_CERTIFICATE_CODES.test(e.originalCode)) return new MailError(`ETLS (${e.originalCode}): ${text}`, false, code);
  const permanent = e.permanent ?? (code !== null && code >= 500 && code !== 503);
  return new MailError(code ? text : `${e.code ?? 'ERROR'}: ${text}`, permanent, code);
}

/** Every automatic mail's own headers (RFC 3834; Exchange's auto-reply suppression). */
export const AUTOMATIC_MAIL_HEADERS = Object.freeze({ 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' });

/** The header fields a DKIM signature covers: nodemailer's list (RFC 6376 5.4.1) and the automatic-mail headers. */
const DKIM_SIGNED_FIELDS =
  'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:' +
  'In-Reply-To:References:Auto-Submitted:X-Auto-Response-Suppress';

export type MailSettings = Pick<
  Env,
  'SMTP_URL' | 'MAIL_FROM' | 'MAIL_REPLY_TO' | 'WORKER_CONCURRENCY' | 'SMTP_REQUIRE_TLS' | 'SMTP_CA_FILE' | 'SMTP_TLS_SERVERNAME' | 'DKIM_DOMAIN' | 'DKIM_SELECTOR' | 'DKIM_PRIVATE_KEY_FILE'
>;

/**
 * The transport's TLS and DKIM options from the settings; the files are read here, once
 * (config/env.ts has already checked that they can be). A private CA is added to Node's own
 * trusted CAs (with NODE_EXTRA_CA_CERTS), not put in their place.
 */
export function mailTransportOptions(env: Omit<MailSettings, 'SMTP_URL' | 'MAIL_FROM' | 'MAIL_REPLY_TO' | 'WORKER_CONCURRENCY'>) {
  const tls: { ca?: string[]; servername?: string } = {};
  if (env.SMTP_CA_FILE) tls.ca = [...getCACertificates('default'), readFileSync(env.SMTP_CA_FILE, 'utf8')];
  if (env.SMTP_TLS_SERVERNAME) tls.servername = env.SMTP_TLS_SERVERNAME;
  const dkim =
    env.DKIM_DOMAIN && env.DKIM_SELECTOR && env.DKIM_PRIVATE_KEY_FILE
      ? { domainName: env.DKIM_DOMAIN, keySelector: env.DKIM_SELECTOR, privateKey: readFileSync(env.DKIM_PRIVATE_KEY_FILE, 'utf8'), headerFieldNames: DKIM_SIGNED_FIELDS }
      : undefined;
  return { requireTLS: env.SMTP_REQUIRE_TLS, tls, ...(dkim ? { dkim } : {}) };
}

export function createMailer(env: MailSettings, onError: (err: Error) => void = () => {}): Mailer {
  const transport = nodemailer.createTransport(
    {
      url: env.SMTP_URL,
      ...mailTransportOptions(env),
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
        headers: { ...AUTOMATIC_MAIL_HEADERS },
      });
      return { messageId: mail.messageId, response: String(info.response ?? '') };
    } catch (err) {
      throw classifyMailError(err, [mail.to]);
    }
  }
}
