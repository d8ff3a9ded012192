/**
 * The confirmation of a self-referral: the reference and how to reach the hub, nothing about the
 * person or their needs (whoever reads the inbox learns only that someone asked for help).
 */
import { hubSignature, type HubContact } from '../../platform/mail/hub-signature.js';

export function selfReferralReceivedMail(x: { reference: string; hub: HubContact }): { subject: string; bodyText: string } {
  return {
    subject: `We have your request for help: ${x.reference}`,
    bodyText: [
      'Thank you. We have received your request for help.',
      '',
      `Your reference is ${x.reference}.`,
      '',
      `Someone from ${x.hub.HUB_NAME} will phone to talk it through before anything is passed on.`,
      `If you did not ask for this, or want to change anything, call us on ${x.hub.HUB_PHONE} and quote the reference.`,
      ...hubSignature(x.hub),
    ].join('\n'),
  };
}
