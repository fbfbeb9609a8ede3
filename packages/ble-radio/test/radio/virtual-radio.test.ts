/**
 * The radio without noble, on a controlled clock (vitest fake timers): seeded RSSI, advertising
 * on the air, connection timing, the connection limit, and the peripheral's notify/indicate rules.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttValueTooLongError, InvalidRadioDefinitionError, PeripheralPoweredOffError, type PeripheralDefinition, UnknownAttributeError, VirtualRadio } from '../../src/index.js';
import { GattClient } from '../../src/radio/gatt-client.js';
import type { CentralLink } from '../../src/radio/virtual-radio.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const MONITOR: PeripheralDefinition = {
  address: 'c0:ff:ee:00:00:01',
  localName: 'SimPulse',
  serviceUuids: ['180d'],
  services: [
    {
      uuid: '180d',
      characteristics: [
        { uuid: '2a37', properties: ['notify'] },
        { uuid: '2a38', properties: ['read'], value: Buffer.from([1]) },
      ],
    },
    { uuid: '1808', characteristics: [{ uuid: '2a18', properties: ['indicate'] }] },
  ],
};

async function rssiSamples(seed: string): Promise<number[]> {
  const radio = new VirtualRadio({ seed });
  radio.addPeripheral({ address: 'c0:ff:ee:00:00:01', distanceM: 3 }).startAdvertising();
  const samples: number[] = [];
  radio.attachCentral({ advertisement: (report) => samples.push(report.rssi) }).startScanning([]);
  await vi.advanceTimersByTimeAsync(3_000);
  radio.close();
  return samples;
}

/** A central port connected to c0ffee000001 with a GATT client on the link. */
async function connect(radio: VirtualRadio): Promise<{ link: CentralLink; client: GattClient }> {
  const port = radio.attachCentral({ advertisement: () => undefined });
  const pending = port.connect('c0ffee000001');
  await vi.advanceTimersByTimeAsync(100);
  const link = await pending;
  const client = new GattClient({
    get mtu() {
      return link.mtu;
    },
    send: (pdu) => link.send(pdu),
    post: (pdu) => link.post(pdu),
    timedOut: () => link.disconnect(),
  });
  link.on('att', (pdu) => client.receive(pdu));
  return { link, client };
}

/** Runs `promise` to completion on the fake clock. */
async function settle<T>(promise: Promise<T>, ms = 1_000): Promise<T> {
  await vi.advanceTimersByTimeAsync(ms);
  return promise;
}

