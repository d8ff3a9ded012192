/**
 * An agency the ORUK import made has this for its inbox until the hub sets one: the .invalid
 * top-level domain is never delivered (RFC 2606), and the table's check
 * (agencies_inbox_set_when_active, migrations/2026_12_08_1300_agency_oruk.ts) keeps such an
 * agency paused. The hub's pages show it as not set.
 */
export const INBOX_NOT_SET = 'inbox-not-set@signpost.invalid';
