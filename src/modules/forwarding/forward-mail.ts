/**
 * The agency's referral mail, in the two forms FORWARD_EMAIL_CONTENT chooses between:
 *  - full: the needs (the questions answered "yes") and the person's contact details, so an
 *    agency without IT can act on the mail alone;
 *  - minimal: the reference, the needs and a link to the referral in Signpost; NO personal data
 *    in the mail, for agencies whose mail is not a safe place for it.
 * The subject always carries the referral's reference (agencies quote it when they phone).
 */
import type { ForwardContext } from './forward.repository.js';
import { flattenToOneLine } from '../../kernel/one-line.js';
import { ukDeadlineDate } from '../../kernel/uk-dates.js';
import { hubSignature, type HubContact } from '../../platform/mail/hub-signature.js';
import type { RenderedMail } from '../../platform/mail/transport.js';

export type ForwardContent = 'full' | 'minimal';

export type { RenderedMail };

const CONTACT_WORDS: Record<string, string> = { phone: 'by phone', email: 'by email', post: 'by post', visit: 'a home visit' };

/**
 * Text someone typed, as ONE line of the mail: line breaks (of every kind) and other control
 * characters become spaces, so that typed text can never start a line of its own, such as a
 * fake "Open the referral" link or a "Bcc:" line (kernel/one-line.ts).
 */
export const oneLine = flattenToOneLine;

function needsLines(ctx: ForwardContext): string[] {
  return ctx.questions.length ? ctx.questions.map((q) => `- ${oneLine(q)}`) : ['- (see the referral in Signpost)'];
}

export interface ForwardMailSettings {
  content: ForwardContent;
  publicUrl: string;
  hub: HubContact;
  /** how long the signed link works (AGENCY_LINK_TTL_DAYS) */
  linkTtlDays: number;
}

/**
 * How the agency opens the referral. An agency with no Signpost accounts has ONE way: the signed
 * link (no password; a link for a sign-in page would leave it stuck). An agency whose staff have
 * accounts is told to sign in, and that the link works without one.
 */
function howToOpen(ctx: ForwardContext, s: ForwardMailSettings, agencyLink: string): string[] {
  // the hub's link on a line of its own, in a sentence with no typed value in it
  const link = [`Open it here (no password needed; this link is for your agency only and works for ${s.linkTtlDays} days):`, agencyLink];
  if (!ctx.agencyHasAccounts) return ['Acknowledge the referral and record your contact with the person in Signpost.', ...link];
  return [
    `If you have a Signpost account, sign in and open ${ctx.reference} from your referrals: ${s.publicUrl.replace(/\/$/, '')}/agency`,
    'If you do not, use this link instead.',
    ...link,
  ];
}

/** `agencyLink`: the signed, expiring link for this referral (modules/referrals/agency-link.service.ts). */
export function renderForwardMail(ctx: ForwardContext, s: ForwardMailSettings, agencyLink: string): RenderedMail {
  const content = s.content;
  const agency = oneLine(ctx.agencyName);
  const subject = `Signpost referral ${ctx.reference} for ${agency}`;
  const head = [
    `Hello ${agency},`,
    '',
    `Signpost has a new referral for you: ${ctx.reference}.`,
    // the hub's promise to the person (src/kernel/promise.ts), the date they were given in writing
    ...(ctx.contactDueAt ? [`Please contact them by ${ukDeadlineDate(ctx.contactDueAt)}: that is the date the person has been given.`] : []),
    '',
    'What the person asked for help with:',
    ...needsLines(ctx),
    '',
  ];
  const tail = [...howToOpen(ctx, s, agencyLink), '', `Please quote ${ctx.reference} in any reply or call to the hub.`, ...hubSignature(s.hub)];
  if (content === 'minimal') {
    return {
      subject,
      text: [...head, 'The person’s details are in Signpost, not in this email.', '', ...tail].join('\n'),
    };
  }
  const details = [
    'The person:',
    `  Name: ${oneLine(`${ctx.givenName ?? ''} ${ctx.familyName ?? ''}`)}`,
    ...(ctx.dateOfBirth ? [`  Date of birth: ${ctx.dateOfBirth}`] : []),
    ...(ctx.addressLine ? [`  Address: ${oneLine(ctx.addressLine)}`] : []),
    ...(ctx.postcode ? [`  Postcode: ${oneLine(ctx.postcode)}`] : []),
    ...(ctx.phone ? [`  Phone: ${oneLine(ctx.phone)}`] : []),
    ...(ctx.email ? [`  Email: ${oneLine(ctx.email)}`] : []),
    ...(ctx.preferredContact ? [`  Prefers to be contacted: ${CONTACT_WORDS[ctx.preferredContact] ?? oneLine(ctx.preferredContact)}`] : []),
    ...(ctx.language ? [`  Language: ${oneLine(ctx.language)}`] : []),
    ...(ctx.accessNeeds ? [`  Access needs: ${oneLine(ctx.accessNeeds)}`] : []),
    ...(ctx.nhsNumber ? [`  NHS number: ${ctx.nhsNumber.replace(/^(\d{3})(\d{3})(\d{4})$/, '$1 $2 $3')}`] : []),
    '',
    'This email contains personal data shared with the person’s consent. Keep it confidential.',
    '',
  ];
  return { subject, text: [...head, ...details, ...tail].join('\n') };
}
