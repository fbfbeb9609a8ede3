/**
 * Errors of the requirement catalogue (@medsim/compliance, issue 6): asking for a profile or a
 * control that does not exist, and a profile that breaks the catalogue's rules (an item naming an
 * unknown control, two items with one id, a "not applicable" without its written justification).
 * Codes are ERR_COMPLIANCE_*; the package's other parts add theirs, and the lead merges the
 * catalogues into the package's one errors.ts.
 */
import { MedsimError, type ErrorCatalogue, type MedsimErrorOptions } from '@medsim/protocol';

/** Codes of the requirement catalogue, with meaning and remedy (the source of docs/reference/errors.md). */
export const catalogueErrorCatalogue = {
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
} as const satisfies ErrorCatalogue;

/** A code of the requirement catalogue. */
export type CatalogueErrorCode = keyof typeof catalogueErrorCatalogue;

/** Base of @medsim/compliance's errors. */
export class ComplianceError extends MedsimError {
  declare readonly code: CatalogueErrorCode;

  constructor(code: CatalogueErrorCode, message: string, options?: MedsimErrorOptions) {
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
