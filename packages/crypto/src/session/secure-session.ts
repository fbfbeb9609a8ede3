/**
 * An established session: two directional AES-256-GCM traffic keys, per-stream sequence counters
 * for sealing and per-stream replay windows for opening. One public-key operation per session,
 * then only symmetric work per envelope (ADR 0001).
 */
import {
  AEAD_TAG_BYTES,
  type ContentType,
  EnvelopeFrameWriter,
  MAX_STREAMS_PER_SESSION,
  PAYLOAD_MAX_BYTES,
  type DecodedEnvelope,
  type EnvelopeHeaderFields,
} from '@medsim/protocol';
import { timingSafeEqual } from 'node:crypto';
import { decodeEnvelope } from '../envelope.js';
import {
  CapacityError,
  ContextMismatchError,
  InputTooLargeError,
  RekeyRequiredError,
  SessionExpiredError,
  WrongKeyError,
} from '../errors.js';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow } from '../replay-window.js';
import type { TrafficKey } from '../internal/envelope/traffic-key.js';
import type { RekeyPolicy } from './rekey-policy.js';

/** Which end of the session this object is. */
export type SessionRole = 'device' | 'gateway';

/** Options of one seal. */
export interface SealOptions {
  /** Stream id (see STREAM_IDS); 0 by default. */
  readonly streamId?: number;
  /** Header timestamp; the session clock by default. */
  readonly timestampMs?: number;
}

/** An opened envelope. */
export interface OpenedEnvelope {
  readonly header: EnvelopeHeaderFields;
  readonly plaintext: Uint8Array;
}

/** What SecureSession is built from (by the handshake). */
export interface SecureSessionInit {
  readonly role: SessionRole;
  readonly deviceId: string;
  readonly keyId: Uint8Array;
  readonly send: TrafficKey;
  readonly receive: TrafficKey;
  readonly policy: RekeyPolicy;
  readonly createdAtMs: number;
  readonly now: () => number;
  /** Gateway clock minus device clock at the handshake, ms (device side; 0 on the gateway). */
  readonly clockOffsetMs?: number;
  readonly replayWindow?: number;
  /**
   * A session rebuilt from stored secrets after a restart (resumeGatewaySession): it opens
   * envelopes but never seals, because its send counters are lost and a nonce must never repeat.
   */
  readonly receiveOnly?: boolean;
}

/** A live, symmetric session between one device and the gateway. */
export class SecureSession {
  readonly role: SessionRole;
  readonly deviceId: string;
  /** The 8-byte session key id carried in every header. */
  readonly keyId: Uint8Array;
  readonly policy: RekeyPolicy;
  readonly createdAtMs: number;
  /** Gateway clock minus device clock at the handshake, in ms (0 on the gateway side). */
  readonly clockOffsetMs: number;
  readonly #send: TrafficKey;
  readonly #receive: TrafficKey;
  readonly #frames: EnvelopeFrameWriter;
  readonly #now: () => number;
  readonly #windowSize: number;
  readonly #nextSequence = new Map<number, number>();
  readonly #windows = new Map<number, ReplayWindow>();
  readonly #receiveOnly: boolean;
  #sealed = 0;
  #opened = 0;

  constructor(init: SecureSessionInit) {
    this.role = init.role;
    this.deviceId = init.deviceId;
    this.keyId = Buffer.from(init.keyId);
    this.policy = init.policy;
    this.createdAtMs = init.createdAtMs;
    this.clockOffsetMs = init.clockOffsetMs ?? 0;
    this.#frames = new EnvelopeFrameWriter(init.deviceId, init.keyId);
    this.#send = init.send;
    this.#receive = init.receive;
    this.#now = init.now;
    this.#windowSize = init.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    this.#receiveOnly = init.receiveOnly ?? false;
  }

  /** True for a session resumed after a restart: it opens envelopes but refuses to seal. */
  get receiveOnly(): boolean {
    return this.#receiveOnly;
  }

  /** Envelopes sealed so far (this direction). */
  get sealedCount(): number {
    return this.#sealed;
  }

  /** Envelopes opened so far (the other direction). */
  get openedCount(): number {
    return this.#opened;
  }

