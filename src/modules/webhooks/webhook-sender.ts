/**
 * One POST of one delivery (docs/webhooks.md#delivery): the body as stored, the Standard
 * Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`: `v1,` and the
 * HMAC-SHA256 of `id.timestamp.body`, made by the `standardwebhooks` package; two signatures,
 * space-separated, while a rotated secret's day lasts), a time limit for the whole exchange,
 * redirects never followed (a 3xx is a failed attempt), and the connection made only to an
 * address checked at this moment (webhook-address.ts).
 */
import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { assertSafeUrl, checkedLookup, type AddressPolicy } from './webhook-address.js';

export interface SendInput {
  url: string;
  msgId: string;
  at: Date;
  body: string;
  /** the current secret first; the previous one while its day lasts */
  secrets: string[];
  timeoutMs: number;
  userAgent: string;
}

/** What the receiver answered (any status), or why no answer came. */
export type SendResult = { kind: 'answered'; status: number; retryAfter: string | undefined } | { kind: 'error'; message: string; unsafe: boolean };

/** The `webhook-signature` header: one `v1,` signature per secret, space-separated. */
export function signatureHeader(secrets: string[], msgId: string, at: Date, body: string): string {
  return secrets.map((s) => new Webhook(s).sign(msgId, at, body)).join(' ');
}

/** The most of a receiver's answer that is read (and thrown away): its status is what counts. */
const MAX_ANSWER_BYTES = 16 * 1024;

export async function sendDelivery(input: SendInput, policy: AddressPolicy): Promise<SendResult> {
  let url: URL;
  try {
    url = await assertSafeUrl(input.url, policy);
  } catch (err) {
    return { kind: 'error', message: (err as Error).message, unsafe: true };
  }
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(input.body)),
    'user-agent': input.userAgent,
    'webhook-id': input.msgId,
    'webhook-timestamp': String(Math.floor(input.at.getTime() / 1000)),
    'webhook-signature': signatureHeader(input.secrets, input.msgId, input.at, input.body),
  };
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const done = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = lib.request(url, { method: 'POST', headers, agent: false, lookup: checkedLookup(policy) }, (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      const answered = () => done({ kind: 'answered', status: res.statusCode ?? 0, retryAfter: header(res.headers['retry-after']) });
      res.on('end', answered);
      res.on('close', answered);
      res.on('error', answered);
    });
    const timer = setTimeout(() => {
      req.destroy();
      done({ kind: 'error', message: `no answer within ${Math.round(input.timeoutMs / 1000)} s`, unsafe: false });
    }, input.timeoutMs);
    req.on('error', (err) => done({ kind: 'error', message: err.message.slice(0, 300), unsafe: err.name === 'UnsafeAddressError' }));
    req.end(input.body);
  });
}

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
