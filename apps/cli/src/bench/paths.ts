/**
 * The four paths the crypto benchmark compares, each a one-message operation on a payload of a
 * given size (sealed and opened, since a reading must be both):
 * - raw: node:crypto AES-256-GCM seal + open, nothing else (the in-process limit);
 * - tuned: SecureSession.seal + open, header encode and decode and replay check included;
 * - waveform: a WaveformFrame whose samples fill the payload, encoded (samples passed through as
 *   a chunk, not copied), sealed, opened, decoded and validated;
 * - jwe: one compact JWE per reading (ECDH-ES+A256KW / A256GCM) with jose, encrypt + decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  ContentType,
  SampleEncoding,
  STREAM_IDS,
  Unit,
  VitalParameter,
  decodeMessage,
  encodeWaveformFrame,
} from '@medsim/protocol';
import { Identity, acceptSession, initiateSession, openJwe, sealJwe, type SecureSession } from '@medsim/crypto';
import type { Operation } from './measure.js';

/** A benchmark path. */
export type PathName = 'raw' | 'tuned' | 'waveform' | 'jwe';

/** Display names of the paths. */
export const PATH_LABELS: Readonly<Record<PathName, string>> = {
  raw: 'raw node:crypto AES-256-GCM',
  tuned: 'tuned envelope',
  waveform: 'batched waveform frame',
  jwe: 'jose JWE per reading',
};

/** Gateway and device identities plus one established session pair. */
export interface Parties {
  readonly gateway: Identity;
  readonly device: Identity;
  session(): { device: SecureSession; gateway: SecureSession };
}

/** Creates identities once; every path gets its own fresh session. */
export async function createParties(): Promise<Parties> {
  const gateway = await Identity.generate();
  const device = await Identity.generate();
  return {
    gateway,
    device,
    session() {
      const pending = initiateSession({ device, deviceId: 'bench-device-0001', gateway: gateway.public });
      const accepted = acceptSession(pending.message, { gateway, resolveDevice: () => device.public });
      return { device: pending.complete(accepted.reply), gateway: accepted.session };
    },
  };
}

function rawAesGcm(size: number): Operation {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const plaintext = randomBytes(size);
  let counter = 0;
  return () => {
    nonce.writeUInt32BE(counter++ >>> 0, 8); // a fresh nonce per message, as any real use needs
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    const ciphertext = cipher.update(plaintext);
    cipher.final();
    const tag = cipher.getAuthTag();
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAuthTag(tag);
    decipher.update(ciphertext);
    decipher.final();
  };
}

function tunedEnvelope(parties: Parties, size: number): Operation {
  const { device, gateway } = parties.session();
  const plaintext = randomBytes(size);
  return () => gateway.open(device.seal(ContentType.CONTENT_TYPE_VITAL_SIGN_READING, plaintext, { streamId: STREAM_IDS.numerics }));
}

function batchedWaveform(parties: Parties, size: number): Operation {
  const { device, gateway } = parties.session();
  const sampleCount = Math.max(1, Math.floor(size / 2));
  const samples = randomBytes(sampleCount * 2);
  let index = 0;
  return () => {
    const frame = encodeWaveformFrame({
      sampleRateMillihertz: 250_000,
      firstSampleIndex: index,
      firstSampleTimeMs: 1_764_000_000_000 + index * 4,
      encoding: SampleEncoding.SAMPLE_ENCODING_INT16_LE,
      sampleCount,
      channels: [{ parameter: VitalParameter.MDC_ECG_ELEC_POTL_II, unit: Unit.MDC_DIM_MILLI_VOLT, scale: 0.005, offset: 0, samples }],
    });
    index += sampleCount;
    const opened = gateway.open(device.seal(ContentType.CONTENT_TYPE_WAVEFORM_FRAME, frame, { streamId: STREAM_IDS.waveform }));
    decodeMessage('WaveformFrame', opened.plaintext);
  };
}

function josePerReading(parties: Parties, size: number): Operation {
  const plaintext = randomBytes(size);
  return async () => openJwe(await sealJwe(plaintext, parties.gateway.public.agreement), parties.gateway);
}

/** The operation of `path` for payloads of `size` bytes. */
export function operationFor(path: PathName, parties: Parties, size: number): Operation {
  switch (path) {
    case 'raw':
      return rawAesGcm(size);
    case 'tuned':
      return tunedEnvelope(parties, size);
    case 'waveform':
      return batchedWaveform(parties, size);
    case 'jwe':
      return josePerReading(parties, size);
  }
}

/** One full handshake, device and gateway sides. */
export function handshakeOperation(parties: Parties): Operation {
  return () => parties.session();
}
