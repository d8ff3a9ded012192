/** Who an event or audit row names when no user acted: the hub itself (the workers, the sweep). */
export const SYSTEM_ACTOR = { actorUserId: null, actorLabel: 'Signpost hub' } as const;

/** A signed-in user (or an agency link's user) as an event names them. */
export function actorOf(principal: { userId: string; name: string }): { actorUserId: string; actorLabel: string } {
  return { actorUserId: principal.userId, actorLabel: principal.name };
}
