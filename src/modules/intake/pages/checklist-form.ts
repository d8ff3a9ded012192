/**
 * The checklist form <-> the submission body. The form posts flat fields; this turns them into
 * the same body the JSON API takes (so both are validated by one schema), and turns validation
 * problems back into NHS.UK error summary items and inline messages keyed by field id.
 */
import { z } from 'zod';
import { submissionBodySchema, type SubmissionBody } from '../submission.schema.js';
import type { QuestionnaireView } from '../../../kernel/questionnaire.js';

import type { FormProblems, FormValues } from '../../../platform/pages/forms.js';
import { wellbeingError, wellbeingFromForm } from '../../wellbeing/index.js';

const LABELS: Record<string, string> = {
  givenName: 'First name',
  familyName: 'Last name',
  'dateOfBirth-day': 'Date of birth',
  postcode: 'Postcode',
  phone: 'Phone number',
  email: 'Email address',
  addressLine: 'Address',
  preferredContact: 'How to contact them',
  language: 'Language',
  accessNeeds: 'Access needs',
  consentGiven: 'Consent',
  consentBy: 'Who gave consent',
  representativeName: 'Name of the person acting for them',
  representativeRelationship: 'Their relationship to the person',
  nhsNumber: 'NHS number',
};

const REQUIRED: Record<string, string> = {
  givenName: "Enter the person's first name",
  familyName: "Enter the person's last name",
  preferredContact: 'Select how the person would like to be contacted',
  consentBy: 'Select who gave consent',
  representativeName: 'Enter the name of the person acting for them',
  // blank, as against typed wrongly (the NHS.UK error messages: "Enter ..." for what is missing)
  postcode: "Enter the person's postcode",
  'dateOfBirth-day': "Enter the person's date of birth",
  consentGiven: 'The person (or whoever acts for them) must agree to be referred, and to their details being shared, before you can send this checklist',
};

/** The message of a field left blank that the schema reads only as a wrong format. */
const BLANK = 'is required';
/** fields whose "Enter ..." message is for a blank field only */
const BLANK_ONLY: Record<string, true> = { postcode: true, 'dateOfBirth-day': true };

/** The form field id for a body path (person.postcode -> postcode, answers.<id> -> q_<id>). */
export function fieldIdFor(path: string): string {
  const [head, rest] = [path.split('.')[0], path.split('.').slice(1).join('.')];
  if (head === 'sections') return `s_${rest}`;
  if (head === 'answers') return `q_${rest}`;
  if (head === 'wellbeing') return `wb_${rest}`;
  if (head === 'person') return rest === 'dateOfBirth' ? 'dateOfBirth-day' : rest;
  if (head === 'consent') {
    const ids: Record<string, string> = { given: 'consentGiven', sharingAgreed: 'consentGiven', by: 'consentBy', representativeName: 'representativeName', representativeRelationship: 'representativeRelationship' };
    return ids[rest] ?? 'consentGiven';
  }
  return 'questionnaireId';
}

export function problemsFrom(issues: { path: string; message: string }[], questionTexts: Map<string, string>): FormProblems {
  const fieldErrors: Record<string, string> = {};
  for (const i of issues) {
    const id = fieldIdFor(i.path);
    if (fieldErrors[id]) continue;
    if (id.startsWith('s_')) {
      fieldErrors[id] = i.message;
    } else if (id.startsWith('wb_')) {
      fieldErrors[id] = wellbeingError(id);
    } else if (id.startsWith('q_')) {
      fieldErrors[id] = `Answer: ${questionTexts.get(id.slice(2)) ?? 'this question'}`;
    } else if (REQUIRED[id] && (i.message === BLANK || (!(id in BLANK_ONLY) && /empty|required|expected|invalid option|must be true/i.test(i.message)))) {
      fieldErrors[id] = REQUIRED[id];
    } else if (id === 'nhsNumber') {
      fieldErrors[id] = /check digit/.test(i.message)
        ? 'Check the NHS number: its last digit does not match the others, so a digit may be mistyped'
        : 'Enter the NHS number as 10 digits, for example 943 476 5919, or leave it blank';
    } else if (id === 'dateOfBirth-day') {
      fieldErrors[id] = /future|years/.test(i.message) ? `Date of birth ${i.message}` : 'Enter a real date of birth, for example 17 5 1942';
    } else {
      fieldErrors[id] = `${LABELS[id] ?? id} ${i.message}`;
    }
  }
  return { fieldErrors, errors: Object.entries(fieldErrors).map(([id, text]) => ({ text, href: `#${id}` })) };
}

