/**
 * The gateway's side of device sessions (ADR 0001): handshakes accepted against the enrolled
 * device keys, live sessions routed by key id, and each session's resumption secrets stored
 * encrypted at rest so that envelopes a device sealed before a gateway restart still open after
 * it (receive-only: the gateway never seals with a resumed session). CTL-05, CTL-07, CTL-08.
 */
import {
  acceptSession,
  resumeGatewaySession,
  SessionRegistry,
  UnknownKeyError,
  ContextMismatchError,
  RekeyRequiredError,
  type Identity,
  type RekeyPolicy,
  type RoutedEnvelope,
  type SecureSession,
  DEFAULT_REKEY_POLICY,
  decodeEnvelope,
} from '@medsim/crypto';
import type { ContentType } from '@medsim/protocol';
import { DeviceUnreachableError } from '../errors.js';
import type { DataKey } from '../store/at-rest.js';
import type { Database } from '../store/database.js';
import type { DeviceRegistry } from '../devices/device-registry.js';

/** Most resumed sessions held in memory (least recently used are dropped and reloaded on need). */
const MAX_RESUMED = 10_000;

interface StoredSecrets {
  readonly trafficSeed: string;
  readonly gatewayNonce: string;
  readonly createdAtMs: number;
}

const contextOf = (keyIdHex: string): string => `device-session|${keyIdHex}`;

/** Options of DeviceSessions. */
export interface DeviceSessionsOptions {
  readonly db: Database;
  readonly dataKey: DataKey;
  readonly identity: Identity;
  readonly devices: DeviceRegistry;
  readonly now: () => number;
  readonly policy?: RekeyPolicy;
}

/** Live and resumable sessions of all devices. */
export class DeviceSessions {
  readonly #o: DeviceSessionsOptions;
  readonly #policy: RekeyPolicy;
  readonly #live: SessionRegistry;
  readonly #resumed = new Map<string, SecureSession>();
  readonly #insert;
  readonly #select;

  constructor(options: DeviceSessionsOptions) {
    this.#o = options;
    this.#policy = options.policy ?? DEFAULT_REKEY_POLICY;
    this.#live = new SessionRegistry({ now: options.now });
    this.#insert = options.db.prepare(
      'INSERT OR REPLACE INTO device_sessions (key_id, device_id, secrets_enc, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.#select = options.db.prepare('SELECT device_id, secrets_enc, expires_at FROM device_sessions WHERE key_id = ?');
  }

  /**
   * Accepts a SessionInit from `deviceId` (the authenticated connection's identity, which must be
   * the one inside the handshake). Stores the resumption secrets before returning the
   * SessionAccept envelope to send. Throws the crypto and protocol packages' typed errors.
   */
  accept(initBytes: Uint8Array, deviceId: string): Uint8Array {
    const { session, reply, resumption } = acceptSession(initBytes, {
      gateway: this.#o.identity,
      // Only the connection's own device may open a session: a device cannot open one for another.
      resolveDevice: (id, _kid) => (id === deviceId ? this.#o.devices.identityOf(id) : undefined),
      now: this.#o.now,
      policy: this.#policy,
    });
    const keyIdHex = Buffer.from(session.keyId).toString('hex');
    const secrets: StoredSecrets = {
      trafficSeed: Buffer.from(resumption.trafficSeed).toString('base64'),
      gatewayNonce: Buffer.from(resumption.gatewayNonce).toString('base64'),
      createdAtMs: resumption.createdAtMs,
    };
    this.#insert.run(
      Buffer.from(session.keyId),
      deviceId,
      this.#o.dataKey.sealText(JSON.stringify(secrets), contextOf(keyIdHex)),
      resumption.createdAtMs,
      resumption.createdAtMs + this.#policy.maxAgeMs + this.#policy.receiveGraceMs,
    );
    this.#live.add(session);
    return reply;
  }

