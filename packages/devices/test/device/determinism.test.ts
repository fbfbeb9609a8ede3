/**
 * The same seed gives the same readings (issue 4): two devices of each model with the same seed and
 * the same clock produce byte-identical messages; another seed produces others.
 */
import type { Gateway } from '@medsim/gateway';
import { ContentType } from '@medsim/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_CLASSES, PATIENT_PROFILES, Patient, type DeviceModelName, type SimulatedDevice } from '../../src/index.js';
import { registryProvisioner, startGateway, tempDir } from '../helpers/gateway-harness.js';

const EPOCH = Date.UTC(2026, 10, 28, 6, 0, 0);
let gateway: Gateway;
const dir = tempDir('medsim-determinism-');
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(async () => {
  await gateway.close();
  dir.cleanup();
});

let counter = 0;
/** The plaintext payloads a device produces over `cycles` cycles of a clock it does not share with the wall. */
async function run(model: DeviceModelName, seed: number, cycles: number): Promise<string[]> {
  counter += 1;
  let now = EPOCH;
  const patient = new Patient({ profile: model === 'insulin-pump' || model === 'glucose-meter' ? PATIENT_PROFILES['type-1-diabetes'] : PATIENT_PROFILES['copd'], seed, startMs: EPOCH });
  const device: SimulatedDevice = new DEVICE_CLASSES[model]({
    deviceId: `det-${counter}`,
    dataDir: `${dir.path}/${counter}`,
    seed,
    patient,
    provisioner: registryProvisioner(gateway),
    // Offline on purpose: what is produced, not what is delivered.
    link: () => {
      throw new Error('offline');
    },
    now: () => now,
    cycleScale: 1000,
  });
  device.on('error', () => undefined);
  const out: string[] = [];
  device.on('produced', (message) => {
    if (message.contentType !== ContentType.CONTENT_TYPE_DEVICE_STATUS) out.push(`${message.channel}:${Buffer.from(message.payload).toString('hex')}`);
  });
  await device.powerOn();
  for (let i = 0; i < cycles; i += 1) {
    now += device.info.cycleMs;
    device.runCycle();
  }
  await device.powerOff();
  return out;
}

describe('determinism', () => {
  it.each(['pulse-oximeter', 'heart-rate-sensor', 'blood-pressure-monitor', 'glucose-meter', 'thermometer', 'patient-monitor', 'pacemaker'] as const)(
    '%s: the same seed gives the same readings, another seed others',
    async (model) => {
      const a = await run(model, 7, 30);
      const b = await run(model, 7, 30);
      const c = await run(model, 8, 30);
      expect(a.length).toBeGreaterThanOrEqual(30);
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
    },
  );
});
