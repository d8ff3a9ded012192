/**
 * Ways in (docs/ways-in.md): what a caller may say about how a checklist came in. A link
 * worker's checklist is the API's own; a coordinator keys in paper and phone checklists on the
 * referrer's behalf, with the referrer and the time the hub received them (the clocks run from
 * receipt, not entry). The rules are modules/intake/channels.ts; this checks the referrer organisation.
 */
import { z } from 'zod';
import { CHANNELS, channelProblems } from './channels.js';
import type { IntakeChannel } from './submission.repository.js';
import { badRequest } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { oneLineText } from '../../kernel/text-fields.js';
import { findOrganisation } from '../directory/index.js';

const text = (max: number) => oneLineText().trim().min(1, 'must not be empty').max(max);

export const referrerSchema = z
  .strictObject({
    /** one of the hub's referrer organisations (GET /api/v1/organisations) */
    organisationId: z.uuid('must be an organisation id').optional(),
    /** or the organisation in words, when it is not one of them */
    organisationText: text(200).optional(),
    /** the person who referred (a name, or a role such as "Duty officer") */
    name: text(200).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.organisationId && r.organisationText) ctx.addIssue({ code: 'custom', path: ['organisationText'], message: 'give organisationId or organisationText, not both' });
    if (!r.organisationId && !r.organisationText && !r.name) ctx.addIssue({ code: 'custom', path: [], message: 'must name the organisation or the person who referred' });
  });

/** The fields of POST /api/v1/submissions beside the checklist. */
export const channelFieldsSchema = z.object({
  channel: z.enum(CHANNELS, `must be one of ${CHANNELS.join(', ')}`).optional(),
  receivedAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date and time' }).optional(),
  referrer: referrerSchema.optional(),
});
export type ChannelFields = z.infer<typeof channelFieldsSchema>;

export interface ResolvedChannel {
  via?: IntakeChannel;
  receivedAt?: Date;
}

/** What the intake records for these fields; 400 naming the field when the caller may not say it. */
export async function resolveChannel(deps: Pick<ServiceDeps, 'db' | 'clock' | 'env'>, principal: Principal, f: ChannelFields): Promise<ResolvedChannel> {
  const receivedAt = f.receivedAt ? new Date(f.receivedAt) : undefined;
  const now = deps.clock.now();
  const problems = channelProblems({ channel: f.channel, receivedAt, hasReferrer: f.referrer !== undefined }, isHub(principal), now, deps.env.HUB_ENTRY_MAX_AGE_DAYS);
  if (f.referrer?.organisationId && !(await findOrganisation(deps.db, f.referrer.organisationId))) {
    problems.push({ path: 'referrer.organisationId', message: 'no referrer organisation has this id' });
  }
  if (problems.length) throw badRequest('invalid submission', problems);
  if (f.channel !== 'paper' && f.channel !== 'phone') return {};
  return { via: { channel: f.channel, referrer: f.referrer, enteredAt: now }, receivedAt };
}
