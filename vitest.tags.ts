/**
 * The one list of test tags (vitest 4 `strictTags`): requirement and control ids that tests claim
 * to verify. The root config and every project config import it, so a tag cannot be defined in one
 * run and unknown in another. The compliance package reads these ids from test results.
 */
export interface TagDefinition {
  readonly name: string;
  readonly description: string;
}

/** Controls from docs/requirements (the CTL catalogue) and the envelope attack cases C1-C14. */
export const tags: TagDefinition[] = [
  { name: 'CTL-05', description: 'Device/node authentication (per-device keys)' },
  { name: 'CTL-07', description: 'Encrypted, authenticated biometric transfer' },
  { name: 'CTL-08', description: 'Anti-replay and command authenticity' },
  { name: 'CTL-09', description: 'Input validation (schemas, ranges, size limits)' },
  { name: 'CTL-11', description: 'Key management (per-device keys, rotation, separation)' },
  { name: 'CTL-12', description: 'Signed firmware updates' },
  { name: 'CTL-14', description: 'Security audit logging (structured, PHI-free, tamper-evident)' },
  { name: 'CTL-15', description: 'Non-repudiation of clinical commands' },
  { name: 'CTL-16', description: 'Availability and resilience (explicit limits)' },
  { name: 'CTL-23', description: 'Safe error handling (typed errors, no internals leaked)' },
  ...Array.from({ length: 14 }, (_, i) => ({
    name: `C${i + 1}`,
    description: `Crypto envelope attack case C${i + 1} (attacks-and-faults.md section 4.1)`,
  })),
];
