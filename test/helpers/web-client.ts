/**
 * A cookie-keeping form client for the web pages (Node's fetch, no browser): signs in through
 * the real sign-in form and posts forms with the CSRF token read from the page.
 */
import { expect } from 'vitest';

export interface WebResponse {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
}

export class WebClient {
  cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, form?: Record<string, string> | string, extraHeaders: Record<string, string> = {}): Promise<WebResponse> {
    const headers: Record<string, string> = { cookie: this.cookieHeader(), accept: 'text/html', ...extraHeaders };
    let body: string | undefined;
    if (form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
    }
    const res = await fetch(this.baseUrl + path, { method, headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, headers: res.headers, text: await res.text(), location: res.headers.get('location') };
  }

  get(path: string) {
    return this.request('GET', path);
  }

  post(path: string, form: Record<string, string> | string, headers?: Record<string, string>) {
    return this.request('POST', path, form, headers);
  }

  /** The `_csrf` value of the page's first form. */
  static csrfOf(html: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error('no CSRF token on the page');
    return m[1]!;
  }

  /** Signs in through the form; returns the sign-in POST's response. */
  async signIn(email: string, password: string, next = ''): Promise<WebResponse> {
    const form = await this.get(`/sign-in${next ? `?next=${encodeURIComponent(next)}` : ''}`);
    return this.post('/sign-in', { _csrf: WebClient.csrfOf(form.text), email, password, next });
  }

  /** Reads a page's CSRF token (signed in) and posts the form to `path` with it. */
  async postWithCsrf(pagePath: string, path: string, form: Record<string, string>): Promise<WebResponse> {
    const p = await this.get(pagePath);
    expect(p.status).toBe(200);
    return this.post(path, { _csrf: WebClient.csrfOf(p.text), ...form });
  }
}
