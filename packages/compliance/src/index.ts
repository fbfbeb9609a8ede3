/**
 * @medsim/compliance: the regulatory evidence generated from medsim's own test run (issue 6).
 *
 * - model.ts: requirement profiles and items (with provenance), controls, test results, statuses.
 * - header.ts: the checklist header from the device models and network paths in use.
 */
export * from './model.js';
export * from './header.js';
