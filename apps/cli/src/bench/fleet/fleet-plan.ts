/**
 * Which devices the fleet benchmark runs, and how they are split over threads: a list of models
 * (by default the six monitoring models in equal shares), every device over MQTT, every model's
 * cycle scaled to one report a second, and one fleet spec per thread with its own id prefixes so
 * device ids stay unique at the one gateway.
 */
import { DEVICE_MODELS, DEVICE_MODEL_INFO, groupPrefix, type DeviceModelName, type FleetGroup, type FleetSpec } from '@medsim/devices';

/** The default mix: every monitoring model (no therapy, no maintenance). */
export const MONITORING_MODELS: readonly DeviceModelName[] = [
  'pulse-oximeter',
  'heart-rate-sensor',
  'blood-pressure-monitor',
  'glucose-meter',
  'thermometer',
  'patient-monitor',
];

/** Seed of every bench fleet (the same run gives the same patients). */
export const BENCH_SEED = 4;

/** Parses `--model`: `mix` (default), or comma-separated model names. Throws on an unknown name. */
export function parseModels(value: string): readonly DeviceModelName[] {
  if (value === 'mix') return MONITORING_MODELS;
  const names = value.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(DEVICE_MODELS as readonly string[]).includes(name)) throw new RangeError(`unknown model "${name}" (one of ${DEVICE_MODELS.join(', ')}, or mix)`);
  }
  return [...new Set(names)] as DeviceModelName[];
}

/** `total` split into `parts` whole shares differing by at most one (the first ones larger). */
export function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/**
 * The spec of thread `thread` holding `devices` devices: the models in equal shares, each over
 * MQTT on the ideal network (straight to the gateway, no fault proxy), its cycle scaled so it
 * reports every `reportMs`.
 */
export function threadSpec(models: readonly DeviceModelName[], devices: number, thread: number, reportMs: number): FleetSpec {
  const groups = models
    .map((model, i): FleetGroup => {
      const count = shares(devices, models.length)[i]!;
      const base: FleetGroup = { model, count, transport: 'mqtt', cycleScale: reportMs / DEVICE_MODEL_INFO[model].cycleMs };
      // Unique across threads: spo2t0-1, spo2t1-1, ... (the prefix rule: a-z0-9, 16 at most).
      return { ...base, idPrefix: `${groupPrefix(base)}t${thread}` };
    })
    .filter((g) => g.count > 0);
  return { seed: BENCH_SEED, groups };
}
