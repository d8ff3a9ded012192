/**
 * The lifecycle actions as web forms, shared by the agency's pages, the agency link pages and
 * the hub's referral page. Each allowed next status is one small form posting `to` plus the
 * fields decideTransition requires; the service is the judge of what is legal.
 */
import type { Response } from 'express';
import { londonDay } from '../../../kernel/uk-dates.js';
import { TERMINAL_STATUSES } from '../../../kernel/referral-state.js';
import { AppError } from '../../../kernel/errors.js';
import type { Principal } from '../../../kernel/principal.js';
import type { Channel } from '../referral-access.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { getReferralForActor, referralRoutingNote, transitionReferral, transitionSchema } from '../referral.service.js';
import { flashFor, formValues } from '../../../platform/pages/forms.js';
import { page, STATUS_LABELS } from '../../../platform/pages/render.js';
import { listOutcomes, listAgencies } from '../../directory/index.js';

export type ActionField = 'reason' | 'outcome' | 'note' | 'onHoldUntil' | 'targetAgencyId';

export interface ActionSpec {
  to: string;
  /** the choice, in the words of whoever records it */
  label: string;
  /** one sentence on what it means and what happens next */
  hint: string;
  fields: ActionField[];
  /** the button of the action when it is the page's main next step */
  button: string;
  warning?: boolean;
}

/**
 * The hub's words for the steps it records on an agency's behalf (the coordinator's referral
 * page speaks as the hub, not as the agency): a step missing here reads the same for both.
 */
const HUB_WORDS: Record<string, Pick<ActionSpec, 'label' | 'hint'> & { button?: string }> = {
  acknowledged: { label: 'The agency has received it', hint: 'Record that the referral reached the agency. Next, the agency contacts the person.' },
  accepted: { label: 'The agency will help this person', hint: 'The agency takes the referral on before it has reached the person.' },
  contacted: { label: 'The agency contacted the person', hint: 'The agency spoke to them or to their representative. This meets the two-week contact promise.' },
  completed: { label: 'The agency has finished: the referral is done', hint: 'Choose what came of it. The referral closes and the hub calls the person to check their needs were met.' },
  on_hold: { label: 'Put it on hold', hint: 'The agency cannot help the person yet, for example a waiting list, or they are away. Say why and when the agency expects to pick it up again.' },
  unable_to_contact: { label: 'The agency could not contact them', hint: 'After several tries. Say what the agency tried. The referral closes.', button: 'Record that the agency could not contact them' },
  rejected: { label: 'The agency cannot take this referral', hint: 'For example, the person lives outside the agency’s area. Say why: then send it to another service.' },
};

function inHubWords(a: ActionSpec): ActionSpec {
  const w = HUB_WORDS[a.to];
  return w ? { ...a, ...w } : a;
}

/** Every step a referral page can offer, in the order the "something else" list shows them. */
const ACTIONS: Record<string, ActionSpec> = {
  acknowledged: { to: 'acknowledged', label: 'We have received it', hint: 'The hub sees that the referral reached you. Next, contact the person.', fields: [], button: 'Acknowledge the referral' },
  accepted: { to: 'accepted', label: 'We will help this person', hint: 'You take the referral on before you have reached the person.', fields: ['note'], button: 'Accept the referral' },
  contacted: { to: 'contacted', label: 'We contacted the person', hint: 'You spoke to them or to their representative. This meets the two-week contact promise.', fields: ['note'], button: 'Record contact with the person' },
  completed: { to: 'completed', label: 'We have finished: the referral is done', hint: 'Choose what came of it. The referral closes and the hub calls the person to check their needs were met.', fields: ['outcome', 'note'], button: 'Complete the referral' },
  on_hold: { to: 'on_hold', label: 'Put it on hold', hint: 'The person cannot be helped yet, for example a waiting list, or they are away. Say why and when you expect to pick it up again.', fields: ['reason', 'onHoldUntil'], button: 'Put it on hold' },
  unable_to_contact: { to: 'unable_to_contact', label: 'We could not contact them', hint: 'After several tries. Say what you tried. The referral closes.', fields: ['note'], button: 'Record that we could not contact them' },
  declined: { to: 'declined', label: 'The person does not want help', hint: 'They said no to this service. Say what they said. The referral closes.', fields: ['reason'], button: 'Record that the person declined' },
  rejected: { to: 'rejected', label: 'We cannot take this referral', hint: 'For example, the person lives outside your area. Say why: the hub will find another service.', fields: ['reason'], button: 'Reject the referral', warning: true },
  rerouted: { to: 'rerouted', label: 'Send it to another agency', hint: 'Makes a new referral to the agency you choose, with a fresh 24-hour forwarding promise; this one closes.', fields: ['targetAgencyId', 'note'], button: 'Re-route to another agency' },
  pending: { to: 'pending', label: 'Send it again', hint: 'Once the agency’s email address is fixed. Say what changed.', fields: ['note'], button: 'Send it again' },
  cancelled: { to: 'cancelled', label: 'Cancel the referral', hint: 'Consent withdrawn, the person moved or died, or entered in error. Say why. The agency stops seeing the person.', fields: ['reason'], button: 'Cancel the referral', warning: true },
};

