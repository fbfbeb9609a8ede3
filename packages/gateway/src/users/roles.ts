/**
 * User roles (CTL-01). Devices are not users: they authenticate with certificates on the device
 * plane and never receive user tokens.
 */

/** Every user role, least to most privileged in what they administer (not in what they read). */
export const USER_ROLES = ['patient', 'clinician', 'technician', 'admin', 'auditor'] as const;

/** A user role. */
export type UserRole = (typeof USER_ROLES)[number];

/** Roles that always need a TOTP second factor (CTL-02: MFA for privileged roles). */
export const PRIVILEGED_ROLES: readonly UserRole[] = ['admin', 'technician', 'auditor'];

/** Whether `value` is a user role. */
export function isUserRole(value: unknown): value is UserRole {
  return typeof value === 'string' && (USER_ROLES as readonly string[]).includes(value);
}

/** Whether a user of `role` must present TOTP to log in. */
export function mfaRequired(role: UserRole, mfaForClinicians: boolean): boolean {
  return PRIVILEGED_ROLES.includes(role) || (role === 'clinician' && mfaForClinicians);
}
