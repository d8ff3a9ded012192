/**
 * The public self-referral form and the hub's triage forms as a browser posts them (no browser:
 * WebClient over fetch), for the tests of self-referral, its personal data and the fuzz.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Checklist } from './world.js';
import { WebClient, type WebResponse } from './web-client.js';

/** The form as a person fills it in: "yes" to the given question indexes, None of these elsewhere. */
export function selfReferralForm(q: Checklist, yes: number[], over: Record<string, string> = {}): string {
  const ids = yes.map((i) => q.questions[i]!.id);
  const params = new URLSearchParams({
    questionnaireId: q.id,
    fillingIn: 'someone_else',
    fillerName: 'Jo Daughter',
    fillerRelationship: 'daughter',
    givenName: 'Edna',
    familyName: `Selfref-${randomBytes(3).toString('hex')}`,
    'dateOfBirth[day]': '3',
    'dateOfBirth[month]': '4',
    'dateOfBirth[year]': '1938',
    postcode: 'SE1 7PB',
    phone: '020 7946 0456',
    email: 'edna@example.org',
    preferredContact: 'phone',
    consent: 'yes',
    website: '',
    ...over,
  });
  for (const s of q.sections) {
    const ticked = s.questions.filter((x) => ids.includes(x.id)).map((x) => x.id);
    for (const t of ticked.length ? ticked : ['none']) params.append(`s_${s.id}`, t);
  }
  return params.toString();
}

/** GET the page (the CSRF cookie and a form key), then POST the form as a browser would (with `headers` on the POST). */
export async function sendSelfReferral(baseUrl: string, body: Record<string, string> | string, formKey?: string, headers?: Record<string, string>): Promise<WebResponse> {
  const client = new WebClient(baseUrl);
  const page = await client.get('/self-referral');
  expect(page.status).toBe(200);
  const csrf = WebClient.csrfOf(page.text);
  const key = formKey ?? /name="formKey" value="([^"]+)"/.exec(page.text)![1]!;
  const text = `${typeof body === 'string' ? body : new URLSearchParams(body).toString()}&_csrf=${encodeURIComponent(csrf)}&formKey=${key}`;
  return client.post('/self-referral', text, headers);
}

/** The reference on the thank-you page. */
export const referenceOf = (html: string) => /Your reference is (SP-[A-Z0-9-]+)/.exec(html)?.[1];

/** The release form's fields as the item page shows them (the answers as sent), with changes. */
export async function releaseFields(c: WebClient, id: string, change: (p: URLSearchParams) => void = () => undefined): Promise<URLSearchParams> {
  const pageRes = await c.get(`/hub/triage/${id}`);
  expect(pageRes.status).toBe(200);
  const p = new URLSearchParams();
  for (const m of pageRes.text.matchAll(/<input[^>]*>/g)) {
    const tag = m[0];
    const name = /name="([^"]+)"/.exec(tag)?.[1];
    const value = /value="([^"]*)"/.exec(tag)?.[1] ?? '';
    if (!name) continue;
    if (/type="(checkbox|radio)"/.test(tag) && !/\schecked/.test(tag)) continue;
    p.append(name, value.replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/&quot;/g, '"'));
  }
  const ta = /<textarea[^>]*name="addressLine"[^>]*>([^<]*)<\/textarea>/.exec(pageRes.text);
  if (ta) p.set('addressLine', ta[1]!);
  change(p);
  return p;
}

/** Releases the item through its page's form, with changes. */
export async function releaseSelfReferralForm(c: WebClient, id: string, change?: (p: URLSearchParams) => void): Promise<WebResponse> {
  return c.post(`/hub/triage/${id}/release`, (await releaseFields(c, id, change)).toString());
}
