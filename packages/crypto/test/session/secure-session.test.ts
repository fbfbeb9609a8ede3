import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ContentType, MedsimError, STREAM_IDS, decodeMessage, v1 } from '@medsim/protocol';
import type { SecureSession } from '@medsim/crypto';
import { READING, establish, codeOf } from '../fixtures.js';

const seed = 20261128;

const seal = (session: SecureSession, bytes: Uint8Array, streamId: number = STREAM_IDS.numerics): Uint8Array =>
  session.seal(READING, bytes, { streamId });

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

describe('SecureSession: the tuned envelope path', () => {
  it('[CTL-07] round-trips payloads both ways; the header is authenticated and readable', { tags: ['CTL-07'] }, () => {
    const { device, gateway, clock } = establish();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom(0, 1, 2, 3), (payload, streamId) => {
        const up = gateway.open(seal(device, payload, streamId));
        expect(Buffer.from(up.plaintext).equals(Buffer.from(payload))).toBe(true);
        expect(up.header).toMatchObject({ deviceId: 'pulse-ox-0001', timestampMs: clock.nowMs });
        expect(up.header.streamId).toBe(streamId);
        const down = device.open(gateway.seal(ContentType.CONTENT_TYPE_THERAPY_COMMAND_ACK, payload, { streamId }));
        expect(Buffer.from(down.plaintext).equals(Buffer.from(payload))).toBe(true);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('[CTL-07] keys are directional: a session cannot open what it sealed', { tags: ['CTL-07'] }, () => {
    const { device } = establish();
    expect(codeOf(() => device.open(seal(device, Buffer.from('x'))))).toBe('ERR_CRYPTO_AUTH_FAILED');
  });

  it('[CTL-07][C5] every single-bit flip of an envelope is refused and changes no state', { tags: ['CTL-07', 'C5'] }, () => {
    const { device, gateway } = establish();
    const envelope = seal(device, Buffer.from('SpO2 97 %, pulse 72 /min'));
    const ciphertextStart = envelope.length - 16 - 24;
    const codes = new Map<string, number>();
    for (let bit = 0; bit < envelope.length * 8; bit++) {
      const flipped = Buffer.from(envelope);
      flipped[bit >>> 3] = (flipped[bit >>> 3] ?? 0) ^ (1 << (bit & 7));
      const code = codeOf(() => gateway.open(flipped));
      codes.set(code, (codes.get(code) ?? 0) + 1);
      // Inside ciphertext and tag, the only possible answer is a failed tag.
      if (bit >>> 3 >= ciphertextStart) expect(code).toBe('ERR_CRYPTO_AUTH_FAILED');
    }
    expect(codes.get('ERR_CRYPTO_AUTH_FAILED')).toBeGreaterThanOrEqual(40 * 8);
    expect(gateway.openedCount).toBe(0);
    expect(text(gateway.open(envelope).plaintext)).toBe('SpO2 97 %, pulse 72 /min');
  });

  it('[CTL-07][C5] random bit flips in envelopes up to 16 KiB are refused (property)', { tags: ['CTL-07', 'C5'] }, () => {
    const { device, gateway } = establish();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 16_384 }), fc.nat(), (payload, position) => {
        const envelope = Buffer.from(seal(device, payload));
        const bit = position % (envelope.length * 8);
        envelope[bit >>> 3] = (envelope[bit >>> 3] ?? 0) ^ (1 << (bit & 7));
        expect(() => gateway.open(envelope)).toThrow(MedsimError);
      }),
      { seed, numRuns: 500 },
    );
    expect(gateway.openedCount).toBe(0);
  });

  it('[CTL-07][C4] every truncation is refused as ERR_CRYPTO_TRUNCATED; a re-framed short ciphertext fails its tag', { tags: ['CTL-07', 'C4'] }, () => {
    const { device, gateway } = establish();
    const envelope = seal(device, Buffer.alloc(100, 7));
    for (let length = 0; length < envelope.length; length++) {
      expect(codeOf(() => gateway.open(envelope.subarray(0, length)))).toBe('ERR_CRYPTO_TRUNCATED');
    }
    const { header, ciphertext } = decodeMessage('SealedEnvelope', envelope);
    const shortened = v1.SealedEnvelope.encode({ header, ciphertext: ciphertext.subarray(0, ciphertext.length - 1) }).finish();
    expect(codeOf(() => gateway.open(shortened))).toBe('ERR_CRYPTO_AUTH_FAILED');
  });

  it('[CTL-08][C2] a replayed envelope is refused with ERR_CRYPTO_REPLAY', { tags: ['CTL-08', 'C2'] }, () => {
    const { device, gateway } = establish();
    const envelope = seal(device, Buffer.from('bolus acknowledged'));
    gateway.open(envelope);
    expect(codeOf(() => gateway.open(envelope))).toBe('ERR_CRYPTO_REPLAY');
  });

  it('[CTL-08][C3] reordering within the window is accepted once; 1,024 behind is too old', { tags: ['CTL-08', 'C3'] }, () => {
    const { device, gateway } = establish();
    const envelopes = Array.from({ length: 1100 }, (_, i) => seal(device, Buffer.from(`reading ${i}`)));
    const order = [5, 3, 4, 0, 2, 1];
    for (const i of order) expect(text(gateway.open(envelopes[i]!).plaintext)).toBe(`reading ${i}`);
    for (const i of order) expect(codeOf(() => gateway.open(envelopes[i]!))).toBe('ERR_CRYPTO_REPLAY');
    gateway.open(envelopes[1099]!);
    expect(codeOf(() => gateway.open(envelopes[75]!))).toBe('ERR_CRYPTO_TOO_OLD'); // 1,024 behind
    expect(text(gateway.open(envelopes[76]!).plaintext)).toBe('reading 76'); // 1,023 behind: the edge
  });

  it('[CTL-08][C2][C3] 10,000 replayed or reordered deliveries: 0 accepted twice, 0 lost inside the window', { tags: ['CTL-08', 'C2', 'C3'] }, () => {
    const { device, gateway } = establish();
    const envelopes = Array.from({ length: 2_000 }, (_, i) => seal(device, Buffer.from(String(i))));
    // Delivery k carries envelope k/5 displaced by up to ±300 places: heavy duplication and
    // reordering, always within the 1,024 window of the newest accepted envelope.
    const [jitter] = fc.sample(fc.array(fc.integer({ min: -300, max: 300 }), { minLength: 10_000, maxLength: 10_000 }), { seed, numRuns: 1 });
    const deliveries = jitter!.map((j, k) => Math.min(1_999, Math.max(0, Math.floor(k / 5) + j)));
    const acceptedTimes = new Map<number, number>();
    let replays = 0;
    for (const index of deliveries) {
      try {
        const { header, plaintext } = gateway.open(envelopes[index]!);
        expect(text(plaintext)).toBe(String(index));
        acceptedTimes.set(header.sequence, (acceptedTimes.get(header.sequence) ?? 0) + 1);
      } catch (error) {
        expect((error as MedsimError).code).toBe('ERR_CRYPTO_REPLAY');
        replays += 1;
      }
    }
    expect(Math.max(...acceptedTimes.values())).toBe(1);
    expect(acceptedTimes.size).toBe(new Set(deliveries).size);
    expect(acceptedTimes.size + replays).toBe(10_000);
  });

  it('[CTL-08] streams have independent sequences and windows', { tags: ['CTL-08'] }, () => {
    const { device, gateway } = establish();
    const numeric = seal(device, Buffer.from('n'), STREAM_IDS.numerics);
    const wave = seal(device, Buffer.from('w'), STREAM_IDS.waveform);
    expect(gateway.open(wave).header.sequence).toBe(0);
    expect(gateway.open(numeric).header.sequence).toBe(0);
    expect(codeOf(() => gateway.open(wave))).toBe('ERR_CRYPTO_REPLAY');
  });

  it('[CTL-16] sessions bound the number of streams and the payload size', { tags: ['CTL-16'] }, () => {
    const { device } = establish();
    for (let stream = 0; stream < 16; stream++) seal(device, Buffer.from('x'), stream);
    expect(codeOf(() => seal(device, Buffer.from('x'), 16))).toBe('ERR_CRYPTO_CAPACITY');
    expect(codeOf(() => seal(device, Buffer.alloc(60 * 1024 + 1)))).toBe('ERR_CRYPTO_TOO_LARGE');
  });
});

