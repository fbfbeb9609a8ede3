/**
 * The Bluetooth SIG services each BLE model serves beside the medsim envelope service, byte-exact
 * through @medsim/ble-radio's codecs: Device Information and Battery on every device, plus the
 * model's health service. Measurement characteristics require an encrypted link (ADR 0005): a third
 * party central (a phone app) must pair first; the gateway does not use them, it takes the same
 * values end-to-end encrypted from the envelope service.
 */
import {
  GATT_CHARACTERISTICS as C,
  GATT_SERVICES as S,
  dateTimeFromDate,
  encodeBatteryLevel,
  encodeBloodPressureFeature,
  encodeBloodPressureMeasurement,
  encodeBodySensorLocation,
  encodeDeviceInformationString,
  encodeGlucoseFeature,
  encodeGlucoseMeasurement,
  encodeHeartRateMeasurement,
  encodePlxContinuousMeasurement,
  encodePlxFeatures,
  encodeRacpResponse,
  encodeTemperatureMeasurement,
  encodeTemperatureType,
  runRacpProcedure,
  type GattServiceDefinition,
} from '@medsim/ble-radio';
import type { SimulatedDevice } from '../device/simulated-device.js';
import { BloodPressureMonitor } from '../monitor/blood-pressure-monitor.js';
import { GlucoseMeter, type GlucoseRecord } from '../monitor/glucose-meter.js';
import { HeartRateSensor } from '../monitor/heart-rate-sensor.js';
import { PulseOximeter } from '../monitor/pulse-oximeter.js';
import { Thermometer } from '../monitor/thermometer.js';

/** A value to push on a standard characteristic after a cycle. */
export interface StandardNotification {
  readonly serviceUuid: string;
  readonly characteristicUuid: string;
  readonly value: Uint8Array;
  readonly indicate?: boolean;
}

/** Sends a value to subscribed centrals (the BLE link's notifyStandard). */
export type StandardNotifier = (notification: StandardNotification) => Promise<void>;

const text = (value: string): Uint8Array => encodeDeviceInformationString(value);

/** mg/dL to the GLS kg/L SFLOAT at the meter's precision (1 mg/dL = 1e-5 kg/L). */
const kgPerL = (mgDl: number): { value: number; exponent: number } => ({ value: mgDl / 100_000, exponent: -5 });

function glucoseRecord(record: GlucoseRecord): Uint8Array {
  return encodeGlucoseMeasurement({
    sequenceNumber: record.sequence,
    baseTime: dateTimeFromDate(new Date(record.atMs)),
    concentration: { value: kgPerL(record.mgDl), unit: 'kg/L', type: 'capillaryWholeBlood', sampleLocation: 'finger' },
  });
}

