/**
 * Bluetooth SIG Assigned Numbers (§3.4 GATT Services, §3.8 GATT Characteristics, §3.7
 * Descriptors) of the services medsim's simulated devices expose. UUIDs are written the way noble
 * reports them: 16-bit UUIDs as 4 lower-case hex digits, 128-bit UUIDs as 32 without dashes.
 */
import { outOfRange } from '../internal/gatt-value.js';

/** One assigned 16-bit UUID with its name in the Assigned Numbers document. */
export interface AssignedNumber {
  readonly uuid: string;
  readonly name: string;
}

/** The GATT services medsim implements. */
export const GATT_SERVICES = {
  glucose: { uuid: '1808', name: 'Glucose' },
  healthThermometer: { uuid: '1809', name: 'Health Thermometer' },
  deviceInformation: { uuid: '180a', name: 'Device Information' },
  heartRate: { uuid: '180d', name: 'Heart Rate' },
  battery: { uuid: '180f', name: 'Battery' },
  bloodPressure: { uuid: '1810', name: 'Blood Pressure' },
  pulseOximeter: { uuid: '1822', name: 'Pulse Oximeter' },
} as const satisfies Record<string, AssignedNumber>;

/** The GATT characteristics of those services. */
export const GATT_CHARACTERISTICS = {
  dateTime: { uuid: '2a08', name: 'Date Time' },
  glucoseMeasurement: { uuid: '2a18', name: 'Glucose Measurement' },
  batteryLevel: { uuid: '2a19', name: 'Battery Level' },
  temperatureMeasurement: { uuid: '2a1c', name: 'Temperature Measurement' },
  temperatureType: { uuid: '2a1d', name: 'Temperature Type' },
  intermediateTemperature: { uuid: '2a1e', name: 'Intermediate Temperature' },
  measurementInterval: { uuid: '2a21', name: 'Measurement Interval' },
  systemId: { uuid: '2a23', name: 'System ID' },
  modelNumberString: { uuid: '2a24', name: 'Model Number String' },
  serialNumberString: { uuid: '2a25', name: 'Serial Number String' },
  firmwareRevisionString: { uuid: '2a26', name: 'Firmware Revision String' },
  hardwareRevisionString: { uuid: '2a27', name: 'Hardware Revision String' },
  softwareRevisionString: { uuid: '2a28', name: 'Software Revision String' },
  manufacturerNameString: { uuid: '2a29', name: 'Manufacturer Name String' },
  regulatoryCertificationDataList: { uuid: '2a2a', name: 'IEEE 11073-20601 Regulatory Certification Data List' },
  glucoseMeasurementContext: { uuid: '2a34', name: 'Glucose Measurement Context' },
  bloodPressureMeasurement: { uuid: '2a35', name: 'Blood Pressure Measurement' },
  intermediateCuffPressure: { uuid: '2a36', name: 'Intermediate Cuff Pressure' },
  heartRateMeasurement: { uuid: '2a37', name: 'Heart Rate Measurement' },
  bodySensorLocation: { uuid: '2a38', name: 'Body Sensor Location' },
  heartRateControlPoint: { uuid: '2a39', name: 'Heart Rate Control Point' },
  bloodPressureFeature: { uuid: '2a49', name: 'Blood Pressure Feature' },
  pnpId: { uuid: '2a50', name: 'PnP ID' },
  glucoseFeature: { uuid: '2a51', name: 'Glucose Feature' },
  recordAccessControlPoint: { uuid: '2a52', name: 'Record Access Control Point' },
  plxSpotCheckMeasurement: { uuid: '2a5e', name: 'PLX Spot-Check Measurement' },
  plxContinuousMeasurement: { uuid: '2a5f', name: 'PLX Continuous Measurement' },
  plxFeatures: { uuid: '2a60', name: 'PLX Features' },
} as const satisfies Record<string, AssignedNumber>;

/** The descriptors those characteristics carry. */
export const GATT_DESCRIPTORS = {
  clientCharacteristicConfiguration: { uuid: '2902', name: 'Client Characteristic Configuration' },
} as const satisfies Record<string, AssignedNumber>;

/** The characteristics each service holds, mandatory and optional, as medsim implements them. */
export const GATT_SERVICE_CHARACTERISTICS = {
  glucose: ['glucoseMeasurement', 'glucoseMeasurementContext', 'glucoseFeature', 'recordAccessControlPoint'],
  healthThermometer: ['temperatureMeasurement', 'temperatureType', 'intermediateTemperature', 'measurementInterval'],
  deviceInformation: [
    'manufacturerNameString',
    'modelNumberString',
    'serialNumberString',
    'hardwareRevisionString',
    'firmwareRevisionString',
    'softwareRevisionString',
    'systemId',
    'regulatoryCertificationDataList',
    'pnpId',
  ],
  heartRate: ['heartRateMeasurement', 'bodySensorLocation', 'heartRateControlPoint'],
  battery: ['batteryLevel'],
  bloodPressure: ['bloodPressureMeasurement', 'intermediateCuffPressure', 'bloodPressureFeature'],
  pulseOximeter: ['plxSpotCheckMeasurement', 'plxContinuousMeasurement', 'plxFeatures'],
} as const satisfies Record<GattServiceName, readonly GattCharacteristicName[]>;

/** A service key of GATT_SERVICES. */
export type GattServiceName = keyof typeof GATT_SERVICES;

/** A characteristic key of GATT_CHARACTERISTICS. */
export type GattCharacteristicName = keyof typeof GATT_CHARACTERISTICS;

/** The Bluetooth Base UUID's fixed part (Bluetooth Core 5.4 Vol 3 Part B §2.5.1). */
const BASE_UUID_SUFFIX = '00001000800000805f9b34fb';

/**
 * A UUID in noble's form: lower case, no dashes, and a 16-bit SIG UUID written in the Base UUID
 * form (0000xxxx-0000-1000-8000-00805F9B34FB) shortened to its 4 digits. Undefined when the text
 * is not a 16- or 128-bit UUID.
 */
export function normalizeUuid(uuid: string): string | undefined {
  const hex = uuid.toLowerCase().replace(/-/gu, '');
  if (/^[0-9a-f]{4}$/u.test(hex)) return hex;
  if (!/^[0-9a-f]{32}$/u.test(hex)) return undefined;
  return hex.startsWith('0000') && hex.endsWith(BASE_UUID_SUFFIX) ? hex.slice(4, 8) : hex;
}

/** The 128-bit form of a 16-bit SIG UUID (Bluetooth Core 5.4 Vol 3 Part B §2.5.1). */
export function uuid16To128(uuid16: string): string {
  if (!/^[0-9a-f]{4}$/u.test(uuid16)) outOfRange('UUID', 'uuid16', 'must be 4 lower-case hex digits');
  return `0000${uuid16}${BASE_UUID_SUFFIX}`;
}

const namesByUuid = new Map<string, string>(
  [...Object.values(GATT_SERVICES), ...Object.values(GATT_CHARACTERISTICS), ...Object.values(GATT_DESCRIPTORS)].map((entry) => [entry.uuid, entry.name]),
);

/** The Assigned Numbers name of a service, characteristic or descriptor UUID medsim knows. */
export function assignedName(uuid: string): string | undefined {
  const normalized = normalizeUuid(uuid);
  return normalized === undefined ? undefined : namesByUuid.get(normalized);
}
