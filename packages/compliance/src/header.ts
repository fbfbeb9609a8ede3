/**
 * The checklist header (reference/regulatory.md §1.2): cybersecurity safety level per device model,
 * communication technologies, communication purposes, use of public networks and the use
 * environment. It is computed from the device models and network profiles the system actually has
 * (the CLI passes them in from @medsim/devices), never typed by hand, so the header cannot claim a
 * technology no device uses or hide a public network one does use.
 *
 * Safety levels: the Major (상) definition is the guideline's [V-ko]; Moderate (중) and Minor (하) are
 * not defined in any public source found, so their wording here is medsim's, marked reconstructed.
 */
import type { Provenance } from './model.js';

/** MFDS cybersecurity safety level. */
export type SafetyLevel = 'major' | 'moderate' | 'minor';

/** What the header says of each level, with where the wording comes from. */
export const SAFETY_LEVELS: Readonly<Record<SafetyLevel, { readonly label: string; readonly definition: string; readonly provenance: Provenance }>> = {
  major: {
    label: 'Major (상)',
    definition:
      'A cybersecurity incident could cause serious injury or death: implantable and class-4 devices, therapeutic and life-sustaining devices, and vital-sign monitors where a missed alarm or alert could affect life.',
    provenance: 'verbatim-ko',
  },
  moderate: {
    label: 'Moderate (중)',
    definition: 'A cybersecurity incident could cause non-serious injury, e.g. a wrong reading that leads to a delayed or wrong treatment decision.',
    provenance: 'reconstructed',
  },
  minor: {
    label: 'Minor (하)',
    definition: 'A cybersecurity incident could cause no injury; information exposure only.',
    provenance: 'reconstructed',
  },
};

/** Communication purposes of the seed's header. */
export type CommunicationPurpose = 'monitoring' | 'control' | 'maintenance';

export const PURPOSE_LABELS: Readonly<Record<CommunicationPurpose, string>> = {
  monitoring: 'Personal health records such as biometric data',
  control: 'Device control',
  maintenance: 'Maintenance such as firmware or software updates',
};

/** One device model as the header needs it. */
export interface HeaderDevice {
  readonly model: string;
  readonly displayName: string;
  readonly safetyLevel: SafetyLevel;
  readonly purposes: readonly CommunicationPurpose[];
  /** Link technologies it uses: 'BLE', and the network technologies of its MQTT paths ('Wi-Fi', 'LTE' …). */
  readonly technologies: readonly string[];
}

/** A network path devices use. */
export interface HeaderNetwork {
  readonly name: string;
  readonly technology: string;
  readonly public: boolean;
}

/** The header of a checklist. */
export interface ChecklistHeader {
  readonly devices: readonly HeaderDevice[];
  /** The highest safety level of any device: the level of the system as submitted. */
  readonly systemSafetyLevel: SafetyLevel;
  readonly technologies: readonly string[];
  readonly purposes: readonly CommunicationPurpose[];
  readonly publicNetworks: { readonly used: boolean; readonly networks: readonly string[] };
  readonly useEnvironment: string;
}

const ORDER: readonly SafetyLevel[] = ['major', 'moderate', 'minor'];

/** Builds the header from the system's device models and the network paths they use. */
export function checklistHeader(devices: readonly HeaderDevice[], networks: readonly HeaderNetwork[], useEnvironment: string): ChecklistHeader {
  if (devices.length === 0) throw new RangeError('a checklist header needs at least one device model');
  const levels = new Set(devices.map((d) => d.safetyLevel));
  const publicOnes = networks.filter((n) => n.public).map((n) => n.name);
  return {
    devices,
    systemSafetyLevel: ORDER.find((level) => levels.has(level))!,
    technologies: [...new Set(devices.flatMap((d) => d.technologies))].sort(),
    purposes: (['monitoring', 'control', 'maintenance'] as const).filter((p) => devices.some((d) => d.purposes.includes(p))),
    publicNetworks: { used: publicOnes.length > 0, networks: publicOnes },
    useEnvironment,
  };
}