/** The standard services of `device` (Device Information and Battery for every model). */
export function standardServices(device: SimulatedDevice, notify: StandardNotifier): GattServiceDefinition[] {
  const info = device.info;
  const services: GattServiceDefinition[] = [
    {
      uuid: S.deviceInformation.uuid,
      characteristics: [
        { uuid: C.manufacturerNameString.uuid, properties: ['read'], value: text(info.manufacturer) },
        { uuid: C.modelNumberString.uuid, properties: ['read'], value: text(info.model) },
        { uuid: C.serialNumberString.uuid, properties: ['read'], value: text(device.deviceId) },
        { uuid: C.firmwareRevisionString.uuid, properties: ['read'], value: text(info.firmwareVersion) },
      ],
    },
    { uuid: S.battery.uuid, characteristics: [{ uuid: C.batteryLevel.uuid, properties: ['read', 'notify'], onRead: () => encodeBatteryLevel(Math.round(device.battery.percent)) }] },
  ];
  if (device instanceof PulseOximeter) {
    services.push({
      uuid: S.pulseOximeter.uuid,
      characteristics: [
        { uuid: C.plxContinuousMeasurement.uuid, properties: ['notify'], security: 'encrypted' },
        { uuid: C.plxFeatures.uuid, properties: ['read'], value: encodePlxFeatures({ supported: {} }) },
      ],
    });
  } else if (device instanceof HeartRateSensor) {
    services.push({
      uuid: S.heartRate.uuid,
      characteristics: [
        { uuid: C.heartRateMeasurement.uuid, properties: ['notify'], security: 'encrypted' },
        { uuid: C.bodySensorLocation.uuid, properties: ['read'], value: encodeBodySensorLocation('chest') },
      ],
    });
  } else if (device instanceof BloodPressureMonitor) {
    services.push({
      uuid: S.bloodPressure.uuid,
      characteristics: [
        { uuid: C.bloodPressureMeasurement.uuid, properties: ['indicate'], security: 'encrypted' },
        { uuid: C.bloodPressureFeature.uuid, properties: ['read'], value: encodeBloodPressureFeature({}) },
      ],
    });
  } else if (device instanceof Thermometer) {
    services.push({
      uuid: S.healthThermometer.uuid,
      characteristics: [
        { uuid: C.temperatureMeasurement.uuid, properties: ['indicate'], security: 'encrypted' },
        { uuid: C.temperatureType.uuid, properties: ['read'], value: encodeTemperatureType('body') },
      ],
    });
  } else if (device instanceof GlucoseMeter) {
    const meter = device;
    services.push({
      uuid: S.glucose.uuid,
      characteristics: [
        { uuid: C.glucoseMeasurement.uuid, properties: ['notify'], security: 'encrypted' },
        { uuid: C.glucoseFeature.uuid, properties: ['read'], value: encodeGlucoseFeature({}) },
        {
          // GLS 1.0 §3.3.3: a write starts a procedure; records go as notifications, then the response as an indication.
          uuid: C.recordAccessControlPoint.uuid,
          properties: ['write', 'indicate'],
          security: 'encrypted',
          onWrite: (_connection, value) => {
            const result = runRacpProcedure(meter.records.map((r) => r.sequence), value);
            void (async () => {
              for (const sequence of result.report) {
                const record = meter.records.find((r) => r.sequence === sequence);
                if (record !== undefined) await notify({ serviceUuid: S.glucose.uuid, characteristicUuid: C.glucoseMeasurement.uuid, value: glucoseRecord(record) });
              }
              if (result.response !== undefined) await notify({ serviceUuid: S.glucose.uuid, characteristicUuid: C.recordAccessControlPoint.uuid, value: encodeRacpResponse(result.response), indicate: true });
            })().catch(() => undefined);
          },
        },
      ],
    });
  }
  return services;
}

/** The standard values a model pushes after a cycle (the newest measurement). */
export function standardNotifications(device: SimulatedDevice): StandardNotification[] {
  if (device instanceof PulseOximeter && device.last.atMs > 0) {
    return [{ serviceUuid: S.pulseOximeter.uuid, characteristicUuid: C.plxContinuousMeasurement.uuid, value: encodePlxContinuousMeasurement({ normal: { spo2: device.last.spo2, pulseRate: device.last.pulseRate } }) }];
  }
  if (device instanceof HeartRateSensor && device.last.atMs > 0) {
    const rr = device.last.rrIntervalsMs.map((ms) => Math.round((ms * 1024) / 1000)).slice(0, 8);
    return [{ serviceUuid: S.heartRate.uuid, characteristicUuid: C.heartRateMeasurement.uuid, value: encodeHeartRateMeasurement({ heartRate: device.last.heartRate, sensorContact: 'detected', rrIntervals: rr }) }];
  }
  if (device instanceof BloodPressureMonitor && device.last.atMs > 0) {
    const m = device.last;
    return [
      {
        serviceUuid: S.bloodPressure.uuid,
        characteristicUuid: C.bloodPressureMeasurement.uuid,
        indicate: true,
        value: encodeBloodPressureMeasurement({ unit: 'mmHg', systolic: m.systolic, diastolic: m.diastolic, meanArterialPressure: m.mean, pulseRate: m.pulseRate, timestamp: dateTimeFromDate(new Date(m.atMs)) }),
      },
    ];
  }
  if (device instanceof Thermometer && device.last.atMs > 0) {
    return [
      {
        serviceUuid: S.healthThermometer.uuid,
        characteristicUuid: C.temperatureMeasurement.uuid,
        indicate: true,
        value: encodeTemperatureMeasurement({ value: { value: device.last.temperatureC, exponent: -1 }, unit: 'celsius', temperatureType: 'body' }),
      },
    ];
  }
  if (device instanceof GlucoseMeter && device.records.length > 0) {
    return [{ serviceUuid: S.glucose.uuid, characteristicUuid: C.glucoseMeasurement.uuid, value: glucoseRecord(device.records.at(-1)!) }];
  }
  return [];
}
