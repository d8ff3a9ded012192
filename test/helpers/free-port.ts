import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A free port on 127.0.0.1 (for an app whose PUBLIC_URL must be known before it listens, or a provider that is down). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
