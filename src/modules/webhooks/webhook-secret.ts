/**
 * An endpoint's signing secret: `whsec_` and 32 random bytes in base64 (the Standard Webhooks
 * form), shown to its owner once and kept sealed with AES-256-GCM under a key derived from
 * WEBHOOK_KEY (or, unset, MFA_KEY), bound to its endpoint (a ciphertext moved to another row
 * does not open). It must be recoverable: every delivery is signed with it.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 1;
const keys = new Map<string, Buffer>();

function keyFor(secretKey: string): Buffer {
  let k = keys.get(secretKey);
  if (!k) {
    k = Buffer.from(hkdfSync('sha256', secretKey, 'signpost-webhooks', 'webhook signing secret', 32));
    keys.set(secretKey, k);
  }
  return k;
}

/** The key the secrets are sealed under, from the settings. */
export function sealingKey(env: { WEBHOOK_KEY?: string | undefined; MFA_KEY: string }): string {
  return env.WEBHOOK_KEY ?? env.MFA_KEY;
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** version (1 byte) | IV (12) | tag (16) | ciphertext; the endpoint id is the additional data. */
export function sealWebhookSecret(secretKey: string, endpointId: string, secret: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(secretKey), iv);
  cipher.setAAD(Buffer.from(endpointId));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

export function openWebhookSecret(secretKey: string, endpointId: string, sealed: Buffer): string {
  if (sealed[0] !== VERSION) throw new Error('unknown webhook secret version');
  const decipher = createDecipheriv('aes-256-gcm', keyFor(secretKey), sealed.subarray(1, 13));
  decipher.setAAD(Buffer.from(endpointId));
  decipher.setAuthTag(sealed.subarray(13, 29));
  return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8');
}
