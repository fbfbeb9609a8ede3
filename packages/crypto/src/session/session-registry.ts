/**
 * The gateway's table of live sessions, routed by the 8-byte key id in each header. A device
 * has at most two: the current one and, for `overlapMs` after a rekey, the previous one, so that
 * envelopes sealed just before the rekey still open (C8) and nothing older does.
 */
import { decodeEnvelope } from '../envelope.js';
import { CapacityError, UnknownKeyError } from '../errors.js';
import type { OpenedEnvelope, SecureSession } from './secure-session.js';

/** Registry limits. */
export interface SessionRegistryOptions {
  /** Most sessions held at once (each device holds one or two). */
  readonly maxSessions?: number;
  /** How long a replaced session still opens envelopes, in ms (60 s by default). */
  readonly overlapMs?: number;
  readonly now?: () => number;
}

interface DeviceSessions {
  current: SecureSession;
  previous?: { readonly session: SecureSession; readonly retireAtMs: number };
}

/** An opened envelope and the session it belongs to. */
export interface RoutedEnvelope extends OpenedEnvelope {
  readonly session: SecureSession;
}

const hex = (keyId: Uint8Array): string => Buffer.from(keyId.buffer, keyId.byteOffset, keyId.byteLength).toString('hex');

/** Live sessions by key id and by device. */
export class SessionRegistry {
  readonly #byKeyId = new Map<string, SecureSession>();
  readonly #byDevice = new Map<string, DeviceSessions>();
  readonly #maxSessions: number;
  readonly #overlapMs: number;
  readonly #now: () => number;

  constructor(options: SessionRegistryOptions = {}) {
    this.#maxSessions = options.maxSessions ?? 100_000;
    this.#overlapMs = options.overlapMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Sessions held now. */
  get size(): number {
    return this.#byKeyId.size;
  }

  /** The current session of a device. */
  currentFor(deviceId: string): SecureSession | undefined {
    return this.#byDevice.get(deviceId)?.current;
  }

  /**
   * Adds a device's new session. Its current session becomes the previous one until the overlap
   * ends; an older previous one is dropped at once. Throws CapacityError when full.
   */
  add(session: SecureSession): void {
    const existing = this.#byDevice.get(session.deviceId);
    if (existing === undefined && this.#byKeyId.size >= this.#maxSessions) {
      throw new CapacityError('session registry is full', { details: { maxSessions: this.#maxSessions } });
    }
    if (existing === undefined) {
      this.#byDevice.set(session.deviceId, { current: session });
    } else {
      if (existing.previous !== undefined) this.#byKeyId.delete(hex(existing.previous.session.keyId));
      existing.previous = { session: existing.current, retireAtMs: this.#now() + this.#overlapMs };
      existing.current = session;
    }
    this.#byKeyId.set(hex(session.keyId), session);
  }

  /** Drops every session of a device (disconnect, revocation). */
  removeDevice(deviceId: string): void {
    const entry = this.#byDevice.get(deviceId);
    if (entry === undefined) return;
    this.#byKeyId.delete(hex(entry.current.keyId));
    if (entry.previous !== undefined) this.#byKeyId.delete(hex(entry.previous.session.keyId));
    this.#byDevice.delete(deviceId);
  }

  /**
   * Opens an envelope with the session its key id names. Throws UnknownKeyError for key ids
   * never registered or retired after their overlap, then the session's own refusals.
   */
  open(bytes: Uint8Array): RoutedEnvelope {
    const envelope = decodeEnvelope(bytes);
    const keyId = hex(envelope.header.keyId);
    const session = this.#byKeyId.get(keyId);
    if (session === undefined) throw new UnknownKeyError('no session has this key id');
    const entry = this.#byDevice.get(session.deviceId);
    if (entry?.previous?.session === session && this.#now() >= entry.previous.retireAtMs) {
      this.#byKeyId.delete(keyId);
      delete entry.previous;
      throw new UnknownKeyError('session was retired after a rekey');
    }
    return { session, ...session.openDecoded(envelope) };
  }
}
