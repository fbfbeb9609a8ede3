/**
 * The data model of the regulatory evidence (issue 6): requirement profiles and their items, the
 * controls they resolve to, the risk register, and test results. Everything the documents say is
 * computed from these: the catalogue and register are data in the repository (src/catalogue,
 * src/risk), the results come from a real test run (vitest's JSON report).
 *
 * Provenance is part of every requirement, because much of the MFDS material is not public in full:
 * a reconstructed item is never shown as official text (reference/regulatory.md, status markers).
 */

/** A control id, CTL-01 … CTL-24 (reference/regulatory.md §2.1; vitest.tags.ts). */
export type ControlId = `CTL-${string}`;

/** Where a requirement's wording comes from. */
export type Provenance =
  /** Found verbatim in the cited source (English, quoted or closely condensed). */
  | 'verbatim'
  /** Found verbatim in a Korean source; the English is a translation. */
  | 'verbatim-ko'
  /** Named, without its full wording, in a secondary source. */
  | 'secondary'
  /** Inferred or reconstructed: numbering and wording are medsim's; never official text. */
  | 'reconstructed'
  /** From general knowledge of a standard's structure, not re-verified against its text. */
  | 'general-knowledge';

/** The CIA principle a control or threat concerns (the guideline's basic principles). */
export type CiaPrinciple = 'confidentiality' | 'integrity' | 'availability';

/** Where a control lives: the gateway, the devices, the pipeline. */
export type ControlScope = 'gateway' | 'device' | 'ci';

/** One control of the catalogue. */
export interface Control {
  readonly id: ControlId;
  readonly title: string;
  /** What it does, in this design. */
  readonly description: string;
  readonly scope: readonly ControlScope[];
  readonly principles: readonly CiaPrinciple[];
  /** Source files (repository-relative) that implement it; each must exist. */
  readonly code: readonly string[];
  /** What its verifying tests must assert (the test procedure, for the V&V report). */
  readonly verification: string;
}

/** One requirement of a profile. */
export interface RequirementItem {
  /** The profile's own id: "1.1", "B3", "SI-11", "FDA-3" … */
  readonly id: string;
  /** The group or category it belongs to (a checklist section). */
  readonly group: string;
  /** The requirement, in English; for 'reconstructed' items medsim's own wording. */
  readonly text: string;
  readonly provenance: Provenance;
  /** Where the wording or the reconstruction comes from (a source named in reference/regulatory.md §6). */
  readonly basis: string;
  /** Reference standards named for the checklist's column (IEC 62443-4-2 CR 2.7, IMDRF N60 …). */
  readonly standards: readonly string[];
  readonly controls: readonly ControlId[];
  /** Set when the item does not apply to this system: the written justification (never empty). */
  readonly notApplicable?: string;
}

/** A requirement profile: one generation of a checklist, or another requirement set. */
export interface RequirementProfile {
  /** 'mfds-2019' | 'mfds-2022' | 'mfds-2024' | 'fda-premarket' */
  readonly id: string;
  readonly title: string;
  /** One line on what the profile is and how complete the public record of it is. */
  readonly note: string;
  readonly items: readonly RequirementItem[];
}

/** The outcome of one test in a run. */
export type TestOutcome = 'passed' | 'failed' | 'skipped';

/** One test of a run, as the documents use it. */
export interface TestResult {
  /** Repository-relative test file. */
  readonly file: string;
  /** Describe blocks and test name, joined with " > ". */
  readonly name: string;
  readonly outcome: TestOutcome;
  readonly durationMs: number;
  /** Ids the test claims to verify: its vitest tags and the [ID] prefixes of its name (CTL-12, U3 …). */
  readonly ids: readonly string[];
  /** The first failure message, for failed tests. */
  readonly failure?: string;
}

/** A whole test run. */
export interface TestRun {
  readonly startedAt: string;
  readonly durationMs: number;
  readonly tests: readonly TestResult[];
}

/** A requirement's (or a control's) status in one run (issue 6, "Honesty is the point"). */
export type EvidenceStatus =
  /** Linked tests passed in this run, and none failed. */
  | 'applied'
  /** A linked test failed in this run. */
  | 'gap'
  /** No linked test ran (none exists, or all were skipped). */
  | 'not-verified'
  /** Does not apply to this system, with a written justification. */
  | 'not-applicable';