describe('virtual radio', () => {
  it('draws RSSI from the seeded log-distance model: same seed, same samples', async () => {
    const first = await rssiSamples('rssi');
    const again = await rssiSamples('rssi');
    const other = await rssiSamples('other');
    expect(first.length).toBeGreaterThanOrEqual(25);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    // 0 dBm − 40.05 dB − 20·log10(3) = −49.6 dBm; σ = 2 dB.
    const mean = first.reduce((sum, value) => sum + value, 0) / first.length;
    expect(mean).toBeGreaterThan(-51.5);
    expect(mean).toBeLessThan(-47.5);
    expect(new Set(first).size).toBeGreaterThanOrEqual(3);
  });

  it('advertises ADV_IND with its AD structures every interval plus 0–10 ms, answered by SCAN_REQ/SCAN_RSP', async () => {
    const radio = new VirtualRadio({ seed: 'adv' });
    radio.addPeripheral({ ...MONITOR, advertiseTxPower: true, txPowerDbm: -4 }).startAdvertising();
    // Not scanned, not on the air (a model economy).
    await vi.advanceTimersByTimeAsync(500);
    expect(radio.sniffer.pdus).toHaveLength(0);
    radio.attachCentral({ advertisement: () => undefined }).startScanning(['180d']);
    await vi.advanceTimersByTimeAsync(1_000);
    radio.close();
    const adv = radio.sniffer.pdus.filter((pdu) => pdu.kind === 'ADV_IND');
    expect(adv.length).toBeGreaterThanOrEqual(9);
    // Access address | header (ADV_IND, 6 + 10 octets) | AdvA | flags 06 | 16-bit UUIDs 180D | TX power −4 dBm.
    expect(adv[0]?.air.toString('hex')).toBe('d6be898e' + '0010' + '010000eeffc0' + '020106' + '03030d18' + '020afc');
    const gaps = adv.slice(1).map((pdu, i) => pdu.atMs - (adv[i]?.atMs ?? 0));
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(100);
      expect(gap).toBeLessThanOrEqual(110);
    }
    const response = radio.sniffer.pdus.find((pdu) => pdu.kind === 'SCAN_RSP');
    expect(response?.air.subarray(12).toString()).toContain('SimPulse');
    expect(radio.sniffer.pdus.filter((pdu) => pdu.kind === 'SCAN_REQ')).toHaveLength(adv.length);
  });

  it('advertises a non-connectable device as ADV_SCAN_IND (scan response) or ADV_NONCONN_IND (none), and refuses connections', async () => {
    const radio = new VirtualRadio({ seed: 'adv' });
    radio.addPeripheral({ address: 'c0:ff:ee:00:00:02', connectable: false, localName: 'Beacon' }).startAdvertising();
    radio.addPeripheral({ address: 'c0:ff:ee:00:00:03', connectable: false, serviceUuids: ['180f'] }).startAdvertising();
    const reports: [string, boolean, boolean][] = [];
    const port = radio.attachCentral({ advertisement: (report) => reports.push([report.peripheralId, report.connectable, report.scannable]) });
    port.startScanning([]);
    await vi.advanceTimersByTimeAsync(250);
    expect(new Set(radio.sniffer.pdus.map((pdu) => `${pdu.from}:${pdu.kind}`))).toEqual(
      new Set(['c0:ff:ee:00:00:02:ADV_SCAN_IND', 'c0:ff:ee:00:00:02:SCAN_RSP', `${port.address}:SCAN_REQ`, 'c0:ff:ee:00:00:03:ADV_NONCONN_IND']),
    );
    expect(new Set(reports.map((report) => report.join()))).toEqual(new Set(['c0ffee000002,false,true', 'c0ffee000003,false,false']));
    const refused = expect(port.connect('c0ffee000002')).rejects.toMatchObject({ hciReason: 0x3e });
    await vi.advanceTimersByTimeAsync(10);
    await refused;
    radio.close();
  });

  it('sends one PDU per connection event: CONNECT_IND, then request and response a connection interval apart', async () => {
    const radio = new VirtualRadio({ seed: 'timing', connectionIntervalMs: 30 });
    radio.addPeripheral(MONITOR).startAdvertising();
    const { client } = await connect(radio);
    const mtu = await settle(client.exchangeMtu(247));
    expect(mtu).toBe(247);
    const value = await settle(client.read(6));
    expect(value).toEqual(Buffer.from([1]));
    radio.close();
    const at = (op: string): number => radio.sniffer.pdus.find((pdu) => pdu.att?.op === op)?.atMs ?? Number.NaN;
    expect(radio.sniffer.pdus[0]?.kind).toBe('CONNECT_IND');
    expect(at('exchange-mtu-rsp') - at('exchange-mtu-req')).toBe(30);
    expect(at('read-rsp') - at('read-req')).toBe(30);
  });

  it('[CTL-16] stops advertising at its connection limit and resumes when the connection ends', { tags: ['CTL-16'] }, async () => {
    const radio = new VirtualRadio({ seed: 'limit' });
    const device = radio.addPeripheral(MONITOR);
    device.startAdvertising();
    radio.attachCentral({ advertisement: () => undefined }).startScanning([]);
    const { link } = await connect(radio);
    const before = radio.sniffer.pdus.filter((pdu) => pdu.kind === 'ADV_IND').length;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(radio.sniffer.pdus.filter((pdu) => pdu.kind === 'ADV_IND')).toHaveLength(before);
    const second = radio.attachCentral({ advertisement: () => undefined }).connect('c0ffee000001');
    const refused = expect(second).rejects.toMatchObject({ code: 'ERR_BLE_CONNECTION_FAILED', hciReason: 0x3e });
    await vi.advanceTimersByTimeAsync(10);
    await refused;
    link.disconnect();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(device.connections).toHaveLength(0);
    expect(radio.sniffer.pdus.filter((pdu) => pdu.kind === 'ADV_IND').length).toBeGreaterThan(before + 5);
    radio.close();
  });

  it('notifies only subscribers, counts them, refuses oversized values and unknown characteristics', async () => {
    const radio = new VirtualRadio({ seed: 'notify' });
    const device = radio.addPeripheral(MONITOR);
    device.startAdvertising();
    expect(await device.notify('180d', '2a37', Buffer.from([6, 72]))).toBe(0);
    const { client } = await connect(radio);
    // CCCD of 2A37 is handle 4 (service 1, declaration 2, value 3).
    await settle(client.write(4, Buffer.from([1, 0]), false));
    expect(await settle(device.notify('180d', '2a37', Buffer.from([6, 72])))).toBe(1);
    expect(await settle(device.notify('180d', '2a37', Buffer.from([6, 72]), { connectionId: 'someone-else' }))).toBe(0);
    // No Exchange MTU yet: ATT_MTU 23 carries 20 octets.
    await expect(device.notify('180d', '2a37', Buffer.alloc(21, 0xee))).rejects.toBeInstanceOf(AttValueTooLongError);
    expect(radio.sniffer.containsBytes(Buffer.alloc(21, 0xee))).toBe(false);
    await expect(device.indicate('180d', '2a37', Buffer.from([1]))).rejects.toBeInstanceOf(UnknownAttributeError);
    await expect(device.notify('180d', '2a99', Buffer.from([1]))).rejects.toBeInstanceOf(UnknownAttributeError);
    device.powerOff();
    await expect(device.notify('180d', '2a37', Buffer.from([1]))).rejects.toBeInstanceOf(PeripheralPoweredOffError);
    expect(() => device.startAdvertising()).toThrow(PeripheralPoweredOffError);
    radio.close();
  });

  it('keeps one indication outstanding per connection (Vol 3 Part F §3.4.7.2)', async () => {
    const radio = new VirtualRadio({ seed: 'indicate' });
    const device = radio.addPeripheral(MONITOR);
    device.startAdvertising();
    const { client } = await connect(radio);
    // Glucose measurement 2A18: service 1808 starts at 7 (declaration 8, value 9, CCCD 10).
    await settle(client.write(10, Buffer.from([2, 0]), false));
    const both = Promise.all([device.indicate('1808', '2a18', Buffer.from([1])), device.indicate('1808', '2a18', Buffer.from([2]))]);
    expect(await settle(both)).toEqual([1, 1]);
    const order = radio.sniffer.pdus.filter((pdu) => pdu.att?.op.startsWith('handle-value')).map((pdu) => pdu.att?.op);
    expect(order).toEqual(['handle-value-ind', 'handle-value-cfm', 'handle-value-ind', 'handle-value-cfm']);
    radio.close();
  });

  it('[CTL-09] refuses invalid peripherals, limits and faults', { tags: ['CTL-09'] }, () => {
    const radio = new VirtualRadio();
    const invalid = (definition: Partial<PeripheralDefinition>): void => {
      expect(() => radio.addPeripheral({ address: 'c0:ff:ee:00:00:0f', ...definition })).toThrow(InvalidRadioDefinitionError);
    };
    invalid({ address: 'c0ffee00000f' });
    invalid({ maxMtu: 517 });
    invalid({ maxMtu: 22 });
    invalid({ advertisingIntervalMs: 5 });
    invalid({ maxConnections: 0 });
    invalid({ serviceUuids: ['6e400001b5a3f393e0a9e50e24dcca9e', '6e400002b5a3f393e0a9e50e24dcca9e'] });
    invalid({ localName: 'A name far too long for one scan response' });
    radio.addPeripheral({ address: 'c0:ff:ee:00:00:0f' });
    invalid({});
    expect(() => radio.injectFault('c0:ff:ee:00:00:0f', { kind: 'interference', lossRate: 1.5 })).toThrow(InvalidRadioDefinitionError);
    expect(() => radio.injectFault('c0:ff:ee:00:00:aa', { kind: 'drop-link' })).toThrow(/no peripheral/);
    expect(() => new VirtualRadio({ connectionIntervalMs: -1 })).toThrow(InvalidRadioDefinitionError);
    radio.close();
  });
});