/** A terminal referral's way back (hub only): reopening it as accepted. */
const REOPEN: ActionSpec = { to: 'accepted', label: 'Reopen the referral', hint: 'It goes back to the agency as accepted, and its checklist reopens. Say why.', fields: ['note'], button: 'Reopen the referral' };

/** The one next step a referral page puts first, by the referral's status. */
const MAIN_STEP: Record<string, string> = {
  forwarded: 'acknowledged',
  acknowledged: 'contacted',
  accepted: 'contacted',
  on_hold: 'contacted',
  contacted: 'completed',
  forward_failed: 'pending',
  rejected: 'rerouted',
};

/** What the page offers: the main next step, and the other allowed steps (tucked away). */
export function actionsFor(status: string, allowedNext: string[], voice: 'agency' | 'hub' = 'agency'): { main: ActionSpec | null; others: ActionSpec[] } {
  const terminal = TERMINAL_STATUSES.has(status as never);
  const specs = allowedNext
    .map((to) => (terminal && to === 'accepted' ? REOPEN : ACTIONS[to]))
    .filter((x): x is ActionSpec => x !== undefined)
    .map((a) => (voice === 'hub' && a !== REOPEN ? inHubWords(a) : a));
  const mainTo = terminal ? 'accepted' : MAIN_STEP[status];
  const main = specs.find((a) => a.to === mainTo) ?? null;
  const order = Object.keys(ACTIONS);
  return { main, others: specs.filter((a) => a !== main).sort((a, b) => order.indexOf(a.to) - order.indexOf(b.to)) };
}

export interface ReferralPageOptions {
  principal: Principal;
  /** where the action forms post, e.g. /agency/referrals/<id> */
  actionBase: string;
  csrfToken: string;
  back?: { href: string; text: string };
  requestId?: string | undefined;
  /** 'link' for an agency's emailed link: a finished referral shows no personal data there */
  channel?: Channel;
  /** whose words the page speaks in: the agency's own pages say "we", the hub's say "the agency" */
  voice?: 'agency' | 'hub';
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
  const voice = o.voice ?? 'agency';
  const { main, others } = actionsFor(r.status, r.allowedNext, voice);
  const agencies = [main, ...others].some((a) => a?.to === 'rerouted') ? (await listAgencies(deps)).filter((a) => a.id !== r.agencyId && a.status === 'active') : [];
  // the outcome codes the hub offers now (outcome.service.ts), when the page can complete it
  const outcomes = [main, ...others].some((a) => a?.to === 'completed')
    ? (await listOutcomes(deps, o.principal)).filter((x) => x.active).map((x) => ({ value: x.code, text: x.label }))
    : [];
  const values = state.values ?? {};
  page(
    res,
    'referral.njk',
    {
      title: `Referral ${r.reference}`,
      r,
      voice,
      main,
      others,
      history: historyOf(r.events),
      routingNote: await referralRoutingNote(deps, r.id),
      // a held referral waits until its day; from that day it is simply being sent
      today: londonDay(deps.clock.now()),
      outcomes,
      agencies,
      actionBase: o.actionBase,
      csrfToken: o.csrfToken,
      back: o.back,
      values,
      fieldErrors: state.fieldErrors ?? {},
      errors: state.errors,
      flash: state.flash,
      ...o.extra,
    },
    status,
  );
}

/** What the person reading the history needs: no mail identifiers, one line of details. */
function historyOf(events: { at: Date; actorLabel: string; fromStatus: string | null; toStatus: string; reason: string | null; outcome: string | null; note: string | null }[]) {
  return events.map((e) => {
    const mail = e.note ? /^mail <[^>]+> to (.+)$/.exec(e.note) : null;
    const details = [
      e.outcome ? `Outcome: ${humanise(e.outcome)}.` : '',
      e.reason ? `Reason: ${e.reason}` : '',
      mail ? `Sent by email to ${mail[1]}.` : e.note ? `Note: ${e.note}` : '',
    ].filter(Boolean);
    return { at: e.at, who: e.actorLabel, what: e.toStatus, details };
  });
}

