/** How every mail the hub sends ends: who the hub is and how to reach it (HUB_NAME, HUB_PHONE, HUB_HOURS). */
import type { Env } from '../../../config/env.js';

export type HubContact = Pick<Env, 'HUB_NAME' | 'HUB_PHONE' | 'HUB_HOURS' | 'MAIL_REPLY_TO'>;

export function hubSignature(hub: HubContact): string[] {
  return ['', hub.HUB_NAME, `Phone ${hub.HUB_PHONE} (${hub.HUB_HOURS})`, `Email ${hub.MAIL_REPLY_TO}`];
}
