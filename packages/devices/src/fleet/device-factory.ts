/**
 * One constructor per model name: how a fleet spec's `model` becomes firmware.
 */
import type { DeviceModelInfo, DeviceModelName } from '../device/device-model.js';
import type { SimulatedDevice } from '../device/simulated-device.js';
import { InsulinPump } from '../control/insulin-pump.js';
import { Pacemaker } from '../control/pacemaker.js';
import { Ultrasound } from '../maintenance/ultrasound.js';
import { BloodPressureMonitor } from '../monitor/blood-pressure-monitor.js';
import { GlucoseMeter } from '../monitor/glucose-meter.js';
import { HeartRateSensor } from '../monitor/heart-rate-sensor.js';
import type { MonitorDeviceOptions } from '../monitor/monitor-device.js';
import { PatientMonitor } from '../monitor/patient-monitor.js';
import { PulseOximeter } from '../monitor/pulse-oximeter.js';
import { Thermometer } from '../monitor/thermometer.js';

/** The class of each model. */
export const DEVICE_CLASSES = {
  'pulse-oximeter': PulseOximeter,
  'heart-rate-sensor': HeartRateSensor,
  'blood-pressure-monitor': BloodPressureMonitor,
  'glucose-meter': GlucoseMeter,
  thermometer: Thermometer,
  'patient-monitor': PatientMonitor,
  'insulin-pump': InsulinPump,
  pacemaker: Pacemaker,
  ultrasound: Ultrasound,
} as const satisfies Record<DeviceModelName, (new (options: MonitorDeviceOptions) => SimulatedDevice) & { readonly INFO: DeviceModelInfo }>;

/** What each model is (class, transports, cycle, purposes), without building one. */
export const DEVICE_MODEL_INFO: Readonly<Record<DeviceModelName, DeviceModelInfo>> = Object.fromEntries(
  Object.entries(DEVICE_CLASSES).map(([model, cls]) => [model, cls.INFO]),
) as Record<DeviceModelName, DeviceModelInfo>;

/** Builds the firmware of `model`. */
export function createDevice(model: DeviceModelName, options: MonitorDeviceOptions): SimulatedDevice {
  return new DEVICE_CLASSES[model](options);
}
