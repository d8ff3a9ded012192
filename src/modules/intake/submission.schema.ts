/** The submission body, shared by the JSON API and the web form. */
import { z } from 'zod';
import { nhsNumberIsValid } from '../../kernel/person-match.js';
import { oneLineText } from '../../kernel/text-fields.js';

// UK postcode, outward and inward parts; normalised to upper case with one space.
const UK_POSTCODE = /^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$/;

/** A name: one line (kernel/text-fields.ts). */
const name = (max: number) => oneLineText().trim().min(1, 'must not be empty').max(max);
const optional = (s: z.ZodString) =>
  s
    .transform((v) => (v === '' ? undefined : v))
    .optional()
    .nullable();
/** Free text that may keep its line breaks (an address, access needs). */
const optionalText = (max: number) => optional(z.string().trim().max(max));
/** An optional name or word: one line. */
const optionalLine = (max: number) => optional(oneLineText().trim().max(max));

export const postcodeSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(UK_POSTCODE, 'must be a UK postcode, for example SW1A 1AA')
  .transform((v) => v.replace(UK_POSTCODE, '$1 $2'));

/** An NHS number: ten digits (spaces allowed, as printed: 943 476 5919) whose check digit is right; blank is none. */
export const nhsNumberSchema = z
  .string()
  .transform((v) => v.replace(/[\s-]/g, ''))
  .transform((v) => (v === '' ? undefined : v))
  .pipe(
    z
      .string()
      .regex(/^[0-9]{10}$/, 'must be 10 digits, for example 943 476 5919')
      .refine(nhsNumberIsValid, 'is not a valid NHS number (its check digit does not match)')
      .optional(),
  );

/** A real calendar date, YYYY-MM-DD (range checks against the clock happen in the service). */
export const calendarDate = z.iso.date('must be a date in the form YYYY-MM-DD');

export const personSchema = z
  .object({
    givenName: name(100),
    familyName: name(100),
    dateOfBirth: calendarDate,
    postcode: postcodeSchema,
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9 ()-]{7,20}$/, 'must be a telephone number')
      .optional()
      .nullable()
      .or(z.literal('').transform(() => undefined)),
    email: z.email('must be an email address').max(254).optional().nullable().or(z.literal('').transform(() => undefined)),
    addressLine: optionalText(300),
    preferredContact: z.enum(['phone', 'email', 'post', 'visit']),
    language: optionalLine(100),
    accessNeeds: optionalText(1000),
    nhsNumber: nhsNumberSchema.optional().nullable(),
  })
  .superRefine((p, ctx) => {
    const need = { phone: 'phone', email: 'email', post: 'addressLine', visit: 'addressLine' } as const;
    const field = need[p.preferredContact];
    if (!p[field]) {
      ctx.addIssue({ code: 'custom', path: [field], message: `is required when the preferred contact is ${p.preferredContact}` });
    }
  });

export const consentSchema = z
  .object({
    given: z.boolean(),
    by: z.enum(['person', 'representative']),
    representativeName: optionalLine(200),
    /** how the representative is related to the person, e.g. "daughter", "power of attorney" */
    representativeRelationship: optionalLine(100),
    sharingAgreed: z.boolean(),
    recordedAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date and time' }),
  })
  .superRefine((c, ctx) => {
    if (c.by === 'representative' && !c.representativeName) {
      ctx.addIssue({ code: 'custom', path: ['representativeName'], message: 'is required when consent is given by a representative' });
    }
  });

/** One ONS4 answer: a whole number 0 to 10; left out (or null) when the person skipped it. */
const wellbeingScore = z
  .number('must be a whole number from 0 to 10')
  .int('must be a whole number from 0 to 10')
  .min(0, 'must be a whole number from 0 to 10')
  .max(10, 'must be a whole number from 0 to 10')
  .nullable()
  .optional();

/** ONS4 personal wellbeing (kernel/wellbeing.ts): optional, and each of the four optional. */
export const wellbeingSchema = z.strictObject({
  lifeSatisfaction: wellbeingScore,
  worthwhile: wellbeingScore,
  happy: wellbeingScore,
  anxious: wellbeingScore,
});
export type WellbeingBody = z.infer<typeof wellbeingSchema>;

export const submissionBodySchema = z.object({
  questionnaireId: z.uuid('must be a questionnaire id'),
  person: personSchema,
  consent: consentSchema,
  answers: z.record(z.string(), z.boolean('must be true or false')),
  /** never a blocker: a checklist without it makes its referrals as before */
  wellbeing: wellbeingSchema.optional(),
});

export type SubmissionBody = z.infer<typeof submissionBodySchema>;
