/**
 * @medsim/protocol: the medsim.v1 wire protocol. Generated message classes and enums, validated
 * encoding and decoding with explicit limits, device ids, MQTT topic names, the IEEE 11073
 * parameter table and the typed errors every medsim package builds on.
 */
export * from './schema.js';
export * from './errors.js';
export * from './limits.js';
export * from './codec.js';
export * from './envelope-frame.js';
export * from './waveform-frame.js';
export * from './device-id.js';
export * from './topics.js';
export * from './streams.js';
export * from './vital-parameters.js';
export * from './json.js';
export { SAMPLE_BYTES } from './internal/validate/waveform.js';