describe('chunked sealing (waveform frames)', () => {
  it('[CTL-07] sealing chunks equals sealing their concatenation (property)', { tags: ['CTL-07'] }, () => {
    const { device, gateway } = establish();
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 6 }), (chunks) => {
        const opened = gateway.open(device.seal(ContentType.CONTENT_TYPE_WAVEFORM_FRAME, chunks, { streamId: STREAM_IDS.waveform }));
        expect(Buffer.from(opened.plaintext).equals(Buffer.concat(chunks))).toBe(true);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('[CTL-16] the payload limit applies to the chunks together', { tags: ['CTL-16'] }, () => {
    const { device } = establish();
    expect(codeOf(() => device.seal(ContentType.CONTENT_TYPE_WAVEFORM_FRAME, [Buffer.alloc(40_000), Buffer.alloc(30_000)]))).toBe(
      'ERR_CRYPTO_TOO_LARGE',
    );
  });
});

describe('key mix-ups', () => {
  it('[CTL-07][CTL-11][C6][C7] an envelope of one device never opens in another device\'s session, even with a forged key id (property)', { tags: ['CTL-07', 'CTL-11', 'C6', 'C7'] }, () => {
    const a = establish('pump-0001');
    const b = establish('pump-0002');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), (payload, forgeHeader) => {
        const envelope = a.device.seal(READING, payload, { streamId: STREAM_IDS.numerics });
        if (!forgeHeader) {
          expect(codeOf(() => b.gateway.open(envelope))).toBe('ERR_CRYPTO_WRONG_KEY');
          return;
        }
        // Re-label A's ciphertext with B's device id and key id: the tag binds the original header.
        const { header, ciphertext } = decodeMessage('SealedEnvelope', envelope);
        const fields = decodeMessage('EnvelopeHeader', header);
        const relabelled = v1.EnvelopeHeader.encode({
          version: fields.version,
          deviceId: 'pump-0002',
          keyId: b.gateway.keyId,
          streamId: fields.streamId,
          sequence: fields.sequence,
          timestampMs: fields.timestampMs,
          contentType: fields.contentType,
        }).finish();
        expect(codeOf(() => b.gateway.open(v1.SealedEnvelope.encode({ header: relabelled, ciphertext }).finish()))).toBe('ERR_CRYPTO_AUTH_FAILED');
      }),
      { seed, numRuns: 300 },
    );
    expect(b.gateway.openedCount).toBe(0);
  });
});
