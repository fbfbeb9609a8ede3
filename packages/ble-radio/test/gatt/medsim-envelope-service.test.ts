/**
 * The medsim envelope service (src/gatt/medsim-envelope-service.ts): UUIDs, the message layer
 * mapped onto @medsim/protocol's MQTT channels, and fragmentation to the ATT payload size with a
 * reassembler that a hostile peer cannot grow or wedge (docs/protocols/ble.md).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CHANNELS, type Channel } from '@medsim/protocol';
import {
  BleError,
  ENVELOPE_ACK_CODE,
  ENVELOPE_CHANNEL_CODE,
  ENVELOPE_MESSAGE_MAX_BYTES,
  FRAGMENT_HEADER,
  Fragmenter,
  MEDSIM_ENVELOPE_SERVICE,
  REASSEMBLY_TIMEOUTS_MS,
  Reassembler,
  attPayloadBytes,
  decodeEnvelopeServiceInfo,
  decodeEnvelopeServiceMessage,
  encodeEnvelopeServiceInfo,
  encodeEnvelopeServiceMessage,
  envelopeMessagePublisher,
  type EnvelopeServiceMessage,
} from '../../src/index.js';
import { SEED, codeOf, hex, thrown, toHex } from './helpers.js';

const channels = Object.keys(CHANNELS) as Channel[];

/** A controlled clock, ms. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

/** Feeds values to a reassembler; returns the messages completed. */
function feed(reassembler: Reassembler, values: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const value of values) {
    const message = reassembler.push(value);
    if (message !== undefined) out.push(message);
  }
  return out;
}

const FRAGMENT_CODES = new Set(['ERR_BLE_FRAGMENT_MALFORMED', 'ERR_BLE_FRAGMENT_OUT_OF_SEQUENCE', 'ERR_BLE_FRAGMENT_LENGTH_MISMATCH', 'ERR_BLE_FRAGMENT_TIMEOUT', 'ERR_BLE_MESSAGE_TOO_LARGE']);

describe('medsim envelope service UUIDs and info', () => {
  it('uses random (version 4) 128-bit UUIDs in noble form, with dashed twins', () => {
    const entries = [MEDSIM_ENVELOPE_SERVICE, ...Object.values(MEDSIM_ENVELOPE_SERVICE.characteristics)];
    for (const { uuid, uuidDashed } of entries) {
      expect(uuid).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/u); // RFC 9562 §5.4: version 4, variant 10
      expect(uuidDashed.replace(/-/gu, '')).toBe(uuid);
      expect(uuidDashed).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/u);
    }
    expect(new Set(entries.map((entry) => entry.uuid)).size).toBe(4);
    expect(MEDSIM_ENVELOPE_SERVICE.characteristics.tx.properties).toEqual(['notify']);
    expect(MEDSIM_ENVELOPE_SERVICE.characteristics.rx.properties).toEqual(['write', 'writeWithoutResponse']);
  });

  it('[CTL-09] reads the info value as version byte then device id', { tags: ['CTL-09'] }, () => {
    expect(toHex(encodeEnvelopeServiceInfo({ deviceId: 'pulse-ox-1', protocolVersion: 1 }))).toBe('01 70 75 6c 73 65 2d 6f 78 2d 31');
    expect(decodeEnvelopeServiceInfo(hex('01 70 75 6c 73 65 2d 6f 78 2d 31'))).toEqual({ deviceId: 'pulse-ox-1', protocolVersion: 1 });
    expect(codeOf(() => decodeEnvelopeServiceInfo(hex('01')))).toBe('ERR_BLE_MALFORMED_VALUE'); // empty id
    expect(codeOf(() => decodeEnvelopeServiceInfo(hex('00 61')))).toBe('ERR_BLE_MALFORMED_VALUE'); // version 0
    expect(codeOf(() => decodeEnvelopeServiceInfo(hex('01 41 42')))).toBe('ERR_BLE_MALFORMED_VALUE'); // upper case
    expect(codeOf(() => decodeEnvelopeServiceInfo(hex('01 c3 a9')))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => encodeEnvelopeServiceInfo({ deviceId: 'Pump 1', protocolVersion: 1 }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
  });
});

