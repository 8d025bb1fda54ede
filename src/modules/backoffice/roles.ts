import { ForbiddenError } from '../../platform/errors.js';
import type { SignedInAccount } from '../account/current.js';

/**
 * Who may do what in the back office. All staff may read any case, its queue, the dashboards
 * and the export, and add an internal note to any case (an agent passing on what a caller
 * said, an officer flagging something for another team). Changing a case — its status,
 * assignee, due date, team, duplicates, hiding — is for its own team's case officers and team
 * leads, and administrators, who also manage staff and read the audit log. Agents act for
 * residents through the services themselves.
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

/** Stops anyone but an administrator. */
export function requireAdmin(staff: Staff): void {
  if (staff.role !== 'admin') throw new ForbiddenError('Only administrators can do that.');
}

/** Whether this member of staff may change the case: their own team's, or any for an administrator. */
export function mayChange(staff: Staff, found: { team: string | null }): boolean {
  if (staff.role === 'admin') return true;
  if (staff.role === 'agent') return false;
  return staff.team !== null && found.team === staff.team;
}