  /**
   * Opens an envelope from `deviceId`: by its live session, else by a session resumed from the
   * store. Throws UnknownKeyError for a key id that is neither, or that belongs to another device.
   */
  open(bytes: Uint8Array, deviceId: string): RoutedEnvelope {
    const envelope = decodeEnvelope(bytes);
    // An envelope of another device arriving on this device's connection is refused before any
    // session state (its replay window) is touched.
    if (envelope.header.deviceId !== deviceId) throw new ContextMismatchError("envelope device id is not the connection's device");
    try {
      return this.#live.open(bytes);
    } catch (error) {
      if (!(error instanceof UnknownKeyError)) throw error;
      const session = this.#resume(Buffer.from(envelope.header.keyId).toString('hex'), deviceId);
      if (session === undefined) throw error;
      return { session, ...session.openDecoded(envelope) };
    }
  }

  /**
   * Opens an envelope with a throwaway session rebuilt from the store, outside the live replay
   * window. Only for an envelope that authenticated before but whose commit failed (F7: the
   * window already holds its sequence, so its resend would be refused as a replay and the
   * reading lost). The tag is verified as always; the readings table's unique key, not the
   * window, keeps it from being stored twice.
   */
  reopen(bytes: Uint8Array, deviceId: string): RoutedEnvelope {
    const envelope = decodeEnvelope(bytes);
    if (envelope.header.deviceId !== deviceId) throw new ContextMismatchError("envelope device id is not the connection's device");
    const session = this.#load(Buffer.from(envelope.header.keyId).toString('hex'), deviceId);
    if (session === undefined) throw new UnknownKeyError('no stored session has this key id');
    return { session, ...session.openDecoded(envelope) };
  }

  /**
   * Seals `plaintext` toward `deviceId` with its newest live session (gateway → device). A
   * resumed session is receive-only (its send counters were lost with the restart, and a nonce
   * must never repeat), so a device with only resumed sessions is unreachable until it opens a new
   * one. Throws DeviceUnreachableError (`no-live-session`, `session-needs-rekey`), and the
   * crypto package's typed errors for anything else.
   */
  sealFor(deviceId: string, contentType: ContentType, plaintext: Uint8Array, streamId: number): Uint8Array {
    const session = this.#live.currentFor(deviceId);
    if (session === undefined || session.receiveOnly) throw new DeviceUnreachableError('no-live-session', 'the device has no live session');
    try {
      return session.seal(contentType, plaintext, { streamId });
    } catch (error) {
      if (error instanceof RekeyRequiredError) throw new DeviceUnreachableError('session-needs-rekey', 'the device session reached its limits', { cause: error });
      throw error;
    }
  }

  /** The authenticated-later header of an envelope, decoded without opening it. */
  peek(bytes: Uint8Array): ReturnType<typeof decodeEnvelope> {
    return decodeEnvelope(bytes);
  }

  /** Forgets a device's sessions (revocation). */
  forget(deviceId: string): void {
    this.#live.removeDevice(deviceId);
    for (const [keyIdHex, session] of this.#resumed) if (session.deviceId === deviceId) this.#resumed.delete(keyIdHex);
  }

  #resume(keyIdHex: string, deviceId: string): SecureSession | undefined {
    const cached = this.#resumed.get(keyIdHex);
    if (cached !== undefined) return cached.deviceId === deviceId ? cached : undefined;
    const session = this.#load(keyIdHex, deviceId);
    if (session === undefined) return undefined;
    if (this.#resumed.size >= MAX_RESUMED) this.#resumed.delete(this.#resumed.keys().next().value!);
    this.#resumed.set(keyIdHex, session);
    return session;
  }

  /** A receive-only session rebuilt from its stored secrets (not cached). */
  #load(keyIdHex: string, deviceId: string): SecureSession | undefined {
    const row = this.#select.get(Buffer.from(keyIdHex, 'hex')) as { device_id: string; secrets_enc: Buffer; expires_at: number } | undefined;
    if (row === undefined || row.device_id !== deviceId || row.expires_at <= this.#o.now()) return undefined;
    const secrets = JSON.parse(this.#o.dataKey.openText(row.secrets_enc, contextOf(keyIdHex))) as StoredSecrets;
    return resumeGatewaySession(
      {
        deviceId,
        trafficSeed: Buffer.from(secrets.trafficSeed, 'base64'),
        gatewayNonce: Buffer.from(secrets.gatewayNonce, 'base64'),
        createdAtMs: secrets.createdAtMs,
      },
      { now: this.#o.now, policy: this.#policy },
    );
  }
}