describe('envelope service messages', () => {
  it('gives every MQTT channel of @medsim/protocol one channel byte, and the acknowledgements theirs', () => {
    expect(Object.keys(ENVELOPE_CHANNEL_CODE).sort()).toEqual([...channels].sort());
    expect(ENVELOPE_CHANNEL_CODE).toEqual({
      session: 0x01,
      sessionAccept: 0x02,
      telemetry: 0x03,
      status: 0x04,
      events: 0x05,
      commands: 0x06,
      commandAcks: 0x07,
      updateStatus: 0x08,
      update: 0x09,
    });
    const codes = [...Object.values(ENVELOPE_CHANNEL_CODE), ...Object.values(ENVELOPE_ACK_CODE)];
    expect(new Set(codes).size).toBe(codes.length);
    // Direction comes from the MQTT table: the gateway routes a BLE message like a publish.
    for (const channel of channels) {
      expect(envelopeMessagePublisher({ kind: 'publish', channel, messageId: 0, body: hex('00') })).toBe(CHANNELS[channel].publisher);
    }
    expect(envelopeMessagePublisher({ kind: 'delivered', messageId: 0 })).toBe('gateway');
  });

  it('[CTL-07] carries sealed envelope bytes unchanged: channel | message id (uint32 LE) | body', { tags: ['CTL-07'] }, () => {
    const body = hex('0a 20 08 01 12 0a 70 75 6c 73 65 2d 6f 78 2d 31'); // opaque here: whatever the device sealed
    const bytes = encodeEnvelopeServiceMessage({ kind: 'publish', channel: 'telemetry', messageId: 0x01020304, body });
    expect(toHex(bytes)).toBe(`03 04 03 02 01 ${toHex(body)}`);
    expect(decodeEnvelopeServiceMessage(bytes, { from: 'device' })).toEqual({ kind: 'publish', channel: 'telemetry', messageId: 0x01020304, body });
    expect(toHex(encodeEnvelopeServiceMessage({ kind: 'delivered', messageId: 42 }))).toBe('80 2a 00 00 00');
    expect(toHex(encodeEnvelopeServiceMessage({ kind: 'refused', messageId: 42, code: 'ERR_REPLAY' }))).toBe('81 2a 00 00 00 45 52 52 5f 52 45 50 4c 41 59');
    expect(decodeEnvelopeServiceMessage(hex('81 2a 00 00 00 45 52 52 5f 52 45 50 4c 41 59'), { from: 'gateway' })).toEqual({ kind: 'refused', messageId: 42, code: 'ERR_REPLAY' });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ kind: fc.constant('publish' as const), channel: fc.constantFrom(...channels), messageId: fc.nat({ max: 0xffffffff }), body: fc.uint8Array({ minLength: 1, maxLength: 300 }) }),
          fc.record({ kind: fc.constant('delivered' as const), messageId: fc.nat({ max: 0xffffffff }) }),
          fc.record({ kind: fc.constant('refused' as const), messageId: fc.nat({ max: 0xffffffff }), code: fc.stringMatching(/^[A-Z_]{1,64}$/u) }),
        ),
        (message: EnvelopeServiceMessage) => {
          expect(decodeEnvelopeServiceMessage(encodeEnvelopeServiceMessage(message))).toEqual(message);
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('[CTL-09] refuses malformed messages and channels the sender may not use', { tags: ['CTL-09'] }, () => {
    expect(codeOf(() => decodeEnvelopeServiceMessage(hex('03 01 00 00')))).toBe('ERR_BLE_MALFORMED_MESSAGE'); // 4-byte header
    expect(codeOf(() => decodeEnvelopeServiceMessage(hex('03 01 00 00 00')))).toBe('ERR_BLE_MALFORMED_MESSAGE'); // empty body
    expect(thrown(() => decodeEnvelopeServiceMessage(hex('0a 01 00 00 00 ff'))).details).toEqual({ reason: 'unknown channel 0x0a' });
    expect(codeOf(() => decodeEnvelopeServiceMessage(hex('80 01 00 00 00 00')))).toBe('ERR_BLE_MALFORMED_MESSAGE'); // delivered + body
    expect(codeOf(() => decodeEnvelopeServiceMessage(hex('81 01 00 00 00')))).toBe('ERR_BLE_MALFORMED_MESSAGE'); // empty refusal
    expect(codeOf(() => decodeEnvelopeServiceMessage(Uint8Array.from([0x81, 1, 0, 0, 0, ...new Uint8Array(65).fill(0x41)])))).toBe('ERR_BLE_MALFORMED_MESSAGE');
    expect(codeOf(() => decodeEnvelopeServiceMessage(hex('81 01 00 00 00 45 0a')))).toBe('ERR_BLE_MALFORMED_MESSAGE'); // control char
    // A device never sends commands, session accepts or acknowledgements; the gateway never sends telemetry.
    expect(codeOf(() => decodeEnvelopeServiceMessage(hex('06 01 00 00 00 aa'), { from: 'device' }))).toBe('ERR_BLE_MALFORMED_MESSAGE');
    expect(codeOf(() => decodeEnvelopeServiceMessage(hex('80 01 00 00 00'), { from: 'device' }))).toBe('ERR_BLE_MALFORMED_MESSAGE');
    expect(codeOf(() => decodeEnvelopeServiceMessage(hex('03 01 00 00 00 aa'), { from: 'gateway' }))).toBe('ERR_BLE_MALFORMED_MESSAGE');
    expect(codeOf(() => decodeEnvelopeServiceMessage(new Uint8Array(ENVELOPE_MESSAGE_MAX_BYTES + 1).fill(3)))).toBe('ERR_BLE_MESSAGE_TOO_LARGE');
    expect(codeOf(() => encodeEnvelopeServiceMessage({ kind: 'publish', channel: 'telemetry', messageId: 2 ** 32, body: hex('00') }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => encodeEnvelopeServiceMessage({ kind: 'refused', messageId: 1, code: 'bad code' }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => encodeEnvelopeServiceMessage({ kind: 'publish', channel: 'telemetry', messageId: 1, body: new Uint8Array(ENVELOPE_MESSAGE_MAX_BYTES - 4) }))).toBe('ERR_BLE_MESSAGE_TOO_LARGE');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(undefined, 'device' as const, 'gateway' as const), (bytes, from) => {
        try {
          decodeEnvelopeServiceMessage(bytes, from === undefined ? {} : { from });
        } catch (error) {
          expect((error as BleError).code).toBe('ERR_BLE_MALFORMED_MESSAGE');
        }
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});

describe('fragmentation', () => {
  it('[CTL-16] splits to ATT_MTU - 3: the worked example of docs/protocols/ble.md', { tags: ['CTL-16'] }, () => {
    // A 30-byte message at MTU 23 (20-byte values): first fragment 0x80 (first, counter 0), length
    // 30 as uint32 LE, 15 bytes; second 0x41 (last, counter 1), the remaining 15 bytes.
    const message = Uint8Array.from({ length: 30 }, (_, i) => i);
    const values = new Fragmenter().fragment(message, 23);
    expect(values.map(toHex)).toEqual([
      '80 1e 00 00 00 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e',
      '41 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d',
    ]);
    expect(new Reassembler().push(values[0] as Uint8Array)).toBeUndefined(); // incomplete: nothing yet
    // One value when it fits: 0xC0 = first and last.
    expect(new Fragmenter().fragment(hex('03 01 00 00 00 aa'), 23).map(toHex)).toEqual(['c0 06 00 00 00 03 01 00 00 00 aa']);
    expect(attPayloadBytes(23)).toBe(20);
    expect(attPayloadBytes(247)).toBe(244);
    expect(attPayloadBytes(517)).toBe(512); // capped at the 512-byte attribute maximum
    expect(codeOf(() => attPayloadBytes(22))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
  });

  it('[CTL-16] round-trips any message at any MTU 23..517', { tags: ['CTL-16'] }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 4000 }), fc.integer({ min: 23, max: 517 }), (message, mtu) => {
        const values = new Fragmenter().fragment(message, mtu);
        const payload = attPayloadBytes(mtu);
        for (const value of values) expect(value.length).toBeLessThanOrEqual(payload);
        for (const value of values.slice(0, -1)) expect(value.length).toBe(payload); // every value but the last is full
        expect(values.length).toBe(message.length <= payload - 5 ? 1 : 1 + Math.ceil((message.length - (payload - 5)) / (payload - 1)));
        const out = feed(new Reassembler(), values);
        expect(out).toHaveLength(1);
        expect(toHex(out[0] as Uint8Array)).toBe(toHex(message));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('[CTL-16] wraps the counter mod 64 and carries the largest message at the smallest MTU', { tags: ['CTL-16'] }, () => {
    const largest = Uint8Array.from({ length: ENVELOPE_MESSAGE_MAX_BYTES }, (_, i) => (i * 7) & 0xff);
    const values = new Fragmenter().fragment(largest, 23);
    expect(values).toHaveLength(1 + Math.ceil((ENVELOPE_MESSAGE_MAX_BYTES - 15) / 19)); // 3,504 values
    expect((values[63]?.[0] ?? 0) & FRAGMENT_HEADER.counterMask).toBe(63);
    expect((values[64]?.[0] ?? 0) & FRAGMENT_HEADER.counterMask).toBe(0);
    const reassembler = new Reassembler();
    const out = feed(reassembler, values);
    expect(out).toHaveLength(1);
    expect(Buffer.from(out[0] as Uint8Array).equals(Buffer.from(largest))).toBe(true);
    expect(reassembler.inProgress).toBe(false);
    expect(codeOf(() => new Fragmenter().fragment(new Uint8Array(ENVELOPE_MESSAGE_MAX_BYTES + 1), 247))).toBe('ERR_BLE_MESSAGE_TOO_LARGE');
    expect(new Fragmenter({ maxMessageBytes: 100 }).fragment(new Uint8Array(100), 247)).toHaveLength(1);
    expect(codeOf(() => new Fragmenter({ maxMessageBytes: 100 }).fragment(new Uint8Array(101), 247))).toBe('ERR_BLE_MESSAGE_TOO_LARGE');
  });

  it('[CTL-16] refuses a declared length over the limit before buffering anything', { tags: ['CTL-16'] }, () => {
    const reassembler = new Reassembler();
    const first = hex('80 01 04 01 00 aa bb'); // declares 66,561 bytes: one over 65 KiB
    expect(thrown(() => reassembler.push(first)).code).toBe('ERR_BLE_MESSAGE_TOO_LARGE');
    expect(reassembler.bufferedBytes).toBe(0);
    expect(codeOf(() => new Reassembler().push(hex('80 ff ff ff ff aa')))).toBe('ERR_BLE_MESSAGE_TOO_LARGE'); // 4 GiB
    expect(codeOf(() => new Reassembler({ maxMessageBytes: 10 }).push(hex('80 0b 00 00 00 aa')))).toBe('ERR_BLE_MESSAGE_TOO_LARGE');
  });

  it('[CTL-09] refuses broken sequences, then starts fresh at the next first fragment', { tags: ['CTL-09'] }, () => {
    const message = Uint8Array.from({ length: 60 }, (_, i) => i);
    const values = new Fragmenter().fragment(message, 23); // 4 values
    const [a, b, c, d] = values as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const reassembler = new Reassembler();
    const expectError = (value: Uint8Array, code: string): void => {
      expect(thrown(() => reassembler.push(value)).code).toBe(code);
      expect(reassembler.inProgress).toBe(false);
      expect(reassembler.bufferedBytes).toBe(0);
      // Clean state: the whole message goes through right after.
      expect(feed(reassembler, values).map(toHex)).toEqual([toHex(message)]);
    };
    reassembler.push(a);
    expectError(c, 'ERR_BLE_FRAGMENT_OUT_OF_SEQUENCE'); // b skipped
    reassembler.push(a);
    expectError(a, 'ERR_BLE_FRAGMENT_OUT_OF_SEQUENCE'); // first while incomplete
    expectError(b, 'ERR_BLE_FRAGMENT_OUT_OF_SEQUENCE'); // continuation without a first
    reassembler.push(a);
    reassembler.push(b);
    reassembler.push(c);
    expectError(Uint8Array.from([d[0] ?? 0, ...d.subarray(1, 3)]), 'ERR_BLE_FRAGMENT_LENGTH_MISMATCH'); // last ends short
    reassembler.push(a);
    expectError(Uint8Array.from([0x41, ...new Uint8Array(60)]), 'ERR_BLE_FRAGMENT_LENGTH_MISMATCH'); // overruns
    reassembler.push(a);
    expectError(hex('01'), 'ERR_BLE_FRAGMENT_MALFORMED'); // no data
    expectError(hex(''), 'ERR_BLE_FRAGMENT_MALFORMED');
    expectError(hex('80 05 00'), 'ERR_BLE_FRAGMENT_MALFORMED'); // length cut
    expectError(hex('81 05 00 00 00 aa'), 'ERR_BLE_FRAGMENT_OUT_OF_SEQUENCE'); // first with counter 1
    expectError(hex('c0 05 00 00 00 aa'), 'ERR_BLE_FRAGMENT_LENGTH_MISMATCH'); // single, short
    expectError(hex('80 02 00 00 00 aa bb'), 'ERR_BLE_FRAGMENT_LENGTH_MISMATCH'); // complete but not last
    expectError(new Uint8Array(513).fill(0xc0), 'ERR_BLE_FRAGMENT_MALFORMED'); // over the ATT maximum
  });

  it('[CTL-16] drops a stalled message after the fragment or message timeout (controlled clock)', { tags: ['CTL-16'] }, () => {
    const time = clock();
    const reassembler = new Reassembler({ now: time.now });
    const values = new Fragmenter().fragment(new Uint8Array(100), 23);
    reassembler.push(values[0] as Uint8Array);
    time.advance(REASSEMBLY_TIMEOUTS_MS.fragment + 1);
    expect(thrown(() => reassembler.push(values[1] as Uint8Array)).details).toEqual({ kind: 'fragment', timeoutMs: 10_000 });
    expect(reassembler.inProgress).toBe(false);
    // A sender that keeps each gap short but never finishes hits the message timeout.
    reassembler.push(values[0] as Uint8Array);
    for (const value of values.slice(1, -1)) {
      time.advance(9_000);
      reassembler.push(value);
    }
    time.advance(REASSEMBLY_TIMEOUTS_MS.message);
    expect(thrown(() => reassembler.checkTimeout()).details).toEqual({ kind: 'message', timeoutMs: 60_000 });
    expect(reassembler.inProgress).toBe(false);
    expect(() => reassembler.checkTimeout()).not.toThrow(); // nothing held
    // Within the timeouts the message completes.
    const fresh = new Reassembler({ now: time.now, fragmentTimeoutMs: 50, messageTimeoutMs: 1000 });
    let out: Uint8Array | undefined;
    for (const value of values) {
      time.advance(49);
      out = fresh.push(value);
    }
    expect(out).toHaveLength(100);
  });

  it('[CTL-16] [CTL-09] holds no more than it was sent and throws nothing but typed errors for any input', { tags: ['CTL-16', 'CTL-09'] }, () => {
    const value = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      // Plausible headers with arbitrary flags, counters and lengths.
      fc
        .tuple(fc.oneof(fc.constantFrom(0x80, 0xc0, 0x01, 0x41, 0x02, 0x42), fc.integer({ min: 0, max: 255 })), fc.integer({ min: 0, max: 0x20000 }), fc.uint8Array({ maxLength: 30 }))
        .map(([header, length, data]) =>
        Uint8Array.from([header, length & 0xff, (length >> 8) & 0xff, (length >> 16) & 0xff, 0, ...data]),
      ),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 60 }), (values, gaps) => {
        const time = clock();
        const reassembler = new Reassembler({ now: time.now });
        let received = 0;
        for (const [index, v] of values.entries()) {
          time.advance(gaps[index] ?? 0);
          received += v.length;
          try {
            const message = reassembler.push(v);
            if (message !== undefined) expect(message.length).toBeLessThanOrEqual(ENVELOPE_MESSAGE_MAX_BYTES);
          } catch (error) {
            expect(error).toBeInstanceOf(BleError);
            expect(FRAGMENT_CODES.has((error as BleError).code)).toBe(true);
            expect(reassembler.bufferedBytes).toBe(0);
          }
          expect(reassembler.bufferedBytes).toBeLessThanOrEqual(received);
          expect(reassembler.bufferedBytes).toBeLessThanOrEqual(ENVELOPE_MESSAGE_MAX_BYTES);
        }
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});
