/**
 * The simulated firmware itself: a deterministic payload for a model and version. It starts with a
 * descriptor (u32 length, then JSON) that the simulated device "runs" after booting the image (the
 * self-test result its health check reports), followed by filler: the AES-256-CTR keystream under a
 * key derived from model and version, so the same inputs give the same bytes and different
 * versions share none.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { InvalidImageSpecError } from '../errors.js';
import { IMAGE_LIMITS } from './format.js';

/** What the simulated firmware does when it runs (read by the device after boot). */
export interface FirmwareDescriptor {
  readonly model: string;
  readonly version: string;
  /** The post-boot self-test: 'fail' makes the trial boot's health check fail (the update reverts). */
  readonly selfTest: 'pass' | 'fail';
}

const FILLER_CHUNK = 1024 * 1024;

/** The payload bytes: descriptor then deterministic filler, `size` bytes in all. */
export function buildPayload(descriptor: FirmwareDescriptor, size: number): Uint8Array {
  const json = Buffer.from(JSON.stringify({ model: descriptor.model, version: descriptor.version, selfTest: descriptor.selfTest }), 'utf8');
  const head = 4 + json.length;
  if (!Number.isInteger(size) || size < Math.max(head, IMAGE_LIMITS.minPayloadBytes) || size > IMAGE_LIMITS.maxPayloadBytes) {
    throw new InvalidImageSpecError(`payload size must be a whole number of bytes from ${Math.max(head, IMAGE_LIMITS.minPayloadBytes)} to ${IMAGE_LIMITS.maxPayloadBytes}`, { details: { field: 'payloadSize' } });
  }
  const out = Buffer.alloc(size);
  out.writeUInt32BE(json.length, 0);
  json.copy(out, 4);
  const key = createHash('sha256').update(`medsim firmware filler\0${descriptor.model}\0${descriptor.version}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(Math.min(FILLER_CHUNK, size));
  for (let at = head; at < size; at += FILLER_CHUNK) {
    const n = Math.min(FILLER_CHUNK, size - at);
    cipher.update(zeros.subarray(0, n)).copy(out, at);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** The descriptor at the start of a payload; undefined when it is not one (a foreign or damaged image). */
export function readDescriptor(payload: Uint8Array): FirmwareDescriptor | undefined {
  if (payload.length < 4) return undefined;
  const length = Buffer.from(payload.buffer, payload.byteOffset, payload.length).readUInt32BE(0);
  if (length > 1024 || 4 + length > payload.length) return undefined;
  try {
    const value = JSON.parse(Buffer.from(payload.subarray(4, 4 + length)).toString('utf8')) as Partial<FirmwareDescriptor>;
    if (typeof value.model !== 'string' || typeof value.version !== 'string' || (value.selfTest !== 'pass' && value.selfTest !== 'fail')) return undefined;
    return { model: value.model, version: value.version, selfTest: value.selfTest };
  } catch {
    return undefined;
  }
}
