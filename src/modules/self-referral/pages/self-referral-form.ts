/**
 * The public self-referral form <-> the submission body. The page asks in plain words ("who is
 * filling this in?", one consent box); this maps its fields onto the checklist form's, so that
 * the checklist's one schema validates both, and maps the problems back onto its own fields.
 */
import type { QuestionnaireView } from '../../../kernel/questionnaire.js';
import { ONE_LINE_MESSAGE } from '../../../kernel/text-fields.js';
import { type FormProblems, type FormValues } from '../../../platform/pages/forms.js';
import { type SubmissionBody, bodyFromForm, problemsFrom, type SectionTicks } from '../../intake/index.js';

const FIELD_OF: Record<string, string> = {
  consentBy: 'fillingIn',
  representativeName: 'fillerName',
  representativeRelationship: 'fillerRelationship',
  consentGiven: 'consent',
  sharingAgreed: 'consent',
};

const PLAIN: Record<string, string> = {
  givenName: 'Enter the first name of the person who needs help',
  familyName: 'Enter the last name of the person who needs help',
  'dateOfBirth-day': 'Enter the date of birth of the person who needs help',
  postcode: 'Enter the postcode of the person who needs help',
  fillingIn: 'Say who is filling this in',
  fillerName: 'Enter your name',
  consent: 'Tick the box to agree, so that we can call and pass the details on',
  preferredContact: 'Say how we should contact them',
};

/** fields whose plain words are for a blank field only (typed wrongly, the checklist's words say what is wrong) */
const BLANK_ONLY = new Set(['dateOfBirth-day', 'postcode']);

/** How this page names its one-line fields, for a name refused for a line break or a control character. */
const NAMED: Record<string, string> = {
  givenName: 'The first name',
  familyName: 'The last name',
  fillerName: 'Your name',
  fillerRelationship: 'How you know them',
  language: 'The language',
};

export function filledInBy(values: FormValues): 'person' | 'someone_else' | undefined {
  return values.fillingIn === 'me' ? 'person' : values.fillingIn === 'someone_else' ? 'someone_else' : undefined;
}

/** The body for the form, or the problems keyed by this form's field ids. */
export function selfReferralBody(values: FormValues, ticks: SectionTicks, questionnaire: QuestionnaireView, now: Date): { body?: SubmissionBody; problems?: FormProblems } {
  const who = filledInBy(values);
  const agreed = values.consent === 'yes' ? 'yes' : '';
  const mapped: FormValues = {
    ...values,
    consentBy: who === 'person' ? 'person' : who === 'someone_else' ? 'representative' : '',
    representativeName: who === 'someone_else' ? (values.fillerName ?? '') : '',
    representativeRelationship: who === 'someone_else' ? (values.fillerRelationship ?? '') : '',
    consentGiven: agreed,
    sharingAgreed: agreed,
    // the hub asks for these on the call if they matter; the public form keeps to the essentials
    nhsNumber: '',
    consentRecordedAt: now.toISOString(),
  };
  const { body, issues } = bodyFromForm(mapped, ticks, questionnaire, now);
  if (body) return { body };
  return { problems: publicProblems(issues, questionnaire) };
}

/** Problems (from the schema or the service) in this form's words and field ids. */
export function publicProblems(issues: { path: string; message: string }[], questionnaire: QuestionnaireView): FormProblems {
  const texts = new Map(questionnaire.sections.flatMap((s) => s.questions.map((q) => [q.id, q.text] as const)));
  const { fieldErrors } = problemsFrom(issues, texts);
  const out: Record<string, string> = {};
  for (const [id, text] of Object.entries(fieldErrors)) {
    const mine = FIELD_OF[id] ?? id;
    if (out[mine]) continue;
    // a missing answer in this page's words; any other problem as the schema says it
    if (NAMED[mine] && text.endsWith(ONE_LINE_MESSAGE)) out[mine] = `${NAMED[mine]} ${ONE_LINE_MESSAGE}`;
    else if (BLANK_ONLY.has(mine)) out[mine] = PLAIN[mine] && text.startsWith("Enter the person's") ? PLAIN[mine] : text;
    else out[mine] = PLAIN[mine] && /^(Enter|Select)|is required|must consent|must agree/.test(text) ? PLAIN[mine] : text;
  }
  return { fieldErrors: out, errors: Object.entries(out).map(([id, text]) => ({ text, href: `#${id}` })) };
}
