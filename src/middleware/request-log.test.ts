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
    expect(loggableUrl('/sign-out?_csrf=secret&x=1')).toBe('/sign-out?_csrf=[redacted]&x=1');
    expect(loggableUrl('/api/v1/referrals?status=pending')).toBe('/api/v1/referrals?status=pending');
    // the person search's terms are personal data
    expect(loggableUrl('/api/v1/people?q=Ada%20Lovelace%2010/12/1935')).toBe('/api/v1/people?q=[redacted]');
    expect(loggableUrl('/api/v1/people?limit=5&Q=SE1%207PB')).toBe('/api/v1/people?limit=5&Q=[redacted]');
  });
});
