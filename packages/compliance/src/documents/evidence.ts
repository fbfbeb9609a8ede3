/**
 * The evidence set: everything the documents say, computed once from the catalogue, the risk
 * register and one test run, so the checklist, the risk file and the V&V report cannot disagree.
 * Document numbers tie them together: the checklist's "document number" column points at the V&V
 * report's section of each control (VV-CTL-07) and at the risk file's threats (RMF-THR-012).
 */
import { CONTROLS, profile } from '../catalogue/index.js';
import { evaluateControls, evaluateItems, summarizeByGroup, unlinkedFailures, countStatuses, type ControlEvaluation, type GroupSummary, type ItemEvaluation, type StatusCounts } from '../evaluation/index.js';
import type { ChecklistHeader } from '../header.js';
import type { Control, RequirementProfile, TestResult, TestRun } from '../model.js';
import type { SbomSummary } from '../sbom/index.js';

/** Where the software under test came from and what tested it (V&V report, regulatory.md §4.6). */
export interface SoftwareIdentity {
  readonly name: string;
  readonly version: string;
  /** Git commit of the tested tree, and whether it had uncommitted changes. */
  readonly commit: string;
  readonly dirty: boolean;
  /** Runtime and machine: Node.js, OS, CPU. */
  readonly environment: Readonly<Record<string, string>>;
  /** Tool versions: test runner, compiler, key libraries. */
  readonly tools: Readonly<Record<string, string>>;
}

/** What the SBOM step produced, for the documents to reference. */
export interface SbomReference {
  /** File name of the SBOM beside the documents. */
  readonly file: string;
  readonly summary: SbomSummary;
}

/** Inputs of an evidence set. */
export interface EvidenceInputs {
  readonly profileId: string;
  readonly run: TestRun;
  readonly header: ChecklistHeader;
  readonly software: SoftwareIdentity;
  /** Threat ids per control (from the risk register), for the document-number column. */
  readonly threatsByControl: ReadonlyMap<string, readonly string[]>;
  readonly sbom?: SbomReference;
  /** When the documents were generated (ISO 8601). */
  readonly generatedAt: string;
}

/** One control with its definition and its evaluation. */
export interface ControlEvidence extends ControlEvaluation {
  readonly control: Control;
  /** Items of the profile that map to it. */
  readonly items: readonly string[];
}

/** The evidence set. */
export interface EvidenceSet {
  readonly profile: RequirementProfile;
  readonly header: ChecklistHeader;
  readonly software: SoftwareIdentity;
  readonly run: { readonly startedAt: string; readonly durationMs: number; readonly counts: Readonly<Record<TestResult['outcome'], number>> };
  readonly controls: readonly ControlEvidence[];
  readonly items: readonly ItemEvaluation[];
  readonly groups: readonly GroupSummary[];
  readonly totals: StatusCounts;
  /** Failed tests that claim no control: shown, so a red run never reads as green. */
  readonly unlinkedFailures: readonly TestResult[];
  readonly threatsByControl: ReadonlyMap<string, readonly string[]>;
  readonly sbom?: SbomReference;
  readonly generatedAt: string;
}

/** The V&V report's section id of a control. */
export const vvSection = (controlId: string): string => `VV-${controlId}`;
/** The risk file's row id of a threat. */
export const rmfRow = (threatId: string): string => `RMF-${threatId}`;

/** The evidence set as JSON (the map as an object); evidenceFromJson() reads it back. */
export function evidenceToJson(evidence: EvidenceSet): unknown {
  return { ...evidence, threatsByControl: Object.fromEntries(evidence.threatsByControl) };
}

/**
 * An evidence set read back from evidenceToJson()'s output, so documents can be rendered again
 * from a stored run (the committed example proves it was generated, not edited, this way).
 */
export function evidenceFromJson(json: unknown): EvidenceSet {
  const value = json as Omit<EvidenceSet, 'threatsByControl'> & { threatsByControl: Record<string, readonly string[]> };
  if (typeof value !== 'object' || value === null || typeof value.threatsByControl !== 'object' || !Array.isArray(value.items) || !Array.isArray(value.controls)) {
    throw new TypeError('not the JSON of an evidence set');
  }
  return { ...value, threatsByControl: new Map(Object.entries(value.threatsByControl)) };
}

/** Builds the evidence set (throws the catalogue's and the evaluation's typed errors). */
export function buildEvidence(inputs: EvidenceInputs): EvidenceSet {
  const requirements = profile(inputs.profileId);
  const evaluations = evaluateControls(CONTROLS, inputs.run);
  const items = evaluateItems(requirements, evaluations);
  const controls = evaluations.map((evaluation) => ({
    ...evaluation,
    control: CONTROLS.find((c) => c.id === evaluation.id)!,
    items: requirements.items.filter((item) => item.controls.includes(evaluation.id)).map((item) => item.id),
  }));
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const test of inputs.run.tests) counts[test.outcome] += 1;
  return {
    profile: requirements,
    header: inputs.header,
    software: inputs.software,
    run: { startedAt: inputs.run.startedAt, durationMs: inputs.run.durationMs, counts },
    controls,
    items,
    groups: summarizeByGroup(items),
    totals: countStatuses(items),
    unlinkedFailures: unlinkedFailures(CONTROLS, inputs.run),
    threatsByControl: inputs.threatsByControl,
    ...(inputs.sbom === undefined ? {} : { sbom: inputs.sbom }),
    generatedAt: inputs.generatedAt,
  };
}
