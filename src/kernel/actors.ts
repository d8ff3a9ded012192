/** Who an event or audit row names when no user acted: the hub itself (the workers, the sweep). */
export const SYSTEM_ACTOR = { actorUserId: null, actorLabel: 'Signpost hub' } as const;

/** A signed-in user (or an agency link's user) as an event names them. */
export function actorOf(principal: { userId: string; name: string }): { actorUserId: string; actorLabel: string } {
  return { actorUserId: principal.userId, actorLabel: principal.name };
}

/** How an audit row names an agency that acted through an emailed link (no user): this, then the agency's name. */
export const AGENCY_LINK_ACTOR = 'agency link: ';

/** The organisation an audit row's actor acted for, as the person would understand it. */
export function organisationOf(row: { actorRole: string | null; actorAgencyName: string | null; actorLabel?: string }, hubName: string): string {
  if (row.actorAgencyName) return row.actorAgencyName;
  if (row.actorRole === null && row.actorLabel?.startsWith(AGENCY_LINK_ACTOR)) return row.actorLabel.slice(AGENCY_LINK_ACTOR.length);
  if (row.actorRole === 'coordinator' || row.actorRole === 'admin' || row.actorRole === null) return hubName;
  return row.actorRole === 'link_worker' ? 'A link worker (the person who filled in the checklist, or a colleague)' : row.actorRole;
}
