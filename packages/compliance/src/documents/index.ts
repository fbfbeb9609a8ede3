/**
 * The documents of the submission set, built from one evidence set: the checklist, the risk
 * management file and the V&V report, each as Markdown and printable HTML (blocks.ts), plus JSON.
 */
export * from './blocks.js';
export * from './evidence.js';
export * from './checklist.js';
export * from './vv-report.js';
export * from './risk-file.js';
