/**
 * The subject access export (subject-access.service exportPerson) as a printable page: one
 * section per part of the export, each item as a list of labelled values, in words a person can
 * read (dates in UK time, agencies and references by name instead of internal ids). The JSON
 * download carries the same object unchanged.
 */
import type { PersonExport } from '../subject-access.service.js';
import { ukDate } from '../../../kernel/uk-dates.js';
import { auditWhat, STATUS_LABELS } from '../../../platform/pages/render.js';

export interface Row {
  key: string;
  value: string;
  /** text whose line breaks matter (a mail's body) */
  pre?: boolean;
}
export interface Block {
  heading: string;
  rows: Row[];
  lists: { title: string; blocks: Block[] }[];
}
export interface Section {
  id: string;
  title: string;
  intro?: string;
  blocks: Block[];
}

const LABELS: Record<string, string> = {
  nhsNumber: 'NHS number',
  slaBreaches: 'Times a promise was missed',
  agencyLinks: 'Email links sent to the agency',
  ageBandAtReferral: 'Age band at referral',
  postcodeDistrictAtReferral: 'Postcode district at referral',
  addressLine: 'Address',
  lastChecklistClosedAt: 'Last checklist closed',
  needsMet: 'Needs met',
  bodyText: 'Text',
  toStatus: 'To',
  fromStatus: 'From',
  actorLabel: 'By',
  questionnaireVersion: 'Checklist version',
  measuredAt: 'Asked',
  worthwhile: 'Things done in life are worthwhile',
  happy: 'Happiness yesterday',
  anxious: 'Anxiety yesterday',
};

/** Codes the export stores, in words for the printed copy (the JSON keeps the codes). */
const CODE_WORDS: Record<string, Record<string, string>> = {
  role: { link_worker: 'Link worker', agency: 'Agency staff', coordinator: 'Hub coordinator', admin: 'Hub administrator' },
  preferredContact: { phone: 'By phone', email: 'By email', post: 'By letter', visit: 'A home visit' },
  givenBy: { person: 'The person', representative: 'Someone acting for them' },
  channel: { web: 'Web form', api: 'Another system', paper: 'Paper checklist', phone: 'By phone', self_referral: 'Self-referral' },
  answer: { yes: 'Yes', no: 'No' },
  occasion: { checklist: 'At the checklist', call: 'At the hub’s follow-up call' },
};
/** a stored code such as `link_worker` or `unable_to_contact` */
const CODE = /^[a-z]+(_[a-z]+)+$/;

const label = (k: string) => LABELS[k] ?? k.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().replace(/^./, (c) => c.toUpperCase());

const dateTimeFmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const ISO_MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const ID_KEY = /(^id$|Id$|Ids$)/;
const STATUS_KEY = /^(status|toStatus|fromStatus)$/;

function plain(k: string, v: unknown): string {
  if (v === null || v === undefined || v === '') return 'None';
  if (v instanceof Date) return dateTimeFmt.format(v);
  if (typeof v === 'boolean') return v ? 'Yes' : 'No';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') {
    if (ISO_MOMENT.test(v) && !Number.isNaN(Date.parse(v))) return dateTimeFmt.format(new Date(v));
    if (ISO_DAY.test(v)) return ukDate(v);
    if (STATUS_KEY.test(k)) return STATUS_LABELS[v] ?? v.replace(/_/g, ' ');
    const word = CODE_WORDS[k]?.[v];
    if (word) return word;
    if (CODE.test(v)) return v.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
    return v;
  }
  return JSON.stringify(v);
}

/** "Agency id" → "Agency", "Cancelled referral ids" → "Cancelled referrals". */
function idLabel(key: string): string {
  const base = key.replace(/ ids?$/i, '');
  if (!/ ids$/i.test(key)) return base;
  return base.endsWith('y') ? `${base.slice(0, -1)}ies` : `${base}s`;
}

/** One object as labelled rows; nested objects are flattened, lists of objects become sub-lists (two levels deep). */
function block(heading: string, obj: Record<string, unknown>, names: Map<string, string>, depth = 0): Block {
  const out: Block = { heading, rows: [], lists: [] };
  const add = (prefix: string, o: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(o)) {
      const key = prefix ? `${prefix}: ${label(k).toLowerCase()}` : label(k);
      if (ID_KEY.test(k)) {
        // internal ids mean nothing on paper: an agency, referral or checklist is named instead
        const ids = Array.isArray(v) ? v : [v];
        const named = ids.map((x) => (typeof x === 'string' ? names.get(x) : undefined)).filter((x): x is string => x !== undefined);
        if (named.length) out.rows.push({ key: idLabel(key), value: named.join(', ') });
        else if (v === null && k === 'agencyIds') out.rows.push({ key: 'Agencies', value: 'Every agency' });
        continue;
      }
      if (Array.isArray(v) && v.some((x) => x !== null && typeof x === 'object' && !(x instanceof Date))) {
        const items = v as Record<string, unknown>[];
        if (depth >= 1) {
          out.rows.push({ key, value: items.map((x) => Object.entries(x).filter(([kk]) => !ID_KEY.test(kk)).map(([kk, vv]) => `${label(kk)}: ${plain(kk, vv)}`).join('; ')).join('\n'), pre: true });
        } else {
          out.lists.push({ title: key, blocks: items.map((x, i) => block(`${key} ${i + 1}${typeof x.reference === 'string' ? `: ${x.reference}` : ''}`, x, names, depth + 1)) });
        }
      } else if (Array.isArray(v)) {
        out.rows.push({ key, value: v.length ? v.map((x) => plain(k, x)).join(', ') : 'None' });
      } else if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
        add(key, v as Record<string, unknown>);
      } else {
        const value = plain(k, v);
        out.rows.push({ key, value, ...(value.includes('\n') ? { pre: true } : {}) });
      }
    }
  };
  add('', obj);
  return out;
}

