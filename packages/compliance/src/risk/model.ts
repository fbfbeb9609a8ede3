/**
 * The data model of the cybersecurity risk register (issue 6; reference/regulatory.md §4.3-§4.4):
 * what is protected (assets), where it can be reached (interfaces, each crossing one trust
 * boundary), and one row per threat scenario, rated for patient harm and exploitability before and
 * after its controls. The register itself is data (register.ts, threats/*.ts); the scales and the
 * acceptance matrix are matrix.ts; docs/threat-model.md draws the same data.
 *
 * Ids are closed unions, so a threat naming an asset or interface that does not exist does not
 * compile; the tests check the same at run time, and that the document names the same threats.
 */
import type { CiaPrinciple, ControlId } from '../model.js';

/** A STRIDE letter: the kind of threat (Microsoft's STRIDE, per interface). */
export type StrideCategory = 'S' | 'T' | 'R' | 'I' | 'D' | 'E';

/** The six letters in order, for iteration. */
export const STRIDE_ORDER: readonly StrideCategory[] = ['S', 'T', 'R', 'I', 'D', 'E'];

/** What each STRIDE letter means and the security property it violates. */
export const STRIDE_CATEGORIES: Readonly<Record<StrideCategory, { readonly name: string; readonly violates: string }>> = {
  S: { name: 'Spoofing', violates: 'authenticity' },
  T: { name: 'Tampering', violates: 'integrity' },
  R: { name: 'Repudiation', violates: 'non-repudiation' },
  I: { name: 'Information disclosure', violates: 'confidentiality' },
  D: { name: 'Denial of service', violates: 'availability' },
  E: { name: 'Elevation of privilege', violates: 'authorization' },
};

/** Severity of patient harm, ISO 14971-style: 1 negligible … 5 catastrophic (matrix.ts defines each). */
export type SeverityLevel = 1 | 2 | 3 | 4 | 5;

/** Exploitability band, 1 impractical … 5 trivial: what an attacker needs, never a probability (matrix.ts). */
export type ExploitabilityLevel = 1 | 2 | 3 | 4 | 5;

/** Where a rating falls in the acceptance matrix (matrix.ts). */
export type RiskLevel = 'acceptable' | 'alarp' | 'unacceptable';

/** A threat's rating, before or after its controls. */
export interface RiskRating {
  readonly severity: SeverityLevel;
  readonly exploitability: ExploitabilityLevel;
}

/** What the register protects. */
export type AssetId =
  | 'therapy-commands'
  | 'therapy-state'
  | 'biometric-data'
  | 'patient-records'
  | 'alarms-and-events'
  | 'device-keys'
  | 'gateway-keys'
  | 'release-keys'
  | 'firmware-images'
  | 'user-credentials'
  | 'user-sessions'
  | 'identity-registry'
  | 'audit-trail'
  | 'gateway-service'
  | 'simulation-control';

/** Where an attacker can reach the system: one interface, one trust boundary crossed. */
export type InterfaceId =
  | 'ble-radio'
  | 'mqtt-device-plane'
  | 'firmware-endpoint'
  | 'user-api'
  | 'gateway-storage'
  | 'device-storage'
  | 'fleet-control'
  | 'release-side';

/** A line in the data-flow diagram that data crosses from less to more trusted (or back). */
export type TrustBoundaryId = 'radio-air' | 'device-network' | 'user-network' | 'gateway-host' | 'device-casing' | 'host-loopback' | 'offline-release';

/** A threat id: THR-001, THR-002 … (three digits, never reused). */
export type ThreatId = `THR-${string}`;

/** A CWE weakness id, e.g. CWE-294. */
export type CweId = `CWE-${number}`;

/**
 * An attack or fault case of attacks-and-faults.md whose tagged tests exercise a threat: envelope
 * C1-C14, JWT J1-J14, sessions S1-S10, broker M1-M16, faults F1-F10, firmware updates U1-U16
 * (the tags of vitest.tags.ts).
 */
export type AttackCaseId = `${'C' | 'J' | 'S' | 'M' | 'F' | 'U'}${number}`;

/** One asset. */
export interface Asset {
  readonly id: AssetId;
  readonly name: string;
  /** What it is and where it lives in medsim. */
  readonly description: string;
  /** The CIA principles that matter for it. */
  readonly principles: readonly CiaPrinciple[];
}

/** One trust boundary. */
export interface TrustBoundary {
  readonly id: TrustBoundaryId;
  readonly name: string;
  /** What is on each side, and who can stand on the outer one. */
  readonly description: string;
}

/** One interface (entry point) of the system. */
export interface SystemInterface {
  readonly id: InterfaceId;
  readonly name: string;
  /** The two parties it connects, e.g. ['device', 'gateway BLE central']. */
  readonly between: readonly [string, string];
  /** Transport and protocol, as deployed (e.g. 'MQTT 3.1.1 over TLS 1.3 / 1.2 AEAD, mutual TLS, :8883'). */
  readonly protocol: string;
  readonly boundary: TrustBoundaryId;
  readonly description: string;
  /** STRIDE letters judged not to apply to this interface, each with the reason. */
  readonly notApplicable: Readonly<Partial<Record<StrideCategory, string>>>;
}

/** A weakness, as CWE names it. */
export interface Weakness {
  readonly id: CweId;
  readonly name: string;
}

/** One row of the register: one threat scenario (reference/regulatory.md §4.4). */
export interface ThreatScenario {
  readonly id: ThreatId;
  readonly title: string;
  readonly interface: InterfaceId;
  readonly assets: readonly AssetId[];
  readonly stride: StrideCategory;
  readonly cwe: Weakness;
  /** The threat source: actor, position and capability. */
  readonly actor: string;
  /** What the attacker does, in this design. */
  readonly scenario: string;
  /** The hazardous situation and the worst credible harm, which the severity rates. */
  readonly harm: string;
  /** True when one exploit can harm more than one patient. */
  readonly multiPatient: boolean;
  /** The CIA principles the threat works against. */
  readonly cia: readonly CiaPrinciple[];
  /** Rating without the controls below. */
  readonly before: RiskRating;
  /** Controls that reduce it (CTL-01 … CTL-24); may be empty when none applies, said in the rationale. */
  readonly controls: readonly ControlId[];
  /** Attack and fault cases whose tagged tests exercise the controls against this scenario. */
  readonly attackCases: readonly AttackCaseId[];
  /** Rating with the controls: severity and exploitability never above `before`. */
  readonly after: RiskRating;
  /** The residual level, as the matrix gives it for `after` (kept in the data so reviews see it). */
  readonly residual: RiskLevel;
  /** Why the residual risk is acceptable, or as low as reasonably practicable. */
  readonly rationale: string;
  /** A further reduction recorded but not built (an open action), if any. */
  readonly followUp?: string;
}