  /** True once either limit reaches the policy's rekey fraction: open a new session soon. */
  needsRekey(): boolean {
    const { maxMessages, maxAgeMs, rekeyAtFraction } = this.policy;
    const used = Math.max(this.#sealed, this.#opened) / maxMessages;
    return used >= rekeyAtFraction || (this.#now() - this.createdAtMs) / maxAgeMs >= rekeyAtFraction;
  }

  /**
   * Seals `plaintext` (bytes, or chunks to be sealed as their concatenation, such as
   * encodeWaveformFrame() returns) as the message named by `contentType`. Throws
   * RekeyRequiredError at the policy's limits (a nonce is never reused and a counter never
   * wraps), InputTooLargeError above the protocol's payload limit, CapacityError past
   * MAX_STREAMS_PER_SESSION streams.
   */
  seal(contentType: ContentType, plaintext: Uint8Array | readonly Uint8Array[], options: SealOptions = {}): Uint8Array {
    const chunks = plaintext instanceof Uint8Array ? [plaintext] : plaintext;
    let length = 0;
    for (const chunk of chunks) length += chunk.length;
    const now = this.#now();
    if (this.#receiveOnly) {
      throw new RekeyRequiredError('a resumed session only opens envelopes; open a new session to send', {
        details: { receiveOnly: true },
      });
    }
    if (this.#sealed >= this.policy.maxMessages || now - this.createdAtMs >= this.policy.maxAgeMs) {
      throw new RekeyRequiredError('session reached its message or age limit', {
        details: { sealed: this.#sealed, maxMessages: this.policy.maxMessages },
      });
    }
    if (length > PAYLOAD_MAX_BYTES) {
      throw new InputTooLargeError(`plaintext is ${length} bytes; the limit is ${PAYLOAD_MAX_BYTES}`, {
        details: { size: length, limit: PAYLOAD_MAX_BYTES },
      });
    }
    const streamId = options.streamId ?? 0;
    const sequence = this.#nextSequence.get(streamId) ?? this.#newStream();
    const frame = this.#frames.frame(
      { streamId, sequence, timestampMs: options.timestampMs ?? now, contentType },
      length + AEAD_TAG_BYTES,
    );
    this.#send.sealInto(this.#send.nonce(streamId, sequence), frame.header, chunks, frame.bytes, frame.ciphertextOffset);
    this.#nextSequence.set(streamId, sequence + 1);
    this.#sealed += 1;
    return frame.bytes;
  }

  #newStream(): number {
    if (this.#nextSequence.size >= MAX_STREAMS_PER_SESSION) {
      throw new CapacityError(`a session seals on at most ${MAX_STREAMS_PER_SESSION} streams`);
    }
    return 0;
  }

  /**
   * Decodes, checks and opens an envelope of the other direction (see openDecoded). This
   * session's own canonical frames take the fast parse; anything else the generic decoder.
   */
  open(envelope: Uint8Array): OpenedEnvelope {
    return this.openDecoded(this.#frames.parse(envelope) ?? decodeEnvelope(envelope));
  }

  /**
   * Opens an already decoded envelope: key id and device id must be this session's, the sequence
   * must pass the stream's replay window (checked before, committed after decryption), and the
   * tag must verify. Each refusal has its own error code; no state changes on refusal.
   */
  openDecoded(envelope: DecodedEnvelope): OpenedEnvelope {
    const { header, headerBytes, ciphertext } = envelope;
    if (header.keyId.length !== this.keyId.length || !timingSafeEqual(header.keyId, this.keyId)) {
      throw new WrongKeyError("envelope key id is not this session's");
    }
    if (header.deviceId !== this.deviceId) {
      throw new ContextMismatchError("envelope device id is not this session's device");
    }
    const now = this.#now();
    const { maxMessages, maxAgeMs, receiveGraceMs } = this.policy;
    if (header.sequence >= maxMessages || now - this.createdAtMs > maxAgeMs + receiveGraceMs) {
      throw new SessionExpiredError('session is past its limits');
    }
    const window = this.#windows.get(header.streamId) ?? this.#newWindow(header.streamId);
    window.check(header.sequence);
    const plaintext = this.#receive.open(this.#receive.nonce(header.streamId, header.sequence), headerBytes, ciphertext);
    window.commit(header.sequence);
    if (!this.#windows.has(header.streamId)) this.#windows.set(header.streamId, window);
    this.#opened += 1;
    return { header, plaintext };
  }

  #newWindow(streamId: number): ReplayWindow {
    if (this.#windows.size >= MAX_STREAMS_PER_SESSION) {
      throw new CapacityError(`a session opens at most ${MAX_STREAMS_PER_SESSION} streams`, { details: { streamId } });
    }
    // Registered only after the first envelope of the stream authenticated (see openDecoded).
    return new ReplayWindow(this.#windowSize);
  }
}
