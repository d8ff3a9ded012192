/**
 * A real OpenID Connect provider for the single sign-on tests (oidc-provider, the certified
 * implementation), on 127.0.0.1. Its sign-in page is a plain form of the test's own: an account
 * name, "Sign in" or "Cancel". Signing in finishes the provider's interaction with the account's
 * `amr` (the methods it says the person used) and a grant of `openid email`, so that its ID token
 * and userinfo carry what a hub's identity provider would: sub, email, email_verified, amr.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface ProviderAccount {
  email: string;
  email_verified: boolean;
  amr?: string[];
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** the provider's accounts by the name typed on its sign-in page */
  accounts: Map<string, ProviderAccount>;
  close(): Promise<void>;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startTestProvider(redirectUris: string[]): Promise<TestProvider> {
  const accounts = new Map<string, ProviderAccount>();
  const clientId = 'signpost-test';
  const clientSecret = randomBytes(24).toString('base64url');
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: redirectUris, token_endpoint_auth_method: 'client_secret_post', grant_types: ['authorization_code'], response_types: ['code'] }],
    // amr goes with the openid scope, so that every ID token carries it (as Entra ID's do)
    claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: () => ({ sub: id, email: account.email, email_verified: account.email_verified }) };
    },
  });
  const callback = provider.callback();

  handler = (req, res) => {
    const m = /^\/interaction\/([\w-]+)$/.exec((req.url ?? '').split('?')[0]!);
    if (!m) return void callback(req, res);
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (req.method === 'GET') {
          res.setHeader('content-type', 'text/html; charset=utf-8');
          res.end(`<!doctype html><html lang="en"><title>Test provider</title><h1>Test provider: sign in</h1>
<form method="post" action="/interaction/${escapeHtml(m[1]!)}"><label for="login">Account</label> <input id="login" name="login">
<button name="go" value="in">Sign in at the provider</button> <button name="go" value="cancel">Cancel</button></form></html>`);
          return;
        }
        const form = await readForm(req);
        if (form.get('go') === 'cancel') {
          await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the person cancelled' }, { mergeWithLastSubmission: false });
          return;
        }
        const accountId = form.get('login') ?? '';
        const account = accounts.get(accountId);
        if (!account) {
          res.statusCode = 400;
          res.end('no such account at the test provider');
          return;
        }
        const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
        grant.addOIDCScope(String(details.params.scope));
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { login: { accountId, ...(account.amr ? { amr: account.amr } : {}) }, consent: { grantId } }, { mergeWithLastSubmission: false });
      } catch (err) {
        res.statusCode = 500;
        res.end(String(err));
      }
    })();
  };

  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
