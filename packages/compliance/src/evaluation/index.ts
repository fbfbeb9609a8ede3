/**
 * Evaluation: control and requirement statuses (applied, gap, not verified, not applicable) from a
 * test run, and the per-group counts the documents chart.
 */
export * from './control-status.js';
export * from './item-status.js';
