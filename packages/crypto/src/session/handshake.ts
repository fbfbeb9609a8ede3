/**
 * Session establishment (ADR 0001).
 *
 * 1. Device → gateway, SessionInit: one HPKE (RFC 9180) auth-mode encapsulation to the gateway's
 *    static X25519 key from the device's static X25519 key, suite DHKEM(X25519, HKDF-SHA256) /
 *    HKDF-SHA256 / AES-256-GCM, info = the encoded SessionInfo. The confirmation (HPKE Seal of a
 *    fixed label, aad = info) proves the device holds its enrolled key: the gateway knows which
 *    device spoke before it keeps any state.
 * 2. Gateway → device, SessionAccept sealed under an exporter-derived accept key: proves the
 *    gateway holds its static key, and carries a fresh gateway nonce, the limits and the time.
 * 3. Both derive the traffic keys with HKDF-SHA256 (node:crypto) from an exported secret salted
 *    with the gateway nonce, so a replayed SessionInit gives keys nobody holds.
 */
import {
  CONTENT_MESSAGE,
  ContentType,
  PROTOCOL_VERSION,
  RANDOM_ID_BYTES,
  STREAM_IDS,
  assertDeviceId,
  decodeMessage,
  encodeMessage,
} from '@medsim/protocol';
import { hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeEnvelope } from '../envelope.js';
import {
  AuthenticationFailedError,
  ContextMismatchError,
  CryptoError,
  HandshakeFailedError,
  HandshakeStaleError,
  UnknownKeyError,
} from '../errors.js';
import type { Identity, PublicIdentity } from '../identity.js';
import { HpkeContext } from '../internal/hpke/context.js';
import { decap, encap } from '../internal/hpke/dhkem-x25519.js';
import { AEAD_AES_256_GCM, MODE } from '../internal/hpke/suite.js';
import { TrafficKey } from '../internal/envelope/traffic-key.js';
import { privateKeysOf } from '../internal/private-keys.js';
import { DEFAULT_REKEY_POLICY, type RekeyPolicy } from './rekey-policy.js';
import { SecureSession } from './secure-session.js';

const CONFIRM_LABEL = Buffer.from('medsim/v1 session-confirm');
const label = (name: string): Buffer => Buffer.from(`medsim/v1 ${name}`);

/** ±5 minutes: the clock skew within which a SessionInit is accepted. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

interface HandshakeSecrets {
  readonly accept: TrafficKey;
  readonly acceptKeyId: Buffer;
  readonly trafficSeed: Buffer;
}

function handshakeSecrets(context: HpkeContext): HandshakeSecrets {
  return {
    accept: new TrafficKey(context.export(label('accept key'), 32), context.export(label('accept nonce'), 12)),
    acceptKeyId: context.export(label('accept key id'), 8),
    trafficSeed: context.export(label('traffic'), 32),
  };
}

interface TrafficSecrets {
  readonly keyId: Buffer;
  readonly deviceToGateway: TrafficKey;
  readonly gatewayToDevice: TrafficKey;
}

function trafficSecrets(seed: Uint8Array, gatewayNonce: Uint8Array): TrafficSecrets {
  const derive = (name: string, length: number): Buffer => Buffer.from(hkdfSync('sha256', seed, gatewayNonce, label(name), length));
  return {
    keyId: derive('key id', 8),
    deviceToGateway: new TrafficKey(derive('d2g key', 32), derive('d2g nonce', 12)),
    gatewayToDevice: new TrafficKey(derive('g2d key', 32), derive('g2d nonce', 12)),
  };
}

/** What a device needs to open a session. */
export interface InitiateSessionOptions {
  /** The device's own identity (its X25519 key is the HPKE sender key). */
  readonly device: Identity;
  readonly deviceId: string;
  /** The gateway's public identity (its X25519 key is the HPKE recipient key). */
  readonly gateway: PublicIdentity;
  /** Device clock, ms since the Unix epoch. */
  readonly now?: () => number;
}

/** A session the device proposed and the gateway has not answered yet. */
export class PendingSession {
  /** The encoded SessionInit to publish on devices/{id}/session. */
  readonly message: Uint8Array;
  readonly deviceId: string;
  readonly #secrets: HandshakeSecrets;
  readonly #now: () => number;

  /** @internal built by initiateSession() */
  constructor(message: Uint8Array, deviceId: string, secrets: HandshakeSecrets, now: () => number) {
    this.message = message;
    this.deviceId = deviceId;
    this.#secrets = secrets;
    this.#now = now;
  }

