/**
 * The one list of test tags (vitest 4 `strictTags`): requirement and control ids that tests claim
 * to verify. The root config and every project config import it, so a tag cannot be defined in one
 * run and unknown in another. The compliance package reads these ids from test results.
 */
export interface TagDefinition {
  readonly name: string;
  readonly description: string;
}

const CONTROLS: Record<string, string> = {
  'CTL-01': 'Role-based access control, deny by default, object-level scope',
  'CTL-02': 'User authentication (scrypt, policy, MFA, lockout, generic errors, banner)',
  'CTL-03': 'Single-session enforcement (one session per user, one connection per device)',
  'CTL-04': 'Session management (timeouts, revocation, refresh rotation)',
  'CTL-05': 'Device/node authentication (per-device keys)',
  'CTL-06': 'Transport security (TLS 1.3 / 1.2 AEAD only, no plaintext listener)',
  'CTL-07': 'Encrypted, authenticated biometric transfer',
  'CTL-08': 'Anti-replay and command authenticity',
  'CTL-09': 'Input validation (schemas, ranges, size limits)',
  'CTL-10': 'Data-at-rest protection',
  'CTL-11': 'Key management (per-device keys, rotation, separation)',
  'CTL-12': 'Signed firmware updates',
  'CTL-13': 'Boot and code integrity',
  'CTL-14': 'Security audit logging (structured, PHI-free, tamper-evident)',
  'CTL-15': 'Non-repudiation of clinical commands',
  'CTL-16': 'Availability and resilience (explicit limits)',
  'CTL-17': 'Least functionality and hardening',
  'CTL-18': 'Emergency access (break-glass)',
  'CTL-19': 'Physical/diagnostic interface protection',
  'CTL-20': 'SBOM and vulnerability management',
  'CTL-21': 'Backup, restore and trusted defaults',
  'CTL-22': 'Security event detection and user notification',
  'CTL-23': 'Safe error handling (typed errors, no internals leaked)',
  'CTL-24': 'Anti-malware / execution integrity',
};

const series = (prefix: string, count: number, what: string): TagDefinition[] =>
  Array.from({ length: count }, (_, i) => ({ name: `${prefix}${i + 1}`, description: `${what} ${prefix}${i + 1}` }));

/**
 * Controls CTL-01..24 (reference/regulatory.md section 2) and the attack and fault cases of
 * attacks-and-faults.md: envelope C1-C14 (section 4.1), JWT J1-J14 and sessions S1-S10
 * (section 2.1), broker M1-M16 (section 3.6), faults F1-F10 (section 5.1), firmware updates U1-U16
 * (section 1.1).
 */
export const tags: TagDefinition[] = [
  ...Object.entries(CONTROLS).map(([name, description]) => ({ name, description })),
  ...series('C', 14, 'Crypto envelope attack case (attacks-and-faults.md section 4.1)'),
  ...series('J', 14, 'JWT attack case (attacks-and-faults.md section 2.1)'),
  ...series('S', 10, 'Session case (attacks-and-faults.md section 2.1)'),
  ...series('M', 16, 'MQTT broker case (attacks-and-faults.md section 3.6)'),
  ...series('F', 10, 'Availability fault (attacks-and-faults.md section 5.1)'),
  ...series('U', 16, 'Firmware update attack case (attacks-and-faults.md section 1.1)'),
];
