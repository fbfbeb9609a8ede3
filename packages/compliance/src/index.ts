/**
 * @medsim/compliance: the regulatory evidence generated from medsim's own test run (issue 6).
 *
 * - model.ts: requirement profiles and items (with provenance), controls, test results, statuses.
 */
export * from './model.js';
