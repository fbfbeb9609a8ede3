/**
 * @medsim/testkit: protocol-level test devices (real TLS, real MQTT, real envelopes).
 */
export * from './device-credentials.js';
export * from './device-client.js';
export * from './readings.js';
export * from './refusal.js';
export * from './command-receiver.js';
