/**
 * The lifecycle actions as web forms, shared by the agency's pages, the agency link pages and
 * the hub's referral page. Each allowed next status is one small form posting `to` plus the
 * fields decideTransition requires; the service is the judge of what is legal.
 */
import type { Response } from 'express';
import { COMPLETION_OUTCOMES } from '../domain/referral-state.js';
import { AppError } from '../errors.js';
import { listAgencies } from '../services/agency.service.js';
import type { Principal } from '../services/auth.service.js';
import type { Channel } from '../services/referral-access.js';
import type { ServiceDeps } from '../services/deps.js';
import { getReferralForActor, transitionReferral, transitionSchema } from '../services/referral.service.js';
import { formValues } from './checklist-form.js';
import { page } from './render.js';

export interface ActionSpec {
  to: string;
  label: string;
  fields: ('reason' | 'outcome' | 'note' | 'onHoldUntil' | 'targetAgencyId')[];
  warning?: boolean;
}

/** In the order a page shows them. */
export const ACTIONS: ActionSpec[] = [
  { to: 'acknowledged', label: 'Acknowledge', fields: [] },
  { to: 'accepted', label: 'Accept', fields: ['note'] },
  { to: 'contacted', label: 'Record contact with the person', fields: ['note'] },
  { to: 'on_hold', label: 'Put on hold', fields: ['reason', 'onHoldUntil'] },
  { to: 'completed', label: 'Complete', fields: ['outcome', 'note'] },
  { to: 'unable_to_contact', label: 'Unable to contact', fields: ['note'] },
  { to: 'rejected', label: 'Reject', fields: ['reason'], warning: true },
  { to: 'declined', label: 'The person declined', fields: ['reason'] },
  { to: 'rerouted', label: 'Re-route to another agency', fields: ['targetAgencyId', 'note'] },
  { to: 'pending', label: 'Try sending again', fields: ['note'] },
  { to: 'cancelled', label: 'Cancel', fields: ['reason'], warning: true },
];

export const OUTCOME_ITEMS = COMPLETION_OUTCOMES.map((o) => ({ value: o, text: o.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()) }));

export interface ReferralPageOptions {
  principal: Principal;
  /** where the action forms post, e.g. /agency/referrals/<id> */
  actionBase: string;
  csrfToken: string;
  back?: { href: string; text: string };
  requestId?: string | undefined;
  /** 'link' for an agency's emailed link: a finished referral shows no personal data there */
  channel?: Channel;
  extra?: Record<string, unknown>;
}

export async function showReferral(
  deps: ServiceDeps,
  res: Response,
  id: string,
  o: ReferralPageOptions,
  state: { values?: Record<string, string>; fieldErrors?: Record<string, string>; errors?: { text: string; href: string }[]; flash?: string } = {},
  status = 200,
) {
  const r = await getReferralForActor(deps, o.principal, id, o.requestId, o.channel);
  const actions = ACTIONS.filter((a) => r.allowedNext.includes(a.to as never));
  const agencies = actions.some((a) => a.to === 'rerouted') ? (await listAgencies(deps)).filter((a) => a.id !== r.agencyId && a.status === 'active') : [];
  page(
    res,
    'referral.njk',
    {
      title: `Referral ${r.reference}`,
      r,
      actions,
      outcomes: OUTCOME_ITEMS,
      agencies,
      actionBase: o.actionBase,
      csrfToken: o.csrfToken,
      back: o.back,
      values: state.values ?? {},
      fieldErrors: state.fieldErrors ?? {},
      errors: state.errors,
      flash: state.flash,
      today: deps.clock.now().toISOString().slice(0, 10),
      ...o.extra,
    },
    status,
  );
}

/** Handles a posted action: on success redirect (POST/redirect/GET); on a problem, the page again with the errors. */
export async function handleAction(deps: ServiceDeps, res: Response, id: string, body: unknown, o: ReferralPageOptions) {
  const v = formValues(body);
  const to = v.to ?? '';
  const blank = (s: string | undefined) => (s === undefined || s.trim() === '' ? undefined : s);
  const input = transitionSchema.safeParse({
    to,
    reason: blank(v.reason),
    outcome: blank(v.outcome),
    note: blank(v.note),
    onHoldUntil: blank(v.onHoldUntil),
    targetAgencyId: blank(v.targetAgencyId),
  });
  const fail = (details: { path?: string; message: string }[], status: number, allowed?: string[]) => {
    const fieldErrors: Record<string, string> = {};
    const errors = details.map((d) => {
      const field = d.path && d.path !== 'to' ? `${to}-${d.path}` : `action-${to}`;
      const text = d.path && d.path !== 'to' ? `${fieldLabel(d.path)} ${d.message}` : d.message;
      fieldErrors[field] ??= text;
      return { text, href: `#${field}` };
    });
    const note = allowed ? { text: `This referral has moved on; it can now go to: ${allowed.join(', ') || 'nothing further'}.`, href: '#actions' } : undefined;
    return showReferral(deps, res, id, o, { values: v, fieldErrors, errors: note ? [...errors, note] : errors }, status);
  };
  if (!input.success) return fail(input.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })), 400);
  try {
    await transitionReferral(deps, { principal: o.principal, requestId: o.requestId }, id, input.data);
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
    const details = err.details as unknown;
    if (Array.isArray(details)) return fail(details as { path?: string; message: string }[], err.status);
    const allowed = (details as { allowed?: string[] } | undefined)?.allowed;
    return fail([{ message: err.message }], err.status, allowed);
  }
  res.redirect(303, `${o.actionBase}?done=${encodeURIComponent(to)}`);
}

function fieldLabel(path: string): string {
  return { reason: 'Reason', outcome: 'Outcome', note: 'Note', onHoldUntil: 'Date', targetAgencyId: 'Agency' }[path] ?? path;
}

/** The flash for `?done=` from a table; a key that is not the table's own (e.g. `constructor`) shows none. */
export function flashFor(done: unknown, table: Record<string, string>): string | undefined {
  return typeof done === 'string' && Object.hasOwn(table, done) ? table[done] : undefined;
}

/** A referral page's flash after an action (plus the page's own extra messages). */
export function doneMessage(done: unknown, extra: Record<string, string> = {}): string | undefined {
  return flashFor(done, DONE_MESSAGES) ?? flashFor(done, extra);
}

export const DONE_MESSAGES: Record<string, string> = {
  acknowledged: 'Referral acknowledged.',
  accepted: 'Referral accepted.',
  contacted: 'Contact recorded.',
  on_hold: 'Referral put on hold.',
  completed: 'Referral completed. Thank you.',
  unable_to_contact: 'Recorded as unable to contact.',
  rejected: 'Referral rejected. The hub has been told, and will find another agency.',
  declined: 'Recorded: the person declined.',
  rerouted: 'Referral re-routed. The new agency will be sent it now.',
  pending: 'The referral will be sent again.',
  cancelled: 'Referral cancelled.',
};
