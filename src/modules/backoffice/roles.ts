import type { SignedInAccount } from '../account/current.js';

/**
 * Who may do what in the back office. Agents take calls and chats: they read any case and add
 * notes, and act for residents through the services themselves. Case officers work their
 * team's cases; team leads do too, and see their team's dashboard. Administrators can do
 * everything, and manage staff and read the audit log.
 */
export const STAFF_ROLES = ['agent', 'officer', 'lead', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const ROLE_NAMES: Record<StaffRole, string> = {
  agent: 'Contact centre agent',
  officer: 'Case officer',
  lead: 'Team lead',
  admin: 'Administrator',
};

export interface Staff {
  id: number;
  name: string;
  role: StaffRole;
  team: string | null;
}

export function asStaff(account: SignedInAccount | null): Staff | undefined {
  const role = STAFF_ROLES.find((r) => r === account?.role);
  if (!account || !role) return undefined;
  return { id: account.id, name: account.name ?? account.email, role, team: account.team };
}

/** Whether this member of staff may change the case: their own team's, or any for an administrator. */
export function mayChange(staff: Staff, found: { team: string | null }): boolean {
  if (staff.role === 'admin') return true;
  if (staff.role === 'agent') return false;
  return staff.team !== null && found.team === staff.team;
}
