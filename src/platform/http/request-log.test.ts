import { describe, expect, it } from 'vitest';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../logger.js';
import { loggableUrl, requestLogger } from './request-log.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, stream: { write: (s: string) => lines.push(JSON.parse(s)) } };
}

describe('logging', () => {
  it('redacts personal data wherever a log call puts it', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream);
    log.info({ person: { givenName: 'Ada', dateOfBirth: '1941-03-02' }, referral: { email: 'a@example.org', postcode: 'SE1 7PB' }, phone: '020 7946 0000' }, 'x');
    const text = JSON.stringify(lines);
    for (const secret of ['Ada', '1941-03-02', 'a@example.org', 'SE1 7PB', '020 7946 0000']) expect(text).not.toContain(secret);
    expect(lines[0]!.person).toBe('[redacted]');
    log.info({ nhsNumber: '9434765919', match: { accessNeeds: 'Hard of hearing', language: 'Welsh', representativeName: 'Joan Vale', representativeRelationship: 'daughter' } }, 'y');
    for (const secret of ['9434765919', 'Hard of hearing', 'Welsh', 'Joan Vale', 'daughter']) expect(JSON.stringify(lines[1])).not.toContain(secret);
    log.info({ wellbeing: { anxious: 9 }, body: { wellbeing: { lifeSatisfaction: 2 } } }, 'z');
    expect(lines[2]!.wellbeing).toBe('[redacted]');
    expect((lines[2]!.body as { wellbeing: unknown }).wellbeing).toBe('[redacted]');
  });

  it('gives each request an id, logs one completion line at a level that fits the status, and never the body', async () => {
    const { lines, stream } = capture();
    const app = express();
    app.use(requestLogger(createLogger('info', stream)));
    app.use(express.json());
    app.post('/ok', (req, res) => {
      req.log.info('inside');
      res.status(201).json({ id: req.id });
    });
    app.post('/bad', (_req, res) => {
      res.status(400).end();
    });
    const server = await new Promise<ReturnType<typeof app.listen>>((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const res = await fetch(`${base}/ok`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'req-1' }, body: JSON.stringify({ givenName: 'Ada' }) });
      expect(res.headers.get('x-request-id')).toBe('req-1');
      expect(await res.json()).toEqual({ id: 'req-1' });
      await fetch(`${base}/bad`, { method: 'POST' });
      await new Promise((r) => setTimeout(r, 20));
      const inside = lines.find((l) => l.msg === 'inside')!;
      expect(inside.reqId).toBe('req-1');
      const done = lines.filter((l) => l.msg === 'request completed');
      expect(done.map((l) => [l.level, (l.res as { statusCode: number }).statusCode])).toEqual([
        [30, 201],
        [40, 400],
      ]);
      expect(JSON.stringify(lines)).not.toContain('Ada');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('keeps agency link tokens, CSRF tokens and search terms out of logged URLs', () => {
    expect(loggableUrl('/a/AbC_123-xyz?done=ack')).toBe('/a/[token]?done=ack');
    expect(loggableUrl('/sign-out?_csrf=secret&x=1')).toBe('/sign-out?[redacted]&[redacted]');
    expect(loggableUrl('/api/v1/referrals?status=pending&limit=5')).toBe('/api/v1/referrals?status=pending&limit=5');
    // the person search's terms are personal data
    expect(loggableUrl('/api/v1/people?q=Ada%20Lovelace%2010/12/1935')).toBe('/api/v1/people?[redacted]');
    expect(loggableUrl('/api/v1/people?limit=5&Q=SE1%207PB')).toBe('/api/v1/people?limit=5&[redacted]');
    expect(loggableUrl('/api/v1/sla/breaches?agencyId=not-an-id&limit=5x')).toBe('/api/v1/sla/breaches?agencyId=[redacted]&limit=[redacted]');
    // an allowed key with a value that is not plain is withheld too
    expect(loggableUrl('/hub/referrals?status=Ada%20Lovelace')).toBe('/hub/referrals?status=[redacted]');
  });

  it('logs nothing of a search query, whatever the shape of its key (through Express’s own query parser)', async () => {
    const { lines, stream } = capture();
    const app = express();
    app.use(requestLogger(createLogger('info', stream)));
    // what the route saw, to show that Express read each shape as some key holding the words
    const seen: unknown[] = [];
    app.get('/api/v1/people', (req, res) => {
      seen.push(req.query);
      res.status(400).end();
    });
    const server = await new Promise<ReturnType<typeof app.listen>>((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const words = 'Lovelace';
    const shapes = [
      `q=Ada+${words}`,
      `q[]=Ada+${words}`,
      `q%5B%5D=Ada%20${words}`,
      `q%5b%5d=Ada%20${words}`,
      `q[0]=Ada&q[1]=${words}`,
      `q[a]=${words}`,
      `q+=Ada+${words}`,
      `q%20=Ada+${words}`,
      `%71=${words}`,
      `%71%5B%5D=${words}`,
      `Q=${words}`,
      `q=Ada&q=${words}`,
      `limit=5&q=${words}&limit=6`,
      `q=${words}%20SE1%207PB%2010%2F12%2F1935`,
      `${words}=1`,
      `limit=${words}`,
      `next=%2Fhub%2Fpeople%3Fq%3D${words}`,
      `q=${words}#fragment`,
      `q=%E0%A4%A${words}`,
    ];
    try {
      for (const shape of shapes) {
        const res = await fetch(`${base}/api/v1/people?${shape}`);
        expect(res.status, shape).toBe(400);
      }
      await new Promise((r) => setTimeout(r, 20));
      expect(JSON.stringify(seen)).toContain(words);
      const done = lines.filter((l) => l.msg === 'request completed');
      expect(done).toHaveLength(shapes.length);
      for (const l of done) expect((l.req as { url: string }).url).toMatch(/^\/api\/v1\/people(\?|$)/);
      expect(JSON.stringify(lines)).not.toContain(words);
      expect(JSON.stringify(lines)).not.toContain('SE1');
      // the allowed key of the mixed query is still there
      expect(done.map((l) => (l.req as { url: string }).url)).toContain('/api/v1/people?limit=5&[redacted]&limit=6');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
