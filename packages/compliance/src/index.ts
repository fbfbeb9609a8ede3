/**
 * @medsim/compliance: the regulatory evidence generated from medsim's own test run (issue 6).
 *
 * - model.ts: requirement profiles and items (with provenance), controls, test results, statuses.
 * - header.ts: the checklist header from the device models and network paths in use.
 * - catalogue/: controls CTL-01..24 and the requirement profiles (MFDS 2019, 2022, 2024, FDA).
 * - risk/: the risk register (assets, interfaces, trust boundaries, threat scenarios, the matrix).
 * - results/: a vitest JSON report read into a test run (ids from tags and [ID] name prefixes).
 * - evaluation/: control and requirement statuses from a run (applied, gap, not verified, n/a).
 * - sbom/: the CycloneDX SBOM of the shipped packages, with hashes from the lock file.
 * - documents/: the checklist, the risk management file and the V&V report (Markdown, HTML, JSON).
 */
export * from './model.js';
export * from './header.js';
export * from './errors.js';
export * from './catalogue/index.js';
export * from './results/index.js';
export * from './evaluation/index.js';
export * from './sbom/index.js';
export * from './risk/index.js';
export * from './documents/index.js';
