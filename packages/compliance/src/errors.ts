/**
 * Errors of @medsim/compliance (issue 6), one catalogue: the requirement catalogue (an unknown
 * profile or control, a profile that breaks the rules), reading a test run (an unreadable, invalid or
 * oversized vitest report), evaluation input, and the SBOM tool. Codes are ERR_COMPLIANCE_*.
 */
import { MedsimError, type ErrorCatalogue, type MedsimErrorOptions } from '@medsim/protocol';

/** Codes of @medsim/compliance, with meaning and remedy (the source of docs/reference/errors.md). */
export const complianceErrorCatalogue = {
  ERR_COMPLIANCE_UNKNOWN_PROFILE: {
    meaning: 'No requirement profile has this id.',
    remedy: 'Use one of mfds-2019, mfds-2022, mfds-2024 or fda-premarket (`medsim report --profile`).',
  },
  ERR_COMPLIANCE_UNKNOWN_CONTROL: {
    meaning: 'A requirement names a control id that is not in the control catalogue (CTL-01 to CTL-24).',
    remedy: 'Map the requirement to controls of packages/compliance/src/catalogue/controls.ts, or add the control there and to vitest.tags.ts.',
  },
  ERR_COMPLIANCE_CATALOGUE_INVALID: {
    meaning: 'A requirement profile breaks the catalogue rules: an empty or duplicate item id, an item with no control and no not-applicable justification, a blank justification, or a missing text, basis or reference standard.',
    remedy: 'Fix the item named in the error details; every applicable item maps to at least one control, and "not applicable" needs a written reason.',
  },
  ERR_COMPLIANCE_REPORT_UNREADABLE: {
    meaning: 'The test report file could not be read (missing, not a file, no permission).',
    remedy: 'Run the test suite (`vitest run` writes reports/vitest.json) or pass the path of an existing report.',
  },
  ERR_COMPLIANCE_REPORT_INVALID: {
    meaning: "The test report is not a vitest 4 JSON report: not JSON, a field missing or of the wrong type, an unknown test status, counts that disagree with the tests listed, or a test file outside the repository root.",
    remedy: 'Use the report vitest itself wrote (json reporter) for this repository, unedited; nothing is evaluated from a report that fails these checks.',
  },
  ERR_COMPLIANCE_REPORT_TOO_LARGE: {
    meaning: 'The test report is larger than 64 MiB, or lists more than 100,000 tests; it was refused before evaluation.',
    remedy: "Check the report is vitest's for this repository; raise the limit only with the suite's real size.",
  },
  ERR_COMPLIANCE_EVALUATION_INVALID: {
    meaning: 'Controls or requirements cannot be evaluated as given: a control id listed twice, a requirement naming a control that was not evaluated, or a not-applicable requirement without a written justification.',
    remedy: 'Fix the catalogue entry named in the details; every control a requirement names must be in the evaluated control list.',
  },
  ERR_COMPLIANCE_SBOM_TOOL_FAILED: {
    meaning: 'cyclonedx-npm could not be started, exited with an error (no package.json or lock file, npm ls errors, BOM failed validation) or was killed.',
    remedy: 'Run it by hand in the same directory (`npx cyclonedx-npm --omit dev -o -`) to see the cause; the stderr tail is in the details.',
  },
  ERR_COMPLIANCE_SBOM_TIMEOUT: {
    meaning: 'cyclonedx-npm did not finish within its time limit (60 s by default) and was killed.',
    remedy: 'Check the machine is not overloaded and the tree is installed (`npm ci`); raise timeoutMs for very large trees.',
  },
  ERR_COMPLIANCE_SBOM_TOO_LARGE: {
    meaning: 'cyclonedx-npm wrote more than the output limit (64 MiB by default); it was killed and its output dropped.',
    remedy: 'Check the tree is the intended one (--omit dev); raise maxOutputBytes only with the real size of the SBOM.',
  },
  ERR_COMPLIANCE_SBOM_INVALID: {
    meaning: 'An SBOM or lock file does not have the expected shape: not a CycloneDX JSON document, not an npm lockfile v2 or v3, a malformed integrity value, or a lock file hash that contradicts one already in the SBOM.',
    remedy: 'Generate the SBOM with generateSbom from the same tree the package-lock.json describes; a contradicting hash means the tree and the lock file differ (run `npm ci`).',
  },
} as const satisfies ErrorCatalogue;

/** A code of @medsim/compliance. */
export type ComplianceErrorCode = keyof typeof complianceErrorCatalogue;

/** Base of @medsim/compliance's errors. */
export class ComplianceError extends MedsimError {
  declare readonly code: ComplianceErrorCode;

  constructor(code: ComplianceErrorCode, message: string, options?: MedsimErrorOptions) {
    super(code, message, options);
  }
}

/** ERR_COMPLIANCE_UNKNOWN_PROFILE */
export class UnknownProfileError extends ComplianceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_COMPLIANCE_UNKNOWN_PROFILE', message, options);
  }
}

/** ERR_COMPLIANCE_UNKNOWN_CONTROL */
export class UnknownControlError extends ComplianceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_COMPLIANCE_UNKNOWN_CONTROL', message, options);
  }
}

/** ERR_COMPLIANCE_CATALOGUE_INVALID */
export class InvalidCatalogueError extends ComplianceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_COMPLIANCE_CATALOGUE_INVALID', message, options);
  }
}

/** ERR_COMPLIANCE_REPORT_UNREADABLE */
export class ReportUnreadableError extends ComplianceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_COMPLIANCE_REPORT_UNREADABLE', message, options);
  }
}

/** ERR_COMPLIANCE_REPORT_INVALID */
export class InvalidReportError extends ComplianceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_COMPLIANCE_REPORT_INVALID', message, options);
  }
}

/** ERR_COMPLIANCE_REPORT_TOO_LARGE */
export class ReportTooLargeError extends ComplianceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_COMPLIANCE_REPORT_TOO_LARGE', message, options);
  }
}

/** ERR_COMPLIANCE_EVALUATION_INVALID */
export class InvalidEvaluationInputError extends ComplianceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_COMPLIANCE_EVALUATION_INVALID', message, options);
  }
}

/** ERR_COMPLIANCE_SBOM_TOOL_FAILED */
export class SbomToolFailedError extends ComplianceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_COMPLIANCE_SBOM_TOOL_FAILED', message, options);
  }
}

/** ERR_COMPLIANCE_SBOM_TIMEOUT */
export class SbomTimeoutError extends ComplianceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_COMPLIANCE_SBOM_TIMEOUT', message, options);
  }
}

/** ERR_COMPLIANCE_SBOM_TOO_LARGE */
export class SbomTooLargeError extends ComplianceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_COMPLIANCE_SBOM_TOO_LARGE', message, options);
  }
}

/** ERR_COMPLIANCE_SBOM_INVALID */
export class InvalidSbomError extends ComplianceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_COMPLIANCE_SBOM_INVALID', message, options);
  }
}
