/**
 * A small JSON client for the app under test (Node's fetch; no mocks between it and Express).
 * Every response to an /api/v1 path is checked against the OpenAPI document
 * (test/helpers/openapi.ts): one the document does not describe fails the test that received it.
 */
import { checkAgainstContract } from './openapi.js';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export function apiClient(baseUrl: string) {
  async function call<T = any>(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(baseUrl + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    checkAgainstContract(method, path, res.status, res.headers, body);
    return { status: res.status, headers: res.headers, body: body as T };
  }
  return {
    get: <T = any>(path: string, token?: string) => call<T>('GET', path, { token }),
    post: <T = any>(path: string, token: string | undefined, body?: unknown, headers?: Record<string, string>) => call<T>('POST', path, { token, body, headers }),
    patch: <T = any>(path: string, token: string | undefined, body?: unknown) => call<T>('PATCH', path, { token, body }),
    put: <T = any>(path: string, token: string | undefined, body?: unknown) => call<T>('PUT', path, { token, body }),
    delete: <T = any>(path: string, token: string | undefined) => call<T>('DELETE', path, { token }),
    call,
  };
}
