/**
 * @medsim/devices: the simulated device zoo (issue 4). Monitoring devices, controlled devices
 * (insulin pump, pacemaker), a maintenance device (ultrasound-class), their shared runtime and the
 * seeded physiology they measure.
 */
export * from './errors.js';
export * from './runtime/keystore.js';
export * from './runtime/simulated-flash.js';
export * from './runtime/store-and-forward-queue.js';
export * from './runtime/device-clock.js';
export * from './runtime/battery.js';
export * from './network/network-profile.js';
export * from './network/link-shaper.js';
export * from './network/fault-proxy.js';
export * from './network/backoff.js';
export * from './control/persistent-state.js';
export * from './control/therapy-command-verifier.js';
export * from './control/insulin-pump-therapy.js';
export * from './control/pacemaker-therapy.js';
export * from './control/command-processor.js';
export * from './physiology/seeded-random.js';
export * from './physiology/patient-profile.js';
export * from './physiology/anomalies.js';
export * from './physiology/model-context.js';
export * from './physiology/heart-rate.js';
export * from './physiology/spo2.js';
export * from './physiology/blood-pressure.js';
export * from './physiology/glucose.js';
export * from './physiology/temperature.js';
export * from './physiology/respiration.js';
export * from './physiology/ecg-waveform.js';
export * from './physiology/patient.js';
export * from './device/device-model.js';
export * from './device/simulated-device.js';
export * from './link/device-link.js';
export * from './link/mqtt-link.js';
export * from './link/ble-link.js';
export * from './monitor/monitor-device.js';
export * from './monitor/pulse-oximeter.js';
export * from './monitor/heart-rate-sensor.js';
export * from './monitor/blood-pressure-monitor.js';
export * from './monitor/glucose-meter.js';
export * from './monitor/thermometer.js';
export * from './monitor/patient-monitor.js';
export * from './maintenance/ultrasound.js';
export * from './fleet/fleet-spec.js';
export * from './control/controlled-device.js';
export * from './control/insulin-pump.js';
export * from './control/pacemaker.js';
export * from './fleet/device-factory.js';
export * from './fleet/fleet.js';
export * from './fleet/control-server.js';
export * from './maintenance/maintenance-functions.js';
export * from './maintenance/ultrasound-self-test.js';
