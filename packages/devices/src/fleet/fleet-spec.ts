/**
 * The fleet spec: a JSON document saying how many devices of each model run, over which transport
 * and network profile, measuring which patient profile, from which seed. The same spec and seed give
 * the same fleet (device ids, patients, readings). Validated field by field with typed errors, since
 * test harnesses write these files by hand.
 */
import { DEVICE_MODELS, type DeviceModelName } from '../device/device-model.js';
import { DEVICE_MODEL_INFO } from './device-factory.js';
import { FleetSpecError } from '../errors.js';
import type { LinkTransport } from '../link/device-link.js';

/** One group of identical devices. */
export interface FleetGroup {
  readonly model: DeviceModelName;
  readonly count: number;
  /** Default: the model's first transport. */
  readonly transport?: LinkTransport;
  /** A key of PATIENT_PROFILES (default healthy-adult, type-1-diabetes for pumps and meters, bradycardia-pacemaker for pacemakers). */
  readonly patientProfile?: string;
  /** A key of NETWORK_PROFILES for MQTT devices (default ideal). */
  readonly network?: string;
  /** Device-id prefix (default: the model's short name). */
  readonly idPrefix?: string;
  /** Multiplies the model's cycle: 0.1 runs it ten times faster. */
  readonly cycleScale?: number;
}

/** A fleet spec. */
export interface FleetSpec {
  readonly seed: number;
  readonly groups: readonly FleetGroup[];
}

/** Most devices one spec may declare (one process holds 1,000; workers take it to 10,000). */
export const FLEET_MAX_DEVICES = 10_000;

/** Transports each model supports; the first is its default (each model's DeviceModelInfo). */
export const MODEL_TRANSPORTS: Readonly<Record<DeviceModelName, readonly LinkTransport[]>> = Object.fromEntries(
  Object.entries(DEVICE_MODEL_INFO).map(([model, info]) => [model, info.transports]),
) as Record<DeviceModelName, readonly LinkTransport[]>;

/** The transport a group uses: its own, or its model's default. */
export const groupTransport = (group: FleetGroup): LinkTransport => group.transport ?? MODEL_TRANSPORTS[group.model][0]!;

const SHORT: Record<DeviceModelName, string> = {
  'pulse-oximeter': 'spo2',
  'heart-rate-sensor': 'hr',
  'blood-pressure-monitor': 'bp',
  'glucose-meter': 'glu',
  thermometer: 'temp',
  'patient-monitor': 'pm',
  'insulin-pump': 'pump',
  pacemaker: 'pace',
  ultrasound: 'us',
};

/** The device-id prefix of a group. */
export const groupPrefix = (group: FleetGroup): string => group.idPrefix ?? SHORT[group.model];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates an untrusted value as a FleetSpec; throws FleetSpecError naming the field. */
export function parseFleetSpec(value: unknown, known: { patientProfiles: readonly string[]; networks: readonly string[] }): FleetSpec {
  const fail = (field: string, reason: string): never => {
    throw new FleetSpecError(`fleet spec: ${field} ${reason}`, { details: { field } });
  };
  if (!isObject(value)) return fail('(root)', 'is not an object');
  for (const key of Object.keys(value)) if (!['seed', 'groups', '$schema', 'description'].includes(key)) fail(key, 'is not a fleet spec field');
  const seed = value['seed'];
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0 || seed > 0xffff_ffff) fail('seed', 'must be an integer 0..4294967295');
  const groups = value['groups'];
  if (!Array.isArray(groups) || groups.length === 0 || groups.length > 100) return fail('groups', 'must be a list of 1 to 100 groups');
  let total = 0;
  const prefixes = new Set<string>();
  const parsed = groups.map((g: unknown, i): FleetGroup => {
    const at = `groups[${i}]`;
    if (!isObject(g)) return fail(at, 'is not an object');
    for (const key of Object.keys(g)) {
      if (!['model', 'count', 'transport', 'patientProfile', 'network', 'idPrefix', 'cycleScale'].includes(key)) fail(`${at}.${key}`, 'is not a group field');
    }
    const model = g['model'];
    if (typeof model !== 'string' || !(DEVICE_MODELS as readonly string[]).includes(model)) fail(`${at}.model`, `must be one of ${DEVICE_MODELS.join(', ')}`);
    const count = g['count'];
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) fail(`${at}.count`, 'must be a positive integer');
    total += count as number;
    const transport = g['transport'];
    if (transport !== undefined && transport !== 'ble' && transport !== 'mqtt') fail(`${at}.transport`, 'must be ble or mqtt');
    const profile = g['patientProfile'];
    if (profile !== undefined && (typeof profile !== 'string' || !known.patientProfiles.includes(profile))) fail(`${at}.patientProfile`, `must be one of ${known.patientProfiles.join(', ')}`);
    const network = g['network'];
    if (network !== undefined && (typeof network !== 'string' || !known.networks.includes(network))) fail(`${at}.network`, `must be one of ${known.networks.join(', ')}`);
    const supported = MODEL_TRANSPORTS[model as DeviceModelName];
    if (transport !== undefined && !supported.includes(transport as LinkTransport)) fail(`${at}.transport`, `${String(model)} supports ${supported.join(' and ')} only`);
    if (network !== undefined && (transport ?? supported[0]) === 'ble') fail(`${at}.network`, 'applies to MQTT devices only (BLE devices are in radio range of the gateway)');
    const idPrefix = g['idPrefix'];
    if (idPrefix !== undefined && (typeof idPrefix !== 'string' || !/^[a-z][a-z0-9]{0,15}$/.test(idPrefix))) fail(`${at}.idPrefix`, 'must be 1 to 16 lower-case letters and digits, starting with a letter');
    const cycleScale = g['cycleScale'];
    if (cycleScale !== undefined && (typeof cycleScale !== 'number' || !(cycleScale >= 0.001 && cycleScale <= 1000))) fail(`${at}.cycleScale`, 'must be a number from 0.001 to 1000');
    const group = g as unknown as FleetGroup;
    const prefix = groupPrefix(group);
    if (prefixes.has(prefix)) fail(`${at}.idPrefix`, `repeats the prefix "${prefix}" of an earlier group (set idPrefix)`);
    prefixes.add(prefix);
    return group;
  });
  if (total > FLEET_MAX_DEVICES) fail('groups', `declare ${total} devices; the limit is ${FLEET_MAX_DEVICES}`);
  return { seed: seed as number, groups: parsed };
}

/** The device ids a spec gives, in order (group prefix, then a 1-based index). */
export function fleetDeviceIds(spec: FleetSpec): { readonly deviceId: string; readonly group: FleetGroup; readonly index: number }[] {
  return spec.groups.flatMap((group) => Array.from({ length: group.count }, (_, i) => ({ deviceId: `${groupPrefix(group)}-${i + 1}`, group, index: i })));
}
