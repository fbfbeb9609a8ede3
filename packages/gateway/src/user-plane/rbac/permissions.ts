/**
 * The permission matrix (CTL-01, MFDS 1.1): the ONE place that says which role may do what.
 * Routes declare a permission (route-guard.ts refuses to start with a /v1 route that does not);
 * WebSocket subscriptions check `stream.subscribe`. Everything not granted here is denied.
 * docs/access-control.md is rendered from this table and a test keeps the two equal.
 *
 * Role grants are only the first gate: `scope` names the object-level rule applied on top
 * (rbac/scope.ts), e.g. a clinician holds `readings.read` but only for their care team.
 */
import type { UserRole } from '../../users/roles.js';

/** One permission: who holds it, what it allows, and the object scope applied after it. */
export interface PermissionSpec {
  readonly roles: readonly UserRole[];
  readonly doc: string;
  readonly scope?: string;
}

const ALL: readonly UserRole[] = ['patient', 'clinician', 'technician', 'admin', 'auditor'];

/** permission → roles. Technicians and admins never read biometric data; only auditors read the audit log. */
export const PERMISSIONS = {
  'session.self': { roles: ALL, doc: 'Read own session, log out, change own password.' },
  'session.break-glass': {
    roles: ['clinician'],
    doc: 'Emergency read access to one patient outside the care team (CTL-18).',
    scope: 'Time-limited (auth.breakGlassMaxS), reason required, audited high.',
  },
  'patients.create': { roles: ['admin'], doc: 'Add a patient record.' },
  'patients.list': {
    roles: ['patient', 'clinician', 'admin'],
    doc: 'List patients (id, display name).',
    scope: 'Admin: all (directory for assignments). Clinician: own care team. Patient: self.',
  },
  'readings.read': {
    roles: ['patient', 'clinician'],
    doc: "Read a patient's readings (history).",
    scope: 'Clinician: care-team patients, or the break-glass patient while the grant lasts. Patient: self only.',
  },
  'stream.subscribe': {
    roles: ['patient', 'clinician'],
    doc: "Subscribe to a patient's live readings over the WebSocket.",
    scope: 'Same rule as readings.read, re-checked on every push batch.',
  },
  'devices.enrolment-token': { roles: ['admin', 'technician'], doc: 'Create a one-time device enrolment token.' },
  'devices.read': { roles: ['admin', 'technician'], doc: 'List devices and read their status (no readings).' },
  'devices.revoke': { roles: ['admin', 'technician'], doc: "Revoke a device's certificate." },
  'therapy.order': {
    roles: ['clinician'],
    doc: 'Order a therapy command (insulin bolus, basal schedule, suspend, resume, pacing parameters) for a device; it is sent only once confirmed (`commands.confirm`, CTL-08, CTL-15).',
    scope: "The device's patient must be on the care team; break-glass never grants it. The ordering clinician alone confirms or cancels it.",
  },
  'therapy.read': {
    roles: ['clinician', 'auditor'],
    doc: "Read a device's therapy command history (status, summary, sequence, the device's answer).",
    scope: "Clinician: commands for care-team patients (the device's current patient must be on the care team). Auditor: all.",
  },
  'therapy.evidence': {
    roles: ['auditor'],
    doc: "Export a command's non-repudiation evidence (therapy or maintenance): the signed command, the device-signed acknowledgement, both public keys, the audit entry ids (CTL-15).",
  },
  'maintenance.order': {
    roles: ['technician'],
    doc: 'Order a maintenance command (open or close service mode, run diagnostics, upload logs) for a device; it is sent only once confirmed with a fresh TOTP code (`commands.confirm`, CTL-15).',
    scope: 'Any enrolled device: maintenance needs no patient scope and reads no patient data. The ordering technician alone confirms or cancels it.',
  },
  'maintenance.read': {
    roles: ['technician'],
    doc: "Read a device's maintenance command history and its maintenance reports (self-test results and device log: identifiers and numbers, no patient data).",
    scope: 'Any device. Every report read is audited.',
  },
  'commands.confirm': {
    roles: ['clinician', 'technician'],
    doc: 'Confirm a command one ordered (signal of intent, step-up authentication), or cancel it before confirmation (CTL-08, CTL-15).',
    scope:
      "The caller must also hold the order permission of the command's purpose (`therapy.order` for therapy, `maintenance.order` for maintenance) and be its orderer; confirm only in the ordering session, before the deadline; therapy: the patient still on the care team.",
  },
  'commands.read': {
    roles: ['clinician', 'technician', 'auditor'],
    doc: "Read one command (status, summary, sequence, the device's answer).",
    scope: 'Clinician: therapy commands for care-team patients. Technician: maintenance commands. Auditor: all.',
  },
  'users.create': { roles: ['admin'], doc: 'Create a user with a role.' },
  'users.read': { roles: ['admin'], doc: 'List users (no hashes, no secrets).' },
  'users.manage': {
    roles: ['admin'],
    doc: "Disable, enable, unlock a user; change a role; reset a password or TOTP. Ends the user's sessions.",
    scope: 'Not on oneself (an admin cannot lock themself out or self-elevate).',
  },
  'care-team.manage': { roles: ['admin'], doc: "Assign a patient to, or remove one from, a clinician's care team." },
  'audit.read': { roles: ['auditor'], doc: 'Query the audit log (CTL-14).' },
  'audit.export': { roles: ['auditor'], doc: 'Export the whole audit log as JSON lines (SIEM).' },
  'firmware.read': {
    roles: ['technician', 'admin', 'auditor'],
    doc: 'List published firmware releases and rollout campaigns, and each device\'s update status (docs/firmware/gateway.md).',
  },
  'firmware.publish': {
    roles: ['technician'],
    doc: 'Publish a firmware release signed offline (TUF metadata and images) to the update repository (CTL-12).',
    scope: 'Published files never change: the same bytes again change nothing, other bytes under a published name are refused.',
  },
  'firmware.campaign-create': {
    roles: ['technician'],
    doc: 'Create a rollout campaign for a published release and a cohort of enrolled devices of its model; it waits for approval.',
  },
  'firmware.campaign-approve': {
    roles: ['admin'],
    doc: 'Approve a rollout campaign, resume a paused one or advance one to its next stage, each with a fresh TOTP code.',
    scope: 'Two-person rule: never a campaign one created.',
  },
  'firmware.campaign-stop': {
    roles: ['technician', 'admin'],
    doc: 'Pause a running rollout campaign, or abort one that has not ended (no new update instructions).',
  },
} as const satisfies Record<string, PermissionSpec>;

/** A permission name. */
export type Permission = keyof typeof PERMISSIONS;

/** Whether `role` holds `permission` (deny by default: unknown names hold nothing). */
export function allows(role: UserRole, permission: Permission): boolean {
  const spec: PermissionSpec | undefined = Object.hasOwn(PERMISSIONS, permission) ? PERMISSIONS[permission] : undefined;
  return spec?.roles.includes(role) ?? false;
}
