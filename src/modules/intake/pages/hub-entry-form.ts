/**
 * The hub's checklist forms beyond the link worker's: a stored self-referral shown back as the
 * checklist form (to correct on the call), and the paper/phone fields (channel, received date
 * and time, referrer) read from the form.
 */
import { z } from 'zod';
import type { QuestionnaireView } from '../../../kernel/questionnaire.js';
import type { SubmissionBody } from '../submission.schema.js';
import type { ChannelFields } from '../channel.service.js';
import { londonWallTime } from '../channels.js';
import { isOneLine } from '../../../kernel/one-line.js';
import { ONE_LINE_MESSAGE } from '../../../kernel/text-fields.js';
import type { SectionTicks } from './checklist-form.js';
import type { FormValues } from '../../../platform/pages/forms.js';

/** The checklist form's values for a stored body; a section with no "yes" shows None of these. */
export function formFromBody(body: SubmissionBody, questionnaire: QuestionnaireView): { values: FormValues; sections: SectionTicks } {
  const p = body.person;
  const [y, m, d] = p.dateOfBirth.split('-');
  const values: FormValues = {
    questionnaireId: questionnaire.id,
    givenName: p.givenName,
    familyName: p.familyName,
    'dateOfBirth[day]': String(Number(d)),
    'dateOfBirth[month]': String(Number(m)),
    'dateOfBirth[year]': y ?? '',
    postcode: p.postcode,
    phone: p.phone ?? '',
    email: p.email ?? '',
    addressLine: p.addressLine ?? '',
    preferredContact: p.preferredContact,
    language: p.language ?? '',
    accessNeeds: p.accessNeeds ?? '',
    nhsNumber: p.nhsNumber ?? '',
    consentBy: body.consent.by,
    representativeName: body.consent.representativeName ?? '',
    representativeRelationship: body.consent.representativeRelationship ?? '',
    consentGiven: body.consent.given ? 'yes' : '',
    sharingAgreed: body.consent.sharingAgreed ? 'yes' : '',
    consentRecordedAt: body.consent.recordedAt,
  };
  const sections: SectionTicks = {};
  for (const s of questionnaire.sections) {
    const yes = s.questions.filter((q) => body.answers[q.id] === true).map((q) => q.id);
    sections[s.id] = yes.length ? yes : ['none'];
  }
  return { values, sections };
}

const TIME = /^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$/;

/**
 * The paper/phone fields as the API takes them, or the problems keyed by field id. The received
 * date and time are London wall-clock time.
 */
export function entryFieldsFromForm(v: FormValues): { fields?: ChannelFields; fieldErrors: Record<string, string> } {
  const fieldErrors: Record<string, string> = {};
  const channel = v.channel === 'paper' || v.channel === 'phone' ? v.channel : undefined;
  if (!channel) fieldErrors.channel = 'Select how the hub received the checklist';
  const [d, m, y] = [v['receivedOn[day]'], v['receivedOn[month]'], v['receivedOn[year]']].map((x) => (x ?? '').trim());
  const date = z.iso.date().safeParse(`${(y ?? '').padStart(4, '0')}-${(m ?? '').padStart(2, '0')}-${(d ?? '').padStart(2, '0')}`);
  const time = TIME.exec((v.receivedTime ?? '').trim());
  let receivedAt: string | undefined;
  if (!date.success) fieldErrors['receivedOn-day'] = 'Enter the date the hub received it, for example 2 12 2026';
  else if (!time) fieldErrors.receivedTime = 'Enter the time the hub received it, for example 09:30';
  else receivedAt = londonWallTime(date.data, Number(time[1]), Number(time[2])).toISOString();
  const orgId = (v.referrerOrganisationId ?? '').trim();
  const orgText = (v.referrerOrganisationText ?? '').trim();
  const name = (v.referrerName ?? '').trim();
  if (orgId && !z.uuid().safeParse(orgId).success) fieldErrors.referrerOrganisationId = 'Select an organisation from the list';
  if (orgId && orgText) fieldErrors.referrerOrganisationText = 'Choose an organisation from the list, or type one, not both';
  if (!orgId && !orgText && !name) fieldErrors.referrerName = 'Enter who referred them (a name, an organisation, or both)';
  if (orgText.length > 200) fieldErrors.referrerOrganisationText = 'Organisation must be 200 characters or fewer';
  if (name.length > 200) fieldErrors.referrerName = 'Name must be 200 characters or fewer';
  // the API's rule for the referrer's names (kernel/text-fields.ts)
  if (!isOneLine(v.referrerOrganisationText ?? '')) fieldErrors.referrerOrganisationText = `Organisation ${ONE_LINE_MESSAGE}`;
  if (!isOneLine(v.referrerName ?? '')) fieldErrors.referrerName = `Name ${ONE_LINE_MESSAGE}`;
  if (Object.keys(fieldErrors).length) return { fieldErrors };
  const referrer = { ...(orgId && { organisationId: orgId }), ...(orgText && { organisationText: orgText }), ...(name && { name }) };
  return { fields: { channel, receivedAt, referrer }, fieldErrors };
}
