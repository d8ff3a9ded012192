/**
 * A small reader for the mail the hub itself writes (nodemailer output): unfolded headers,
 * RFC 2047 encoded words, and the text/plain and text/html bodies of a single-part or
 * multipart message in 7bit, quoted-printable or base64. It is for the SMTP sink (the demo's
 * mail page and the tests), not a general MIME parser.
 */

export interface ParsedMail {
  /** header names lower-cased; a repeated header keeps its first value */
  headers: Record<string, string>;
  subject: string;
  messageId: string;
  from: string;
  to: string;
  text: string;
  html: string | null;
}

function splitHeadBody(raw: string): [string, string] {
  const m = /\r?\n\r?\n/.exec(raw);
  return m ? [raw.slice(0, m.index), raw.slice(m.index + m[0].length)] : [raw, ''];
}

function parseHeaders(head: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    if (!(name in headers)) headers[name] = line.slice(i + 1).trim();
  }
  return headers;
}

function decodeQuotedPrintable(s: string): Buffer {
  const soft = s.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i]!;
    const hex = soft.slice(i + 1, i + 3);
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

/** =?UTF-8?Q?...?= and =?UTF-8?B?...?= words, as nodemailer writes non-ASCII subjects. */
export function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replace(/_/g, ' ')).toString('utf8'),
    );
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'quoted-printable':
      return decodeQuotedPrintable(body).toString('utf8');
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

function boundaryOf(contentType: string): string | null {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  return m ? m[1]! : null;
}

function collectParts(raw: string, out: { text: string[]; html: string[] }): void {
  const [head, body] = splitHeadBody(raw);
  const h = parseHeaders(head);
  const type = (h['content-type'] ?? 'text/plain').toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = boundaryOf(h['content-type']!);
    if (!boundary) return;
    const pieces = body.split(`--${boundary}`);
    // pieces[0] is the preamble; the last one starts with "--" (the epilogue)
    for (const piece of pieces.slice(1)) {
      if (piece.startsWith('--')) break;
      collectParts(piece.replace(/^\r?\n/, ''), out);
    }
    return;
  }
  const decoded = decodeBody(body, h['content-transfer-encoding']);
  if (type.startsWith('text/html')) out.html.push(decoded);
  else if (type.startsWith('text/plain')) out.text.push(decoded);
}

export function parseMail(raw: string): ParsedMail {
  const [head] = splitHeadBody(raw);
  const headers = parseHeaders(head);
  const parts = { text: [] as string[], html: [] as string[] };
  collectParts(raw, parts);
  return {
    headers,
    subject: decodeWords(headers['subject'] ?? ''),
    messageId: headers['message-id'] ?? '',
    from: decodeWords(headers['from'] ?? ''),
    to: decodeWords(headers['to'] ?? ''),
    text: parts.text.join('\n').replace(/\r\n/g, '\n'),
    html: parts.html.length ? parts.html.join('\n') : null,
  };
}
