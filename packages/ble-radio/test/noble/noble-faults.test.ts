/**
 * Injected faults through real noble: interference (retransmission, then supervision timeout),
 * out of range, distance, a dropped link with a call pending, and the ATT transaction timeout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Peripheral } from '@stoprocent/noble';
import { HCI_REASON, VirtualRadio } from '../../src/index.js';
import { addHeartRateMonitor, connected, next, poweredNoble, rejection, until } from './fixtures.js';

let radio: VirtualRadio;
afterEach(() => radio.close());

async function measurementOf(peripheral: Peripheral) {
  const { characteristics } = await peripheral.discoverSomeServicesAndCharacteristicsAsync(['180d'], ['2a37', '2a39']);
  const [measurement, controlPoint] = characteristics;
  if (measurement === undefined || controlPoint === undefined) throw new Error('characteristics missing');
  return { measurement, controlPoint };
}

describe('faults', () => {
  it('[CTL-16] interference costs retransmissions, not data: every notification arrives, in order', { tags: ['CTL-16'] }, async () => {
    radio = new VirtualRadio({ seed: 'faults' });
    const { peripheral: device } = addHeartRateMonitor(radio);
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble);
    const { measurement } = await measurementOf(peripheral);
    const received: number[] = [];
    measurement.on('data', (data: Buffer) => received.push(data[1] ?? -1));
    await measurement.subscribeAsync();
    radio.injectFault('c0:ff:ee:00:00:01', { kind: 'interference', lossRate: 0.4, maxConsecutiveLosses: 50 });
    for (let bpm = 60; bpm < 80; bpm += 1) expect(await device.notify('180d', '2a37', Buffer.from([0x06, bpm]))).toBe(1);
    await until(() => received.length === 20);
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => 60 + i));
    const pdus = radio.sniffer.pdus;
    const lost = pdus.filter((pdu) => pdu.lost === true);
    expect(lost.length).toBeGreaterThan(3);
    // A lost PDU comes again with the same bytes (same packet, same counter).
    for (const pdu of lost) expect(pdus.some((later) => later.index > pdu.index && later.lost !== true && later.air.equals(pdu.air))).toBe(true);
    radio.clearFault('c0:ff:ee:00:00:01');
    expect(await device.notify('180d', '2a37', Buffer.from([0x06, 99]))).toBe(1);
  });

  it('[CTL-16] a jammed link ends with a supervision timeout (0x08) after the configured losses; the pending write rejects', { tags: ['CTL-16'] }, async () => {
    radio = new VirtualRadio({ seed: 'faults' });
    const { peripheral: device, log } = addHeartRateMonitor(radio);
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble);
    const { controlPoint } = await measurementOf(peripheral);
    const reasons = Promise.all([next<[number]>(peripheral, 'disconnect'), next<[unknown, number]>(device, 'disconnect')]);
    radio.injectFault('c0:ff:ee:00:00:01', { kind: 'interference', lossRate: 1, maxConsecutiveLosses: 4 });
    const write = controlPoint.writeAsync(Buffer.from([0x01]), false);
    const [[central], [, local]] = await reasons;
    expect([central, local]).toEqual([HCI_REASON.CONNECTION_TIMEOUT, HCI_REASON.CONNECTION_TIMEOUT]);
    expect((await rejection(write)).message).toBe('Disconnected 8');
    expect(log.writes).toHaveLength(0);
    const lost = radio.sniffer.pdus.filter((pdu) => pdu.lost === true);
    expect(lost).toHaveLength(4);
    expect(lost.every((pdu) => pdu.air.equals(lost[0]?.air ?? Buffer.alloc(0)))).toBe(true);
  });

  it('[CTL-16] a dropped link fails the call in flight with Disconnected 8', { tags: ['CTL-16'] }, async () => {
    radio = new VirtualRadio({ seed: 'faults' });
    let reads = 0;
    radio
      .addPeripheral({
        address: 'c0:ff:ee:00:00:07',
        advertisingIntervalMs: 20,
        services: [{ uuid: '180f', characteristics: [{ uuid: '2a19', properties: ['read'], onRead: () => ((reads += 1), new Promise<Uint8Array>(() => undefined)) }] }],
      })
      .startAdvertising();
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble, 'c0ffee000007');
    const { characteristics } = await peripheral.discoverAllServicesAndCharacteristicsAsync();
    const read = characteristics[0]?.readAsync() ?? Promise.resolve();
    await until(() => reads === 1);
    radio.injectFault('c0:ff:ee:00:00:07', { kind: 'drop-link' });
    expect((await rejection(read)).message).toBe('Disconnected 8');
  });

  it('out of range: the link drops with 0x08 and scans miss the device until the fault clears', async () => {
    radio = new VirtualRadio({ seed: 'faults' });
    addHeartRateMonitor(radio);
    radio.addPeripheral({ address: 'c0:ff:ee:00:00:0a', advertisingIntervalMs: 20 }).startAdvertising();
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble);
    const reason = next<[number]>(peripheral, 'disconnect');
    radio.injectFault('c0:ff:ee:00:00:01', { kind: 'out-of-range' });
    expect(await reason).toEqual([HCI_REASON.CONNECTION_TIMEOUT]);
    const heard: string[] = [];
    noble.on('discover', (found: Peripheral) => heard.push(found.id));
    await noble.startScanningAsync([], true);
    // The other device advertises at the same interval: ten of its events and not one of ours.
    await until(() => heard.filter((id) => id === 'c0ffee00000a').length >= 10, 100_000);
    expect(heard).not.toContain('c0ffee000001');
    radio.clearFault('c0:ff:ee:00:00:01');
    await until(() => heard.includes('c0ffee000001'), 100_000);
    await noble.stopScanningAsync();
    await peripheral.connectAsync();
    expect(peripheral.state).toBe('connected');
  });

  it('distance: RSSI falls with the log-distance model, and beyond the sensitivity the link drops (0x08)', async () => {
    radio = new VirtualRadio({ seed: 'faults', rssiNoiseDb: 0 });
    addHeartRateMonitor(radio);
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble);
    expect(await peripheral.updateRssiAsync()).toBe(-40);
    radio.setDistance('c0:ff:ee:00:00:01', 10);
    // 0 dBm − 40.05 dB − 20·log10(10) = −60.05 dBm.
    expect(await peripheral.updateRssiAsync()).toBe(-60);
    const reason = next<[number]>(peripheral, 'disconnect');
    radio.setDistance('c0:ff:ee:00:00:01', 5_000);
    expect(radio.meanRssi('c0:ff:ee:00:00:01')).toBeLessThan(-100);
    expect(await reason).toEqual([HCI_REASON.CONNECTION_TIMEOUT]);
    expect(await rejection(peripheral.connectAsync())).toMatchObject({ hciReason: HCI_REASON.CONNECTION_FAILED_TO_BE_ESTABLISHED });
  });

  it('[CTL-16] an unanswered ATT request times out (ERR_BLE_ATT_TIMEOUT) and the central drops the bearer', { tags: ['CTL-16'] }, async () => {
    radio = new VirtualRadio({ seed: 'faults' });
    radio
      .addPeripheral({
        address: 'c0:ff:ee:00:00:08',
        advertisingIntervalMs: 20,
        services: [{ uuid: '180f', characteristics: [{ uuid: '2a19', properties: ['read'], onRead: () => new Promise<Uint8Array>(() => undefined) }] }],
      })
      .startAdvertising();
    const noble = await poweredNoble(radio, { attTimeoutMs: 50 });
    const peripheral = await connected(noble, 'c0ffee000008');
    const { characteristics } = await peripheral.discoverAllServicesAndCharacteristicsAsync();
    const reason = next<[number]>(peripheral, 'disconnect');
    expect(await rejection(characteristics[0]?.readAsync() ?? Promise.resolve())).toMatchObject({ code: 'ERR_BLE_ATT_TIMEOUT' });
    expect(await reason).toEqual([HCI_REASON.LOCAL_HOST_TERMINATED]);
  });
});
