/** Who is acting: the four roles, the principal a request acts as, and the hub's roles. */

export type Role = 'link_worker' | 'agency' | 'coordinator' | 'admin';

/** The roles that see every agency's work: the hub's coordinators and admins. */
export const HUB_ROLES = ['coordinator', 'admin'] as const satisfies readonly Role[];

export interface Principal {
  userId: string;
  name: string;
  role: Role;
  agencyId: string | null;
}

export function isHub(p: Pick<Principal, 'role'>): boolean {
  return (HUB_ROLES as readonly Role[]).includes(p.role);
}

/** A signed-in web user, as the session loads it. */
export interface SessionUser {
  userId: string;
  name: string;
  email: string;
  role: Role;
  agencyId: string | null;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
  /** the session's own id (not its cookie): "This session" on /account/sessions */
  sessionId: string;
  /** how this session's second factor was proved; null: none was asked */
  secondFactor: 'totp' | 'recovery' | 'idp' | 'passkey' | null;
  /** the session may reach only the enrolment page (and sign-out) until a second factor is confirmed */
  mustEnrol: boolean;
}