const humanise = (s: string) => s.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

/** What a person is asked to fix, per step and field, in plain words. */
const MISSING: Record<string, string> = {
  'completed.outcome': 'Select what came of the referral',
  'rejected.reason': 'Say why you cannot take this referral',
  'declined.reason': 'Say what the person said',
  'on_hold.reason': 'Say why the referral is on hold',
  'on_hold.onHoldUntil': 'Enter the date you expect to pick it up again',
  'cancelled.reason': 'Say why the referral is cancelled',
  'unable_to_contact.note': 'Say how you tried to contact them',
  'pending.note': 'Say what changed, for example the agency’s new email address',
  'accepted.note': 'Say why the referral is reopened',
  'rerouted.targetAgencyId': 'Choose the agency to send it to',
};

/**
 * Why the chosen agency cannot take a re-route, as a sentence: the service's words already name
 * it ('this agency is closed to new referrals until 20 July 2026'), so they are the sentence.
 */
export const agencyProblem = (message: string) => message.replace(/^./, (c) => c.toUpperCase());

function plainMessage(to: string, field: string, message: string): string {
  if (field === 'onHoldUntil' && /past/.test(message)) return 'The date must be today or later';
  if (field === 'onHoldUntil' && /date/.test(message)) return 'Enter a real date, for example 1 3 2027';
  if (field === 'outcome') return MISSING['completed.outcome']!;
  if (field === 'targetAgencyId' && !/required/.test(message)) return agencyProblem(message);
  return MISSING[`${to}.${field}`] ?? `${humanise(field)} ${message}`;
}

/** A date from the NHS.UK date input (name[day], name[month], name[year]) as YYYY-MM-DD, or what was typed. */
function dateFrom(v: Record<string, string>, name: string): string | undefined {
  const [d, m, y] = [v[`${name}[day]`], v[`${name}[month]`], v[`${name}[year]`]].map((x) => (x ?? '').trim());
  if (!d && !m && !y) return v[name];
  return `${y!.padStart(4, '0')}-${m!.padStart(2, '0')}-${d!.padStart(2, '0')}`;
}

/**
 * Handles a posted step: on success redirect (POST/redirect/GET); on a problem, the page again
 * with the errors in plain words (and the step's form open). Each step is its own form.
 */
export async function handleAction(deps: ServiceDeps, res: Response, id: string, body: unknown, o: ReferralPageOptions) {
  const v = formValues(body);
  const to = v.to ?? '';
  const pick = (f: ActionField) => {
    const raw = f === 'onHoldUntil' ? (dateFrom(v, `${f}__${to}`) ?? dateFrom(v, f)) : (v[`${f}__${to}`] ?? v[f]);
    return raw === undefined || raw.trim() === '' ? undefined : raw;
  };
  const input = transitionSchema.safeParse({
    to,
    reason: pick('reason'),
    outcome: pick('outcome'),
    note: pick('note'),
    onHoldUntil: pick('onHoldUntil'),
    targetAgencyId: pick('targetAgencyId'),
  });
  const fail = (details: { path?: string; message: string }[], status: number, movedTo?: string) => {
    const fieldErrors: Record<string, string> = {};
    const errors = details.map((d) => {
      if (!d.path || d.path === 'to' || !to) {
        const text = to ? d.message : 'Choose what happened';
        return { text, href: '#actions' };
      }
      const field = `${to}-${d.path}`;
      const text = plainMessage(to, d.path, d.message);
      fieldErrors[field] ??= text;
      return { text, href: `#${field}` };
    });
    const moved = movedTo ? [{ text: `This referral has moved on since you opened it: it is now “${movedTo}”. Check what you want to do.`, href: '#actions' }] : [];
    return showReferral(deps, res, id, o, { values: v, fieldErrors, errors: [...moved, ...(movedTo ? [] : errors)] }, status);
  };
  if (!input.success) return fail(input.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })), 400);
  try {
    await transitionReferral(deps, { principal: o.principal, requestId: o.requestId }, id, input.data);
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
    const details = err.details as unknown;
    if (Array.isArray(details)) return fail(details as { path?: string; message: string }[], err.status);
    const from = (details as { from?: string } | undefined)?.from;
    return fail([{ message: err.message }], err.status, from ? (STATUS_LABELS[from] ?? humanise(from)) : undefined);
  }
  res.redirect(303, `${o.actionBase}?done=${encodeURIComponent(to)}`);
}


/** A referral page's flash after an action (plus the page's own extra messages). */
export function doneMessage(done: unknown, extra: Record<string, string> = {}): string | undefined {
  return flashFor(done, { ...DONE_MESSAGES, ...extra });
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
