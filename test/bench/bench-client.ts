/**
 * A client of one for the page benches: a cookie jar enough to sign in through the real form and
 * keep the session, or an API token. Redirects are not followed (a bench times one response).
 */
export class BenchClient {
  cookies = new Map<string, string>();
  constructor(
    private readonly base: string,
    private readonly bearer?: string,
  ) {}

  async fetch(path: string, init: RequestInit = {}) {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>), cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    const res = await fetch(this.base + path, { ...init, redirect: 'manual', headers });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    return res;
  }

  async signIn(email: string, password: string) {
    const form = await (await this.fetch('/sign-in')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form)![1]!;
    const res = await this.fetch('/sign-in', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, email, password, next: '' }) });
    if (res.status !== 303) throw new Error(`could not sign in as ${email}: ${res.status}`);
  }
}
