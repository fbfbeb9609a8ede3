/**
 * Object-level scope (CTL-01, S9 IDOR/BOLA): after the role gate, whose data the caller may
 * read. A clinician reads the patients of their care team, plus the one break-glass patient while
 * the grant lasts (CTL-18); a patient reads only themself; every other role reads no patient's
 * readings (technicians and admins administer devices and accounts, not biometric data).
 */
import type { UserStore } from '../../users/user-store.js';
import type { Principal } from '../auth/authenticate.js';

/** Whether `principal` may read `patientId`'s readings at `nowMs`. */
export function canReadPatient(users: UserStore, principal: Principal, patientId: string, nowMs: number): boolean {
  switch (principal.role) {
    case 'patient':
      return principal.patientId !== null && principal.patientId === patientId;
    case 'clinician':
      return users.isOnCareTeam(principal.userId, patientId) || breakGlassCovers(principal, patientId, nowMs);
    case 'technician':
    case 'admin':
    case 'auditor':
      return false;
  }
}

/** Whether the caller's emergency grant covers `patientId` now (it lapses by itself at `until`). */
export function breakGlassCovers(principal: Principal, patientId: string, nowMs: number): boolean {
  return principal.breakGlass !== null && principal.breakGlass.patientId === patientId && nowMs < principal.breakGlass.until;
}
