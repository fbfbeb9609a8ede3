/**
 * Contract test: the REAL @stoprocent/noble 2.8.0, built through createNoble, over the virtual
 * radio. If an upgrade moves lib/noble.js or changes the bindings contract, this fails loudly.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import type { Characteristic, Peripheral } from '@stoprocent/noble';
import { HCI_REASON, NOBLE_VERSION, VirtualRadio, createNoble } from '../../src/index.js';
import { VENDOR_LOG, VENDOR_SERVICE, addHeartRateMonitor, connected, discover, next, poweredNoble, rejection, until } from './fixtures.js';

const require = createRequire(import.meta.url);

let radio: VirtualRadio;
afterEach(() => radio.close());

const byUuid = (characteristics: readonly Characteristic[], uuid: string): Characteristic => {
  const found = characteristics.find((characteristic) => characteristic.uuid === uuid);
  if (found === undefined) throw new Error(`no characteristic ${uuid}`);
  return found;
};

describe('noble 2.8.0 over the virtual radio', () => {
  it('is the pinned noble, reached through its deep import', () => {
    const pkg = require('@stoprocent/noble/package.json') as { version: string };
    expect(pkg.version).toBe('2.8.0');
    expect(NOBLE_VERSION).toBe(pkg.version);
    expect(require.resolve('@stoprocent/noble/lib/noble.js')).toMatch(/lib[/\\]noble\.js$/);
    radio = new VirtualRadio({ seed: 'contract' });
    const noble = createNoble(radio);
    expect(typeof noble.startScanningAsync).toBe('function');
    expect(typeof noble.connectAsync).toBe('function');
  });

  it('powers on, scans with a service filter and RSSI, connects with the negotiated MTU', async () => {
    radio = new VirtualRadio({ seed: 'contract' });
    addHeartRateMonitor(radio, { maxMtu: 185 });
    radio.addPeripheral({ address: 'c0:ff:ee:00:00:09', localName: 'Scale', serviceUuids: ['181d'], advertisingIntervalMs: 20 }).startAdvertising();
    const noble = await poweredNoble(radio);
    expect(noble.state).toBe('poweredOn');
    const seen: string[] = [];
    noble.on('discover', (peripheral: Peripheral) => seen.push(peripheral.id));
    const peripheral = await discover(noble, 'c0ffee000001', ['180d']);
    expect(seen).not.toContain('c0ffee000009');
    expect(peripheral.address).toBe('c0:ff:ee:00:00:01');
    expect(peripheral.addressType).toBe('public');
    expect(peripheral.connectable).toBe(true);
    expect(peripheral.advertisement.localName).toBe('SimPulse');
    expect(peripheral.advertisement.serviceUuids).toEqual(['180d']);
    // 0 dBm at 1 m: -40 dBm ± a few dB of seeded noise.
    expect(peripheral.rssi).toBeGreaterThan(-50);
    expect(peripheral.rssi).toBeLessThan(-30);
    const mtu = next<[number]>(peripheral, 'mtu');
    await peripheral.connectAsync();
    expect(peripheral.state).toBe('connected');
    // min(central 247, peripheral 185), set before connectAsync resolved.
    expect(peripheral.mtu).toBe(185);
    expect(await mtu).toEqual([185]);
    const rssi = await peripheral.updateRssiAsync();
    expect(rssi).toBeLessThan(-30);
  });

  it('reports a device again with fresh RSSI on every advertising event when duplicates are allowed', async () => {
    radio = new VirtualRadio({ seed: 'contract' });
    addHeartRateMonitor(radio);
    const noble = await poweredNoble(radio);
    const rssi: number[] = [];
    noble.on('discover', (peripheral: Peripheral) => rssi.push(peripheral.rssi));
    await noble.startScanningAsync(['180d'], true);
    await until(() => rssi.length >= 8, 100_000);
    await noble.stopScanningAsync();
    expect(new Set(rssi).size).toBeGreaterThan(1);
    // Without duplicates the controller reports a device once per scan.
    const once: string[] = [];
    noble.removeAllListeners('discover');
    noble.on('discover', (peripheral: Peripheral) => once.push(peripheral.id));
    radio.addPeripheral({ address: 'c0:ff:ee:00:00:0b', serviceUuids: ['180d'], advertisingIntervalMs: 20 }).startAdvertising();
    await noble.startScanningAsync(['180d'], false);
    await until(() => radio.sniffer.pdus.filter((pdu) => pdu.kind === 'ADV_IND' && pdu.from === 'c0:ff:ee:00:00:0b').length >= 5, 100_000);
    await noble.stopScanningAsync();
    expect(once.filter((id) => id === 'c0ffee00000b')).toHaveLength(1);
  });

  it('discovers services, characteristics and the CCCD; reads and writes with and without response', async () => {
    radio = new VirtualRadio({ seed: 'contract' });
    const { log } = addHeartRateMonitor(radio);
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble);
    const { services, characteristics } = await peripheral.discoverAllServicesAndCharacteristicsAsync();
    expect(services.map((service) => [service.uuid, service.name])).toEqual([
      ['180d', 'Heart Rate'],
      [VENDOR_SERVICE, null],
    ]);
    expect(characteristics.map((characteristic) => [characteristic.uuid, characteristic.properties])).toEqual([
      ['2a37', ['notify']],
      ['2a38', ['read']],
      ['2a39', ['writeWithoutResponse', 'write']],
      [VENDOR_LOG, ['read', 'indicate']],
    ]);
    const descriptors = await byUuid(characteristics, '2a37').discoverDescriptorsAsync();
    expect(descriptors.map((descriptor) => descriptor.uuid)).toEqual(['2902']);
    expect(await byUuid(characteristics, '2a38').readAsync()).toEqual(Buffer.from([0x01]));
    expect(await byUuid(characteristics, VENDOR_LOG).readAsync()).toEqual(Buffer.from('log'));
    await byUuid(characteristics, '2a39').writeAsync(Buffer.from([0x01]), false);
    expect(log.writes).toEqual([{ value: Buffer.from([0x01]), withoutResponse: false }]);
    await byUuid(characteristics, '2a39').writeAsync(Buffer.from([0x02]), true);
    await until(() => log.writes.length === 2);
    expect(log.writes[1]).toEqual({ value: Buffer.from([0x02]), withoutResponse: true });
    // Descriptor read: the CCCD is 0 until the central subscribes.
    expect(await descriptors[0]?.readValueAsync()).toEqual(Buffer.from([0, 0]));
  });

  it('subscribes to notifications and indications, receives them, and unsubscribes', async () => {
    radio = new VirtualRadio({ seed: 'contract' });
    const { peripheral: device } = addHeartRateMonitor(radio);
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble);
    const { characteristics } = await peripheral.discoverAllServicesAndCharacteristicsAsync();
    const measurement = byUuid(characteristics, '2a37');
    const deviceLog = byUuid(characteristics, VENDOR_LOG);
    const received: [string, string, boolean][] = [];
    measurement.on('data', (data: Buffer, isNotification: boolean) => received.push(['2a37', data.toString('hex'), isNotification]));
    deviceLog.on('data', (data: Buffer, isNotification: boolean) => received.push(['log', data.toString('hex'), isNotification]));
    const subscribed = next(device, 'subscribe');
    await measurement.subscribeAsync();
    const [, subscription] = await subscribed;
    expect(subscription).toEqual({ serviceUuid: '180d', characteristicUuid: '2a37', notify: true, indicate: false });
    expect(await device.notify('180d', '2a37', Buffer.from([0x06, 0x48]))).toBe(1);
    expect(await device.notify('180d', '2a37', Buffer.from([0x06, 0x49]))).toBe(1);
    await deviceLog.subscribeAsync();
    // An indication resolves on the central's Handle Value Confirmation.
    expect(await device.indicate(VENDOR_SERVICE, VENDOR_LOG, Buffer.from('boot'))).toBe(1);
    await until(() => received.length === 3);
    expect(received).toEqual([
      ['2a37', '0648', true],
      ['2a37', '0649', true],
      ['log', Buffer.from('boot').toString('hex'), true],
    ]);
    const unsubscribed = next(device, 'unsubscribe');
    await measurement.unsubscribeAsync();
    await unsubscribed;
    expect(await device.notify('180d', '2a37', Buffer.from([0x06, 0x50]))).toBe(0);
    expect(received).toHaveLength(3);
    // The sniffer saw the confirmation (0x1E) go back.
    expect(radio.sniffer.pdus.some((pdu) => pdu.att?.op === 'handle-value-cfm')).toBe(true);
  });

  it('disconnects with HCI reasons: 0x16 locally, 0x13 at the peripheral; 0x13 at the central when the peripheral ends it', async () => {
    radio = new VirtualRadio({ seed: 'contract' });
    const { peripheral: device } = addHeartRateMonitor(radio);
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble);
    const centralSide = next<[number]>(peripheral, 'disconnect');
    const peripheralSide = next<[unknown, number]>(device, 'disconnect');
    await peripheral.disconnectAsync();
    expect(await centralSide).toEqual([HCI_REASON.LOCAL_HOST_TERMINATED]);
    expect((await peripheralSide)[1]).toBe(HCI_REASON.REMOTE_USER_TERMINATED);
    expect(radio.sniffer.pdus.filter((pdu) => pdu.kind === 'LL_TERMINATE_IND')).toHaveLength(1);

    await peripheral.connectAsync();
    const again = next<[number]>(peripheral, 'disconnect');
    await device.disconnect();
    expect(await again).toEqual([HCI_REASON.REMOTE_USER_TERMINATED]);
    expect(device.connections).toHaveLength(0);
  });

  it('sees a peripheral power-off as a supervision timeout (0x08); pending calls reject with Disconnected 8', async () => {
    radio = new VirtualRadio({ seed: 'contract' });
    let release: () => void = () => undefined;
    const device = radio.addPeripheral({
      address: 'c0:ff:ee:00:00:02',
      serviceUuids: ['180d'],
      advertisingIntervalMs: 20,
      services: [
        {
          uuid: '180d',
          characteristics: [{ uuid: '2a38', properties: ['read'], onRead: () => new Promise<Uint8Array>((resolve) => (release = () => resolve(Buffer.from([1])))) }],
        },
      ],
    });
    device.startAdvertising();
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble, 'c0ffee000002');
    const { characteristics } = await peripheral.discoverAllServicesAndCharacteristicsAsync();
    const pending = byUuid(characteristics, '2a38').readAsync();
    await until(() => radio.sniffer.pdus.some((pdu) => pdu.att?.op === 'read-req'));
    const reason = next<[number]>(peripheral, 'disconnect');
    device.powerOff();
    expect(await reason).toEqual([HCI_REASON.CONNECTION_TIMEOUT]);
    expect((await rejection(pending)).message).toBe('Disconnected 8');
    release();
    // No LL_TERMINATE_IND: the peripheral vanished.
    expect(radio.sniffer.pdus.some((pdu) => pdu.kind === 'LL_TERMINATE_IND')).toBe(false);
    // It is gone from the air: a new connection fails to be established.
    const failure = await rejection(peripheral.connectAsync());
    expect(failure).toMatchObject({ code: 'ERR_BLE_CONNECTION_FAILED', hciReason: HCI_REASON.CONNECTION_FAILED_TO_BE_ESTABLISHED });
  });

  it('reconnects after a dropped link and reads again', async () => {
    radio = new VirtualRadio({ seed: 'contract' });
    const { peripheral: device } = addHeartRateMonitor(radio);
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble);
    const { characteristics } = await peripheral.discoverAllServicesAndCharacteristicsAsync();
    const reasons = Promise.all([next<[number]>(peripheral, 'disconnect'), next<[unknown, number]>(device, 'disconnect')]);
    radio.injectFault('c0:ff:ee:00:00:01', { kind: 'drop-link' });
    const [[central], [, local]] = await reasons;
    expect([central, local]).toEqual([HCI_REASON.CONNECTION_TIMEOUT, HCI_REASON.CONNECTION_TIMEOUT]);
    await peripheral.connectAsync();
    expect(peripheral.state).toBe('connected');
    expect(await byUuid(characteristics, '2a38').readAsync()).toEqual(Buffer.from([0x01]));
    expect(device.connections).toHaveLength(1);
  });

  it('serves two centrals: a single-connection device refuses the second (0x3E), a two-connection one notifies both', async () => {
    radio = new VirtualRadio({ seed: 'contract' });
    addHeartRateMonitor(radio);
    const shared = radio.addPeripheral({
      address: 'c0:ff:ee:00:00:03',
      serviceUuids: ['180d'],
      advertisingIntervalMs: 20,
      maxConnections: 2,
      services: [{ uuid: '180d', characteristics: [{ uuid: '2a37', properties: ['notify'] }] }],
    });
    shared.startAdvertising();
    const first = await poweredNoble(radio);
    const second = await poweredNoble(radio);
    const a = await discover(first, 'c0ffee000001');
    const b = await discover(second, 'c0ffee000001');
    await a.connectAsync();
    expect(await rejection(b.connectAsync())).toMatchObject({ code: 'ERR_BLE_CONNECTION_FAILED', hciReason: 0x3e });

    const values: string[] = [];
    for (const noble of [first, second]) {
      const peripheral = await connected(noble, 'c0ffee000003');
      const [measurement] = (await peripheral.discoverSomeServicesAndCharacteristicsAsync(['180d'], ['2a37'])).characteristics;
      measurement?.on('data', (data: Buffer) => values.push(data.toString('hex')));
      await measurement?.subscribeAsync();
    }
    expect(shared.connections.map((connection) => connection.centralAddress)).toHaveLength(2);
    expect(new Set(shared.connections.map((connection) => connection.centralAddress)).size).toBe(2);
    expect(await shared.notify('180d', '2a37', Buffer.from([0x06, 0x40]))).toBe(2);
    await until(() => values.length === 2);
    expect(values).toEqual(['0640', '0640']);
  });
});
