/**
 * @medsim/devices: the simulated device zoo (issue 4). Monitoring devices, controlled devices
 * (insulin pump, pacemaker), a maintenance device (ultrasound-class), their shared runtime and the
 * seeded physiology they measure.
 */
export * from './errors.js';