  /**
   * Opens the gateway's SessionAccept envelope and returns the live session. Throws
   * HandshakeFailedError when it does not come from the gateway holding the expected key.
   */
  complete(acceptEnvelope: Uint8Array): SecureSession {
    const sent = this.#now();
    const envelope = decodeEnvelope(acceptEnvelope);
    const { header } = envelope;
    if (header.contentType !== ContentType.CONTENT_TYPE_SESSION_ACCEPT || header.deviceId !== this.deviceId) {
      throw new ContextMismatchError('not a SessionAccept for this device');
    }
    if (!timingSafeEqual(header.keyId, this.#secrets.acceptKeyId) || header.streamId !== STREAM_IDS.control || header.sequence !== 0) {
      throw new HandshakeFailedError('SessionAccept does not answer this handshake');
    }
    let plaintext: Buffer;
    try {
      plaintext = this.#secrets.accept.open(this.#secrets.accept.nonce(0, 0), envelope.headerBytes, envelope.ciphertext);
    } catch (cause) {
      throw new HandshakeFailedError('SessionAccept did not authenticate (not from the expected gateway key)', { cause });
    }
    const accept = decodeMessage(CONTENT_MESSAGE[ContentType.CONTENT_TYPE_SESSION_ACCEPT], plaintext);
    const traffic = trafficSecrets(this.#secrets.trafficSeed, accept.gatewayNonce);
    if (!timingSafeEqual(traffic.keyId, accept.keyId)) {
      throw new HandshakeFailedError('SessionAccept key id does not match the derived keys');
    }
    return new SecureSession({
      role: 'device',
      deviceId: this.deviceId,
      keyId: traffic.keyId,
      send: traffic.deviceToGateway,
      receive: traffic.gatewayToDevice,
      policy: { ...DEFAULT_REKEY_POLICY, maxMessages: accept.maxMessages, maxAgeMs: accept.maxAgeMs },
      createdAtMs: sent,
      now: this.#now,
      clockOffsetMs: accept.gatewayTimeMs - sent,
    });
  }
}

/** Device side: builds the SessionInit for the gateway (one HPKE auth-mode encapsulation). */
export function initiateSession(options: InitiateSessionOptions): PendingSession {
  const now = options.now ?? Date.now;
  assertDeviceId(options.deviceId);
  const own = privateKeysOf(options.device);
  const info = encodeMessage('SessionInfo', {
    version: PROTOCOL_VERSION,
    deviceId: options.deviceId,
    deviceKeyId: options.device.public.agreement.kid,
    gatewayKeyId: options.gateway.agreement.kid,
    sessionNonce: randomBytes(RANDOM_ID_BYTES),
    timestampMs: now(),
  });
  const { sharedSecret, enc } = encap(options.gateway.agreement.key, own.agreement);
  const context = new HpkeContext(sharedSecret, { mode: MODE.auth, aeadId: AEAD_AES_256_GCM, info });
  const confirmation = context.seal(info, CONFIRM_LABEL);
  const message = encodeMessage('SessionInit', { info, enc, confirmation });
  return new PendingSession(message, options.deviceId, handshakeSecrets(context), now);
}

/** What the gateway needs to accept sessions. */
export interface AcceptSessionOptions {
  /** The gateway's own identity (its X25519 key is the HPKE recipient key). */
  readonly gateway: Identity;
  /**
   * The enrolled public identity of `deviceId` whose agreement key id is `deviceKeyId`, or
   * undefined: unknown devices and keys are refused.
   */
  readonly resolveDevice: (deviceId: string, deviceKeyId: string) => PublicIdentity | undefined;
  /** Gateway clock, ms since the Unix epoch. */
  readonly now?: () => number;
  readonly policy?: RekeyPolicy;
  readonly maxClockSkewMs?: number;
}

/** The gateway's side of an accepted handshake. */
export interface AcceptedSession {
  readonly session: SecureSession;
  /** The SessionAccept envelope to publish on devices/{id}/session/accept. */
  readonly reply: Uint8Array;
  /**
   * The secrets that rebuild this session's receive side after a gateway restart
   * (resumeGatewaySession). Key material: store it only encrypted, never log it.
   */
  readonly resumption: SessionResumption;
}

/** What rebuilds a gateway session's receive side: key material, keep it encrypted at rest. */
export interface SessionResumption {
  readonly deviceId: string;
  /** 32 bytes exported from the HPKE context. */
  readonly trafficSeed: Uint8Array;
  /** The 16-byte gateway nonce of the SessionAccept. */
  readonly gatewayNonce: Uint8Array;
  readonly createdAtMs: number;
}

/** Options of resumeGatewaySession. */
export interface ResumeSessionOptions {
  readonly now?: () => number;
  readonly policy?: RekeyPolicy;
}

/**
 * Rebuilds the gateway side of a session from its stored resumption secrets, receive-only: a
 * device's envelopes sealed before a gateway restart (and redelivered after it) still open,
 * while anything the gateway sends needs a new session (its send counters are gone, and a nonce
 * must never repeat). Replay windows restart empty: the caller's idempotent store deduplicates.
 */
export function resumeGatewaySession(resumption: SessionResumption, options: ResumeSessionOptions = {}): SecureSession {
  assertDeviceId(resumption.deviceId);
  if (resumption.trafficSeed.length !== 32 || resumption.gatewayNonce.length !== RANDOM_ID_BYTES) {
    throw new HandshakeFailedError('stored session secrets have the wrong length');
  }
  const traffic = trafficSecrets(resumption.trafficSeed, resumption.gatewayNonce);
  return new SecureSession({
    role: 'gateway',
    deviceId: resumption.deviceId,
    keyId: traffic.keyId,
    send: traffic.gatewayToDevice,
    receive: traffic.deviceToGateway,
    policy: options.policy ?? DEFAULT_REKEY_POLICY,
    createdAtMs: resumption.createdAtMs,
    now: options.now ?? Date.now,
    receiveOnly: true,
  });
}

/**
 * Gateway side: verifies a SessionInit and returns the session and the SessionAccept envelope.
 * Throws typed errors only: the protocol's for malformed input, UnknownKeyError for keys that
 * are not ours or not enrolled, HandshakeStaleError, HandshakeFailedError.
 */
export function acceptSession(initBytes: Uint8Array, options: AcceptSessionOptions): AcceptedSession {
  const now = options.now ?? Date.now;
  const policy = options.policy ?? DEFAULT_REKEY_POLICY;
  const init = decodeMessage('SessionInit', initBytes);
  const info = decodeMessage('SessionInfo', init.info);
  const gateway = privateKeysOf(options.gateway);
  if (info.gatewayKeyId !== options.gateway.public.agreement.kid) {
    throw new UnknownKeyError('SessionInit names another gateway key');
  }
  const device = options.resolveDevice(info.deviceId, info.deviceKeyId);
  if (device === undefined || device.agreement.kid !== info.deviceKeyId) {
    throw new UnknownKeyError('device or device key is not enrolled');
  }
  const at = now();
  if (Math.abs(at - info.timestampMs) > (options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS)) {
    throw new HandshakeStaleError('SessionInit timestamp is outside the allowed clock skew');
  }
  let context: HpkeContext;
  try {
    const sharedSecret = decap(init.enc, gateway.agreement, device.agreement.key);
    context = new HpkeContext(sharedSecret, { mode: MODE.auth, aeadId: AEAD_AES_256_GCM, info: init.info });
    const confirmed = context.open(init.info, init.confirmation);
    if (!timingSafeEqual(confirmed, CONFIRM_LABEL)) throw new AuthenticationFailedError('wrong confirmation label');
  } catch (cause) {
    if (cause instanceof CryptoError && cause.code === 'ERR_CRYPTO_INVALID_KEY') throw cause;
    throw new HandshakeFailedError('SessionInit did not verify against the enrolled device key', { cause });
  }
  const secrets = handshakeSecrets(context);
  const gatewayNonce = randomBytes(RANDOM_ID_BYTES);
  const traffic = trafficSecrets(secrets.trafficSeed, gatewayNonce);
  const accept = encodeMessage('SessionAccept', {
    keyId: traffic.keyId,
    gatewayTimeMs: at,
    maxMessages: policy.maxMessages,
    maxAgeMs: policy.maxAgeMs,
    gatewayNonce,
  });
  // The accept key seals exactly one envelope, on the control stream at sequence 0.
  const acceptSealer = new SecureSession({
    role: 'gateway',
    deviceId: info.deviceId,
    keyId: secrets.acceptKeyId,
    send: secrets.accept,
    receive: secrets.accept,
    policy: { ...policy, maxMessages: 1 },
    createdAtMs: at,
    now,
  });
  const reply = acceptSealer.seal(ContentType.CONTENT_TYPE_SESSION_ACCEPT, accept, { streamId: STREAM_IDS.control });
  const session = new SecureSession({
    role: 'gateway',
    deviceId: info.deviceId,
    keyId: traffic.keyId,
    send: traffic.gatewayToDevice,
    receive: traffic.deviceToGateway,
    policy,
    createdAtMs: at,
    now,
  });
  return {
    session,
    reply,
    resumption: { deviceId: info.deviceId, trafficSeed: secrets.trafficSeed, gatewayNonce, createdAtMs: at },
  };
}