const many = (title: string, items: Record<string, unknown>[], names: Map<string, string>) =>
  items.map((x, i) => block(`${title} ${i + 1}${typeof x.reference === 'string' ? `: ${x.reference}` : ''}`, x, names));

/** Who did what, how often, first and last: one line per reader and kind of act. */
export interface AccessLine {
  who: string;
  organisation: string;
  what: string;
  times: number;
  first: Date;
  last: Date;
}

/**
 * The audit rows about the person, for a printed page: grouped by who, organisation and act,
 * newest first. A record a coordinator opens every week has hundreds of rows, which on paper
 * say less than "opened your record 37 times between these dates"; the JSON file keeps every
 * row, with its time.
 */
export function accessLines(rows: { at: Date | string; who: string; organisation: string; action: string; entity: string }[]): AccessLine[] {
  const lines = new Map<string, AccessLine>();
  for (const r of rows) {
    const at = new Date(r.at);
    const what = auditWhat(r.action, r.entity);
    const key = JSON.stringify([r.who, r.organisation, what]);
    const line = lines.get(key);
    if (!line) lines.set(key, { who: r.who, organisation: r.organisation, what, times: 1, first: at, last: at });
    else {
      line.times += 1;
      if (at < line.first) line.first = at;
      if (at > line.last) line.last = at;
    }
  }
  return [...lines.values()].sort((a, b) => b.last.getTime() - a.last.getTime());
}

export function exportSections(e: PersonExport, agencies: { id: string; name: string }[]): { sections: Section[]; access: AccessLine[]; accessRows: number } {
  const names = new Map<string, string>(agencies.map((a) => [a.id, a.name]));
  for (const c of e.checklists) names.set(c.id, c.reference);
  for (const r of e.referrals) names.set(r.id, r.reference);
  const rec = (o: object) => o as Record<string, unknown>;
  const sections: Section[] = [
    { id: 'person', title: 'Their details', blocks: [block('As held now', rec(e.person), names)] },
    { id: 'merged', title: 'Records merged into this one', intro: 'Other records found to be the same person, and joined to this one.', blocks: many('Record', e.mergedRecords.map(rec), names) },
    { id: 'as-given', title: 'Details as given on each checklist', blocks: many('Details', e.detailsAsGiven.map(rec), names) },
    { id: 'duplicates', title: 'Possible duplicates', intro: 'Records that looked like the same person, for the hub to check.', blocks: many('Possible duplicate', e.possibleDuplicates.map(rec), names) },
    { id: 'checklists', title: 'Checklists', blocks: many('Checklist', e.checklists.map(rec), names) },
    { id: 'consents', title: 'Consent given', blocks: many('Consent', e.consents.map(rec), names) },
    { id: 'withdrawals', title: 'Consent withdrawn', blocks: many('Withdrawal', e.consentWithdrawals.map(rec), names) },
    { id: 'referrals', title: 'Referrals', blocks: many('Referral', e.referrals.map(rec), names) },
    { id: 'referred-again', title: 'Referred again while a referral was open', blocks: many('Referred again', e.referredAgain.map(rec), names) },
    { id: 'follow-ups', title: 'The hub’s follow-up calls', blocks: many('Follow-up', e.followUps.map(rec), names) },
    {
      id: 'wellbeing',
      title: 'Wellbeing (ONS4)',
      intro: 'Their answers, from 0 to 10, to the four personal wellbeing questions, when the checklist was filled in and at the hub’s follow-up call. For anxiety, 0 is not at all anxious.',
      blocks: many('Wellbeing', e.wellbeing.map((w) => rec({ ...w, occasion: w.occasion === 'checklist' ? 'At the checklist' : 'At the hub’s follow-up call' })), names),
    },
    {
      id: 'self-referrals',
      title: 'Self-referrals',
      intro: 'Requests for help sent through the hub’s public page, which the hub called about before passing them on.',
      blocks: many('Self-referral', e.selfReferrals.map(rec), names),
    },
    { id: 'mail', title: 'Mail about them', blocks: many('Mail', e.mail.map(rec), names) },
  ];
  return { sections, access: accessLines(e.access), accessRows: e.access.length };
}
