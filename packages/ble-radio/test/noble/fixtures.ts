/**
 * Shared fixtures of the noble tests: a heart-rate-like peripheral on a seeded radio, discovery and
 * event helpers that wait on events, never on wall-clock sleeps.
 */
import type { Noble, Peripheral } from '@stoprocent/noble';
import { type PeripheralDefinition, type RadioPeripheral, type VirtualRadio, createNoble } from '../../src/index.js';

/** A 128-bit vendor service with an indicating characteristic (a device log, say). */
export const VENDOR_SERVICE = '6e40000164b84f3f9d6e3c7b1a2f0e01';
export const VENDOR_LOG = '6e40000264b84f3f9d6e3c7b1a2f0e01';

/** What the fixture peripheral recorded. */
export interface MonitorLog {
  readonly writes: { readonly value: Buffer; readonly withoutResponse: boolean }[];
}

/** A heart rate monitor: 180d with 2a37 notify, 2a38 read, 2a39 write + write without response. */
export function addHeartRateMonitor(radio: VirtualRadio, overrides: Partial<PeripheralDefinition> = {}): { peripheral: RadioPeripheral; log: MonitorLog } {
  const log: MonitorLog = { writes: [] };
  const peripheral = radio.addPeripheral({
    address: 'c0:ff:ee:00:00:01',
    localName: 'SimPulse',
    serviceUuids: ['180d'],
    advertisingIntervalMs: 20,
    services: [
      {
        uuid: '180d',
        characteristics: [
          { uuid: '2a37', properties: ['notify'] },
          { uuid: '2a38', properties: ['read'], value: Buffer.from([0x01]) },
          {
            uuid: '2a39',
            properties: ['write', 'writeWithoutResponse'],
            onWrite: (_connection, value, withoutResponse) => {
              log.writes.push({ value, withoutResponse });
            },
          },
        ],
      },
      { uuid: VENDOR_SERVICE, characteristics: [{ uuid: VENDOR_LOG, properties: ['read', 'indicate'], value: Buffer.from('log') }] },
    ],
    ...overrides,
  });
  peripheral.startAdvertising();
  return { peripheral, log };
}

/** A powered-on noble central on the radio. */
export async function poweredNoble(radio: VirtualRadio, options: Parameters<typeof createNoble>[1] = {}): Promise<Noble> {
  const noble = createNoble(radio, options);
  await noble.waitForPoweredOnAsync(1_000);
  return noble;
}

/** Scans (service filter) until `id` is discovered, then stops scanning. */
export async function discover(noble: Noble, id: string, serviceUuids: string[] = []): Promise<Peripheral> {
  const found = new Promise<Peripheral>((resolve) => {
    const listener = (peripheral: Peripheral): void => {
      if (peripheral.id !== id) return;
      noble.removeListener('discover', listener);
      resolve(peripheral);
    };
    noble.on('discover', listener);
  });
  await noble.startScanningAsync(serviceUuids, false);
  const peripheral = await found;
  await noble.stopScanningAsync();
  return peripheral;
}

/** Discovers and connects. */
export async function connected(noble: Noble, id = 'c0ffee000001'): Promise<Peripheral> {
  const peripheral = await discover(noble, id);
  await peripheral.connectAsync();
  return peripheral;
}

/** The next emission of `event` on `emitter`, as the argument list. */
export function next<T extends unknown[]>(emitter: { once(event: string, listener: (...args: never[]) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => {
    emitter.once(event, (...args: never[]) => resolve(args as unknown as T));
  });
}

/**
 * Lets the event loop turn until `condition` holds: at least `turns` times and, since the radio's
 * advertising runs on real timers (20-30 ms apart), for at least 10 s of wall clock before giving up
 * (a fast loop turns 100,000 times in about 100 ms, fewer than eight advertising events).
 */
export async function until(condition: () => boolean, turns = 1_000): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (let i = 0; (i < turns || Date.now() < deadline) && !condition(); i += 1) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (!condition()) throw new Error('condition not met');
}

/** The rejection of a promise (fails if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; attErrorCode?: number; smpReason?: number; hciReason?: number }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