const pad = (s: string | undefined, n: number) => (s ?? '').trim().padStart(n, '0');

/** Each section's ticks as the form posted them (`s_<sectionId>`, repeated): question ids and 'none'. */
export type SectionTicks = Record<string, string[]>;

export function sectionTicks(body: unknown, questionnaire: QuestionnaireView): SectionTicks {
  const out: SectionTicks = {};
  const raw = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  for (const s of questionnaire.sections) {
    const v = Object.hasOwn(raw, `s_${s.id}`) ? raw[`s_${s.id}`] : undefined;
    out[s.id] = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
  }
  return out;
}

/**
 * Every question gets an explicit answer, one section at a time: a ticked question is a "yes",
 * and a section answered (some ticked, or None of these) makes its other questions "no". A
 * section with no tick at all, or with None ticked beside others, is a problem named by section.
 */
function answersFromTicks(questionnaire: QuestionnaireView, ticks: SectionTicks) {
  const issues: { path: string; message: string }[] = [];
  const answers: Record<string, boolean> = {};
  for (const [i, s] of questionnaire.sections.entries()) {
    const t = new Set(ticks[s.id] ?? []);
    const part = `${i + 1}. ${s.title}`;
    if (t.size === 0) issues.push({ path: `sections.${s.id}`, message: `${part}: tick what they would like help with, or None of these` });
    else if (t.has('none') && t.size > 1) issues.push({ path: `sections.${s.id}`, message: `${part}: tick the ones that apply, or None of these, not both` });
    for (const q of s.questions) answers[q.id] = t.has(q.id);
  }
  return { answers, issues };
}

/**
 * Builds the submission body; `consentRecordedAt` is when the form was shown to the person. The
 * wellbeing boxes are read only from a page that asked them (`opts.wellbeing`): what a page did
 * not ask is not stored.
 */
export function bodyFromForm(
  form: FormValues,
  ticks: SectionTicks,
  questionnaire: QuestionnaireView,
  now: Date,
  opts: { wellbeing?: boolean } = {},
): { body?: SubmissionBody; issues: { path: string; message: string }[] } {
  const { answers, issues } = answersFromTicks(questionnaire, ticks);
  const [d, m, y] = [form['dateOfBirth[day]'], form['dateOfBirth[month]'], form['dateOfBirth[year]']];
  const dateOfBirth = d || m || y ? `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}` : '';
  const recordedAt = z.iso.datetime({ offset: true }).safeParse(form.consentRecordedAt).success ? form.consentRecordedAt! : now.toISOString();
  const raw = {
    questionnaireId: questionnaire.id,
    person: {
      givenName: form.givenName ?? '',
      familyName: form.familyName ?? '',
      dateOfBirth,
      postcode: form.postcode ?? '',
      phone: form.phone ?? '',
      email: form.email ?? '',
      addressLine: form.addressLine ?? '',
      preferredContact: form.preferredContact ?? '',
      language: form.language ?? '',
      accessNeeds: form.accessNeeds ?? '',
      nhsNumber: form.nhsNumber ?? '',
    },
    // one box on the form for both: to be referred is to have the details shared with the agencies
    consent: {
      given: form.consentGiven === 'yes',
      by: form.consentBy ?? '',
      // the representative's boxes are read only with the choice that reveals them
      representativeName: form.consentBy === 'representative' ? (form.representativeName ?? '') : '',
      representativeRelationship: form.consentBy === 'representative' ? (form.representativeRelationship ?? '') : '',
      sharingAgreed: form.consentGiven === 'yes',
      recordedAt,
    },
    answers,
    // optional: left out when all four are blank
    wellbeing: opts.wellbeing ? wellbeingFromForm(form) : undefined,
  };
  const parsed = submissionBodySchema.safeParse(raw);
  if (!parsed.success) {
    const blank: Record<string, boolean> = { 'person.postcode': !raw.person.postcode.trim(), 'person.dateOfBirth': !dateOfBirth };
    for (const i of parsed.error.issues) {
      const path = i.path.map(String).join('.');
      issues.push({ path, message: blank[path] ? BLANK : i.message });
    }
  }
  if (!raw.consent.given) issues.push({ path: 'consent.given', message: 'must be true' });
  return issues.length ? { issues } : { body: parsed.data!, issues };
}

/** Only string fields survive (a repeated field keeps its last value); nothing typed is lost on an error. */
