/**
 * Telling an agency that a referral it received has ended before it could act on it: the
 * person withdrew their consent, or the referral was cancelled (or sent elsewhere) while its
 * mail was on its way. By reference only: no personal data.
 */
import { flattenToOneLine as oneLine } from '../../kernel/one-line.js';
import type { RenderedMail } from '../../platform/mail/transport.js';
import { hubSignature, type HubContact } from '../../platform/mail/hub-signature.js';

interface EndedReferral {
  reference: string;
  agencyName: string;
}

const closing = (r: EndedReferral, hub: HubContact) => ['', `Please quote ${r.reference} in any reply or call to the hub.`, ...hubSignature(hub)];

/** The person withdrew their consent to share their details with this agency. */
export function renderConsentWithdrawnMail(r: EndedReferral, hub: HubContact): RenderedMail {
  return {
    subject: `Signpost referral ${r.reference}: consent withdrawn`,
    text: [
      `Hello ${oneLine(r.agencyName)},`,
      '',
      `The person referred to you as ${r.reference} has withdrawn their consent to share their details with you.`,
      'The referral is cancelled. Please stop work on it, and delete or return the details of theirs you hold, as your data sharing agreement with the hub says.',
      'Signpost no longer shows you their details.',
      ...closing(r, hub),
    ].join('\n'),
  };
}

/** Cancelled (or re-routed, or declined by the person) while the hub's mail to the agency was being sent. */
export function renderEndedWhileSendingMail(r: EndedReferral, hub: HubContact): RenderedMail {
  return {
    subject: `Signpost referral ${r.reference}: cancelled, please do not act on it`,
    text: [
      `Hello ${oneLine(r.agencyName)},`,
      '',
      `The referral ${r.reference} that Signpost has just sent you was cancelled by the hub as it was being sent.`,
      'Please do not contact the person about it, and delete the details of theirs that the referral gave you.',
      ...closing(r, hub),
    ].join('\n'),
  };
}

/**
 * The hub ended a referral the agency already has: cancelled (the person moved or died, entered
 * in error) or declined (the person told the hub they do not want this help). By reference only:
 * the coordinator's reason may say more about the person than the agency needs.
 */
export function renderEndedByHubMail(r: EndedReferral, to: 'cancelled' | 'declined', hub: HubContact): RenderedMail {
  const why = to === 'declined' ? 'The person has told the hub that they do not want this help.' : 'The hub has cancelled it.';
  return {
    subject: `Signpost referral ${r.reference}: ${to === 'declined' ? 'the person declined' : 'cancelled'}, please stop work on it`,
    text: [
      `Hello ${oneLine(r.agencyName)},`,
      '',
      `The referral ${r.reference} has ended. ${why}`,
      'Please stop work on it. Its status in Signpost says the same.',
      ...closing(r, hub),
    ].join('\n'),
  };
}
