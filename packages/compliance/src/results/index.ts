/**
 * Test results: a vitest JSON report read into the TestRun the documents use, the ids tests claim,
 * and the evidence-side error codes.
 */
export * from './test-ids.js';
export * from './vitest-report.js';
