/**
 * A read-only web page over an SMTP sink's messages (the demo's "what did the hub send?"):
 * GET / lists them newest first, GET /<seq> shows one as text, GET /<seq>.eml gives the raw
 * message. On its own port, bound to localhost: it shows personal data and has no login.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SmtpSink } from './smtp-sink.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Escaped text with its http(s) addresses as links, so that a mail's links can be followed. */
const linkify = (s: string) =>
  esc(s).replace(/\bhttps?:\/\/[^\s<>&"']+[^\s<>&"'.,;:)]/g, (url) => `<a href="${url}">${url}</a>`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem;max-width:70rem;overflow-wrap:anywhere}td,th{padding:.3rem .6rem;text-align:left;border-bottom:1px solid #ddd}pre{white-space:pre-wrap;background:#f4f4f4;padding:1rem}</style>
</head><body>${body}</body></html>`;
}

export async function startSinkPage(sink: SmtpSink, port: number, host = '127.0.0.1'): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const m = /^\/(\d+)(\.eml)?$/.exec(path);
    if (path === '/' || path === '') {
      const rows = [...sink.messages]
        .reverse()
        .map((x) => `<tr><td><a href="/${x.seq}">${x.seq}</a></td><td>${esc(x.receivedAt.toISOString())}</td><td>${esc(x.envelope.to.join(', '))}</td><td>${esc(x.subject)}</td><td><a href="/${x.seq}.eml">.eml</a></td></tr>`)
        .join('');
      const refused = sink.rejections.length ? `<p>${sink.rejections.length} message(s) refused by a simulated fault.</p>` : '';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page('Signpost demo mail', `<h1>Mail received by the demo SMTP sink (${sink.messages.length})</h1>${refused}<table><tr><th>#</th><th>received</th><th>to</th><th>subject</th><th></th></tr>${rows}</table><p>Reload to see new mail.</p>`));
      return;
    }
    const msg = m ? sink.messages.find((x) => x.seq === Number(m[1])) : undefined;
    if (!msg) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no such message');
      return;
    }
    if (m![2]) {
      res.writeHead(200, { 'content-type': 'message/rfc822', 'content-disposition': `attachment; filename="${msg.seq}.eml"` });
      res.end(msg.raw);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      page(
        msg.subject,
        `<p><a href="/">all mail</a></p><h1>${esc(msg.subject)}</h1><p>From: ${esc(msg.from)}<br>To: ${esc(msg.to)}<br>Message-ID: ${esc(msg.messageId)}<br>Received: ${esc(msg.receivedAt.toISOString())}</p><pre>${linkify(msg.text)}</pre>`,
      ),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    server,
    // `localhost`, as the hub's own links in the demo are (one name, so one set of cookies)
    url: `http://${host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : host}:${bound}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
