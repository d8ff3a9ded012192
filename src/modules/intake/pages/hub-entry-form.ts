/**
 * The hub's checklist forms beyond the link worker's: a stored self-referral shown back as the
 * checklist form (to correct on the call), and the paper/phone fields (channel, received date
 * and time, referrer) read from the form.
 */
import { z } from 'zod';
import type { QuestionnaireView } from '../../../kernel/questionnaire.js';
import type { SubmissionBody } from '../submission.schema.js';
import type { ChannelFields } from '../channel.service.js';
import { londonDateTime, londonMoment } from '../../../kernel/uk-dates.js';
import { parseTimeOfDay } from '../../../kernel/time-of-day.js';
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
    // the form's one box for both
    consentGiven: body.consent.given && body.consent.sharingAgreed ? 'yes' : '',
    consentRecordedAt: body.consent.recordedAt,
  };
  const sections: SectionTicks = {};
  for (const s of questionnaire.sections) {
    const yes = s.questions.filter((q) => body.answers[q.id] === true).map((q) => q.id);
    sections[s.id] = yes.length ? yes : ['none'];
  }
  return { values, sections };
}

/**
 * The paper/phone form's first values: received today, now, as the hub's clock reads it in
 * London ("the date and time default to now"; the coordinator changes them for an older letter).
 */
export function entryDefaults(now: Date): FormValues {
  const [day, time] = londonDateTime(now).split(' ') as [string, string];
  const [y, m, d] = day.split('-');
  return { 'receivedOn[day]': String(Number(d)), 'receivedOn[month]': String(Number(m)), 'receivedOn[year]': y ?? '', receivedTime: time };
}

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
  const timeText = (v.receivedTime ?? '').trim();
  const time = parseTimeOfDay(timeText);
  let receivedAt: string | undefined;
  if (!d && !m && !y) fieldErrors['receivedOn-day'] = 'Enter the date the hub received it';
  else if (!date.success) fieldErrors['receivedOn-day'] = 'Enter a real date, for example 2 12 2026';
  if (!timeText) fieldErrors.receivedTime = 'Enter the time the hub received it';
  else if (!time) fieldErrors.receivedTime = 'Enter the time as hours and minutes, for example 2.30pm or 14:30';
  if (date.success && time) receivedAt = londonMoment(date.data, time.hour * 60 + time.minute).toISOString();
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
