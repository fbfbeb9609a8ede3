/**
 * The risk register of @medsim/compliance (issue 6): its data model, the assets, trust boundaries
 * and interfaces of the system, every threat scenario, and the scoring method with its acceptance
 * matrix. Re-exports only.
 */
export * from './model.js';
export * from './matrix.js';
export * from './system.js';
export * from './register.js';
