/**
 * Pairing and link encryption, modelled honestly for what noble can do: Just Works only (noble has
 * no passkey or numeric-comparison callbacks), so the key is never authenticated and nothing here
 * protects against an active man-in-the-middle (docs/adr/0005-ble-link-security.md).
 *
 * - `lesc-just-works`: LE Secure Connections (Bluetooth Core 5.4 Vol 3 Part H §2.3.5.6.2). Each
 *   side makes a P-256 key pair (node:crypto ECDH), the public keys cross the air, the LTK comes
 *   from the ECDH shared secret. A passive sniffer sees both public keys and both nonces and still
 *   cannot compute the key (that is the elliptic-curve Diffie-Hellman problem).
 * - `legacy-just-works`: LE legacy pairing with TK = 0 (§2.3.5.2, §2.3.5.5). The STK depends only
 *   on TK and the two random values sent in clear, so a sniffer that saw the pairing derives it and
 *   every session key after it, as Mike Ryan's crackle tool does. `crackLegacyJustWorks` is that
 *   sniffer's computation.
 *
 * MODEL, NOT THE SPECIFICATION'S FUNCTIONS: the confirm, key and check functions f4, f5, f6, c1,
 * s1 and the session key e(LTK, SKD) are not reproduced bit for bit. They are replaced by HMAC-SHA-256
 * and HKDF-SHA-256 from node:crypto with the same inputs, so they keep the property that matters
 * (who can compute the key from what crossed the air) without hand-rolled primitives. The link
 * itself is sealed with real AES-128-CCM and a 4-octet MIC, nonce = 39-bit packet counter,
 * direction bit and the 8-octet IV (Vol 6 Part E §1–§2). Keys are never bonded: pairing lasts for
 * one connection.
 */
import { createCipheriv, createDecipheriv, createECDH, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { AttMalformedError } from '../errors.js';

/** The pairing methods noble can drive. */
export type PairingMethod = 'lesc-just-works' | 'legacy-just-works';

/** A peripheral's pairing policy: the method it accepts, or 'none' (Pairing Not Supported). */
export type PairingPolicy = PairingMethod | 'none';

/** Which way a PDU travels on a link. */
export type LinkDirection = 'central-to-peripheral' | 'peripheral-to-central';

/** SMP command codes (Bluetooth Core 5.4 Vol 3 Part H §3.3, table 3.3). */
export const SMP_CODE = {
  PAIRING_REQUEST: 0x01,
  PAIRING_RESPONSE: 0x02,
  PAIRING_CONFIRM: 0x03,
  PAIRING_RANDOM: 0x04,
  PAIRING_FAILED: 0x05,
  PAIRING_PUBLIC_KEY: 0x0c,
  PAIRING_DHKEY_CHECK: 0x0d,
} as const;

/** SMP Pairing Failed reasons (Bluetooth Core 5.4 Vol 3 Part H §3.5.5, table 3.7). */
export const SMP_REASON = {
  PASSKEY_ENTRY_FAILED: 0x01,
  OOB_NOT_AVAILABLE: 0x02,
  AUTHENTICATION_REQUIREMENTS: 0x03,
  CONFIRM_VALUE_FAILED: 0x04,
  PAIRING_NOT_SUPPORTED: 0x05,
  ENCRYPTION_KEY_SIZE: 0x06,
  COMMAND_NOT_SUPPORTED: 0x07,
  UNSPECIFIED_REASON: 0x08,
  INVALID_PARAMETERS: 0x0a,
  DHKEY_CHECK_FAILED: 0x0b,
} as const;

/** AuthReq bits (Bluetooth Core 5.4 Vol 3 Part H §3.5.1). */
export const SMP_AUTH_REQ = { BONDING: 0x01, MITM: 0x04, SECURE_CONNECTIONS: 0x08 } as const;

/** IO capability NoInputNoOutput: what makes the method Just Works (§2.3.5.1, table 2.8). */
export const IO_CAPABILITY_NO_INPUT_NO_OUTPUT = 0x03;

/** Pairing Request/Response fields (§3.5.1, §3.5.2). */
export interface SmpPairingFeatures {
  readonly ioCapability: number;
  readonly oobDataFlag: number;
  readonly authReq: number;
  /** 7..16 octets. */
  readonly maxEncryptionKeySize: number;
  readonly initiatorKeyDistribution: number;
  readonly responderKeyDistribution: number;
}

/** An SMP PDU, decoded. */
export type SmpPdu =
  | ({ readonly code: 'pairing-request' | 'pairing-response' } & SmpPairingFeatures)
  | { readonly code: 'pairing-confirm' | 'pairing-random' | 'pairing-dhkey-check'; readonly value: Buffer }
  | { readonly code: 'pairing-failed'; readonly reason: number }
  | { readonly code: 'pairing-public-key'; readonly x: Buffer; readonly y: Buffer };

const SMP_CODES: Readonly<Record<SmpPdu['code'], number>> = {
  'pairing-request': SMP_CODE.PAIRING_REQUEST,
  'pairing-response': SMP_CODE.PAIRING_RESPONSE,
  'pairing-confirm': SMP_CODE.PAIRING_CONFIRM,
  'pairing-random': SMP_CODE.PAIRING_RANDOM,
  'pairing-failed': SMP_CODE.PAIRING_FAILED,
  'pairing-public-key': SMP_CODE.PAIRING_PUBLIC_KEY,
  'pairing-dhkey-check': SMP_CODE.PAIRING_DHKEY_CHECK,
};

/** The octets of an SMP PDU (multi-octet values little-endian, §3.1). */
export function encodeSmpPdu(pdu: SmpPdu): Buffer {
  const code = Buffer.from([SMP_CODES[pdu.code]]);
  switch (pdu.code) {
    case 'pairing-request':
    case 'pairing-response':
      return Buffer.concat([
        code,
        Buffer.from([pdu.ioCapability, pdu.oobDataFlag, pdu.authReq, pdu.maxEncryptionKeySize, pdu.initiatorKeyDistribution, pdu.responderKeyDistribution]),
      ]);
    case 'pairing-confirm':
    case 'pairing-random':
    case 'pairing-dhkey-check':
      return Buffer.concat([code, pdu.value]);
    case 'pairing-failed':
      return Buffer.concat([code, Buffer.from([pdu.reason])]);
    case 'pairing-public-key':
      return Buffer.concat([code, pdu.x, pdu.y]);
  }
}

/** Decodes an SMP PDU; throws AttMalformedError for a wrong length or unknown code. */
export function decodeSmpPdu(bytes: Uint8Array): SmpPdu {
  const buffer = Buffer.from(bytes);
  const code = (Object.keys(SMP_CODES) as SmpPdu['code'][]).find((name) => SMP_CODES[name] === buffer[0]);
  const body = buffer.subarray(1);
  const expect = (length: number): void => {
    if (body.length !== length) throw new AttMalformedError(`SMP ${code ?? 'PDU'}: ${body.length} octets, expected ${length}`);
  };
  switch (code) {
    case 'pairing-request':
    case 'pairing-response':
      expect(6);
      return {
        code,
        ioCapability: body[0] ?? 0,
        oobDataFlag: body[1] ?? 0,
        authReq: body[2] ?? 0,
        maxEncryptionKeySize: body[3] ?? 0,
        initiatorKeyDistribution: body[4] ?? 0,
        responderKeyDistribution: body[5] ?? 0,
      };
    case 'pairing-confirm':
    case 'pairing-random':
    case 'pairing-dhkey-check':
      expect(16);
      return { code, value: Buffer.from(body) };
    case 'pairing-failed':
      expect(1);
      return { code, reason: body[0] ?? 0 };
    case 'pairing-public-key':
      expect(64);
      return { code, x: Buffer.from(body.subarray(0, 32)), y: Buffer.from(body.subarray(32)) };
    case undefined:
      throw new AttMalformedError(`unknown SMP code 0x${(buffer[0] ?? 0).toString(16)}`);
  }
}

/** A device address as the key functions take it: address type octet then the 6 address octets. */
export interface LinkAddress {
  readonly address: string;
  readonly type: 'public' | 'random';
}

/** `type (1) | address (6, little-endian)`: the A1/A2, iat/ia, rat/ra inputs of the key functions. */
export function addressBytes(party: LinkAddress): Buffer {
  return Buffer.concat([Buffer.from([party.type === 'random' ? 1 : 0]), Buffer.from(party.address.replace(/:/g, ''), 'hex').reverse()]);
}

const hmac16 = (key: Buffer, ...parts: Buffer[]): Buffer => createHmac('sha256', key).update(Buffer.concat(parts)).digest().subarray(0, 16);
const hkdf = (ikm: Buffer, salt: Buffer, info: string, extra: Buffer, length: number): Buffer =>
  Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.concat([Buffer.from(info, 'utf8'), extra]), length));

/** Model of f4 (LESC confirm value, §2.2.6): HMAC-SHA-256 keyed by the nonce, truncated to 16 octets. */
export function lescConfirmValue(u: Buffer, v: Buffer, nonce: Buffer, z = 0): Buffer {
  return hmac16(nonce, u, v, Buffer.from([z]));
}

/** Model of f5 (LESC key generation, §2.2.7): HKDF-SHA-256 of the DHKey; MacKey and LTK, 16 octets each. */
export function lescKeys(dhKey: Buffer, initiatorNonce: Buffer, responderNonce: Buffer, a1: Buffer, a2: Buffer): { macKey: Buffer; ltk: Buffer } {
  const okm = hkdf(dhKey, Buffer.concat([initiatorNonce, responderNonce]), 'medsim-ble model f5', Buffer.concat([a1, a2]), 32);
  return { macKey: okm.subarray(0, 16), ltk: okm.subarray(16, 32) };
}

/** Model of f6 (LESC DHKey check, §2.2.8): HMAC-SHA-256 under MacKey, truncated to 16 octets. */
export function lescCheckValue(macKey: Buffer, n1: Buffer, n2: Buffer, ioCap: Buffer, a1: Buffer, a2: Buffer): Buffer {
  return hmac16(macKey, n1, n2, Buffer.alloc(16), ioCap, a1, a2);
}

/** Model of c1 (legacy confirm value, §2.2.3): HMAC-SHA-256 keyed by TK over the same inputs. */
export function legacyConfirmValue(tk: Buffer, rand: Buffer, preq: Buffer, pres: Buffer, initiator: Buffer, responder: Buffer): Buffer {
  return hmac16(tk, rand, pres, preq, initiator, responder);
}

/** Model of s1 (legacy STK, §2.2.4): HKDF-SHA-256 of TK salted with Srand and Mrand, 16 octets. */
export function legacyShortTermKey(tk: Buffer, srand: Buffer, mrand: Buffer): Buffer {
  return hkdf(tk, Buffer.concat([srand, mrand]), 'medsim-ble model s1', Buffer.alloc(0), 16);
}

/** Model of the session key SK = e(LTK, SKDm || SKDs) (Vol 6 Part B §5.1.3.1): HKDF-SHA-256, 16 octets. */
export function linkSessionKey(ltk: Buffer, skdCentral: Buffer, skdPeripheral: Buffer): Buffer {
  return hkdf(ltk, Buffer.concat([skdCentral, skdPeripheral]), 'medsim-ble model session key', Buffer.alloc(0), 16);
}

/** Just Works legacy pairing uses TK = 0 (§2.3.5.2): the whole weakness in one constant. */
export const LEGACY_JUST_WORKS_TK: Buffer = Buffer.alloc(16);

/** What a pairing produced: the method, and the key the link is encrypted with (LTK or STK). */
export interface PairingOutcome {
  readonly method: PairingMethod;
  readonly key: Buffer;
}

/** What one side does after a PDU: PDUs to send, then maybe the end of the pairing. */
export interface PairingStep {
  readonly send: readonly SmpPdu[];
  readonly outcome?: PairingOutcome;
  /** Set when pairing failed; `send` then carries the Pairing Failed PDU, if one is due. */
  readonly failure?: { readonly reason: number; readonly message: string };
}

const features = (code: 'pairing-request' | 'pairing-response', authReq: number): SmpPdu => ({
  code,
  ioCapability: IO_CAPABILITY_NO_INPUT_NO_OUTPUT,
  oobDataFlag: 0,
  authReq,
  maxEncryptionKeySize: 16,
  // No key distribution: keys are not bonded.
  initiatorKeyDistribution: 0,
  responderKeyDistribution: 0,
});

const fail = (reason: number, message: string, tell = true): PairingStep => ({
  send: tell ? [{ code: 'pairing-failed', reason }] : [],
  failure: { reason, message },
});

const same = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);

/** P-256 public key on the air: X and Y, 32 octets each, little-endian (§3.5.6). */
const publicKeyPdu = (uncompressed: Buffer): SmpPdu => ({
  code: 'pairing-public-key',
  x: Buffer.from(uncompressed.subarray(1, 33)).reverse(),
  y: Buffer.from(uncompressed.subarray(33, 65)).reverse(),
});
const uncompressedKey = (x: Buffer, y: Buffer): Buffer => Buffer.concat([Buffer.from([0x04]), Buffer.from(x).reverse(), Buffer.from(y).reverse()]);

/** The central's side of pairing (the SMP initiator). */
export class PairingInitiator {
  private state: 'idle' | 'features' | 'public-key' | 'confirm' | 'random' | 'check' | 'done' = 'idle';
  private preq: Buffer = Buffer.alloc(0);
  private pres: Buffer = Buffer.alloc(0);
  private method: PairingMethod = 'legacy-just-works';
  private readonly ecdh = createECDH('prime256v1');
  private publicKey: Buffer = Buffer.alloc(0);
  private peerPublicX: Buffer = Buffer.alloc(0);
  private dhKey: Buffer = Buffer.alloc(0);
  private readonly nonce: Buffer = randomBytes(16);
  private peerConfirm: Buffer = Buffer.alloc(0);
  private macKey: Buffer = Buffer.alloc(0);
  private ltk: Buffer = Buffer.alloc(0);

  constructor(
    private readonly initiator: LinkAddress,
    private readonly responder: LinkAddress,
    /** Whether MITM protection is required (noble's EncryptionAndAuthentication). */
    private readonly requireMitm: boolean,
  ) {}

  /** The Pairing Request that opens the procedure. */
  start(): SmpPdu {
    this.state = 'features';
    const request = features('pairing-request', SMP_AUTH_REQ.SECURE_CONNECTIONS | (this.requireMitm ? SMP_AUTH_REQ.MITM : 0));
    this.preq = encodeSmpPdu(request);
    return request;
  }

  /** Consumes one PDU from the responder. */
  receive(pdu: SmpPdu): PairingStep {
    if (pdu.code === 'pairing-failed') {
      this.state = 'done';
      return fail(pdu.reason, `the peripheral refused pairing (SMP reason 0x${pdu.reason.toString(16).padStart(2, '0')})`, false);
    }
    const a = addressBytes(this.initiator);
    const b = addressBytes(this.responder);
    if (this.state === 'features' && pdu.code === 'pairing-response') {
      this.pres = encodeSmpPdu(pdu);
      // Both sides are NoInputNoOutput, so the method is Just Works and the key unauthenticated:
      // an initiator that needs MITM protection must stop here (§2.3.5.1).
      if (this.requireMitm) {
        this.state = 'done';
        return fail(SMP_REASON.AUTHENTICATION_REQUIREMENTS, 'MITM protection was required, but Just Works (the only method noble offers) cannot authenticate the key');
      }
      this.method = pdu.authReq & SMP_AUTH_REQ.SECURE_CONNECTIONS ? 'lesc-just-works' : 'legacy-just-works';
      if (this.method === 'lesc-just-works') {
        this.publicKey = this.ecdh.generateKeys();
        this.state = 'public-key';
        return { send: [publicKeyPdu(this.publicKey)] };
      }
      this.state = 'confirm';
      return { send: [{ code: 'pairing-confirm', value: legacyConfirmValue(LEGACY_JUST_WORKS_TK, this.nonce, this.preq, this.pres, a, b) }] };
    }
    if (this.state === 'public-key' && pdu.code === 'pairing-public-key') {
      const peer = uncompressedKey(pdu.x, pdu.y);
      try {
        // Refuses points not on P-256 (the invalid-curve attack of CVE-2018-5383).
        this.dhKey = this.ecdh.computeSecret(peer);
      } catch {
        this.state = 'done';
        return fail(SMP_REASON.DHKEY_CHECK_FAILED, 'the peripheral sent an invalid P-256 public key');
      }
      this.peerPublicX = Buffer.from(pdu.x);
      this.state = 'confirm';
      return { send: [] };
    }
    if (this.state === 'confirm' && pdu.code === 'pairing-confirm') {
      this.peerConfirm = Buffer.from(pdu.value);
      this.state = 'random';
      return { send: [{ code: 'pairing-random', value: this.nonce }] };
    }
    if (this.state === 'random' && pdu.code === 'pairing-random') {
      if (this.method === 'legacy-just-works') {
        if (!same(this.peerConfirm, legacyConfirmValue(LEGACY_JUST_WORKS_TK, pdu.value, this.preq, this.pres, a, b))) {
          this.state = 'done';
          return fail(SMP_REASON.CONFIRM_VALUE_FAILED, 'the peripheral\'s confirm value does not match its random value');
        }
        this.state = 'done';
        return { send: [], outcome: { method: this.method, key: legacyShortTermKey(LEGACY_JUST_WORKS_TK, pdu.value, this.nonce) } };
      }
      const ownX = Buffer.from(this.publicKey.subarray(1, 33)).reverse();
      if (!same(this.peerConfirm, lescConfirmValue(this.peerPublicX, ownX, pdu.value))) {
        this.state = 'done';
        return fail(SMP_REASON.CONFIRM_VALUE_FAILED, 'the peripheral\'s confirm value does not match its nonce');
      }
      ({ macKey: this.macKey, ltk: this.ltk } = lescKeys(this.dhKey, this.nonce, pdu.value, a, b));
      this.peerNonce = Buffer.from(pdu.value);
      this.state = 'check';
      const ioCap = Buffer.from(this.preq.subarray(1, 4));
      return { send: [{ code: 'pairing-dhkey-check', value: lescCheckValue(this.macKey, this.nonce, pdu.value, ioCap, a, b) }] };
    }
    if (this.state === 'check' && pdu.code === 'pairing-dhkey-check') {
      const ioCap = Buffer.from(this.pres.subarray(1, 4));
      this.state = 'done';
      if (!same(pdu.value, lescCheckValue(this.macKey, this.peerNonce, this.nonce, ioCap, b, a))) {
        return fail(SMP_REASON.DHKEY_CHECK_FAILED, 'the peripheral\'s DHKey check does not match');
      }
      return { send: [], outcome: { method: this.method, key: this.ltk } };
    }
    this.state = 'done';
    return fail(SMP_REASON.UNSPECIFIED_REASON, `unexpected SMP ${pdu.code}`);
  }

  private peerNonce: Buffer = Buffer.alloc(0);
}

/** The peripheral's side of pairing (the SMP responder), following its policy. */
export class PairingResponder {
  private state: 'idle' | 'public-key' | 'confirm' | 'random' | 'check' | 'done' = 'idle';
  private preq: Buffer = Buffer.alloc(0);
  private pres: Buffer = Buffer.alloc(0);
  private method: PairingMethod = 'legacy-just-works';
  private readonly ecdh = createECDH('prime256v1');
  private peerPublicX: Buffer = Buffer.alloc(0);
  private ownPublicX: Buffer = Buffer.alloc(0);
  private dhKey: Buffer = Buffer.alloc(0);
  private readonly nonce: Buffer = randomBytes(16);
  private peerConfirm: Buffer = Buffer.alloc(0);
  private peerNonce: Buffer = Buffer.alloc(0);
  private macKey: Buffer = Buffer.alloc(0);
  private ltk: Buffer = Buffer.alloc(0);

  constructor(
    private readonly policy: PairingPolicy,
    private readonly initiator: LinkAddress,
    private readonly responder: LinkAddress,
  ) {}

  /** Consumes one PDU from the initiator. */
  receive(pdu: SmpPdu): PairingStep {
    if (pdu.code === 'pairing-failed') {
      this.state = 'done';
      return fail(pdu.reason, `the central abandoned pairing (SMP reason 0x${pdu.reason.toString(16).padStart(2, '0')})`, false);
    }
    const a = addressBytes(this.initiator);
    const b = addressBytes(this.responder);
    if (this.state === 'idle' && pdu.code === 'pairing-request') {
      if (this.policy === 'none') {
        this.state = 'done';
        return fail(SMP_REASON.PAIRING_NOT_SUPPORTED, 'this peripheral does not support pairing');
      }
      const centralSc = (pdu.authReq & SMP_AUTH_REQ.SECURE_CONNECTIONS) !== 0;
      // A LESC peripheral runs in Secure Connections Only mode: no fallback to legacy (§2.3.5.1).
      if (this.policy === 'lesc-just-works' && !centralSc) {
        this.state = 'done';
        return fail(SMP_REASON.AUTHENTICATION_REQUIREMENTS, 'this peripheral requires LE Secure Connections');
      }
      this.preq = encodeSmpPdu(pdu);
      this.method = this.policy;
      const response = features('pairing-response', this.method === 'lesc-just-works' ? SMP_AUTH_REQ.SECURE_CONNECTIONS : 0);
      this.pres = encodeSmpPdu(response);
      this.state = this.method === 'lesc-just-works' ? 'public-key' : 'confirm';
      return { send: [response] };
    }
    if (this.state === 'public-key' && pdu.code === 'pairing-public-key') {
      const own = this.ecdh.generateKeys();
      try {
        this.dhKey = this.ecdh.computeSecret(uncompressedKey(pdu.x, pdu.y));
      } catch {
        this.state = 'done';
        return fail(SMP_REASON.DHKEY_CHECK_FAILED, 'the central sent an invalid P-256 public key');
      }
      this.peerPublicX = Buffer.from(pdu.x);
      this.ownPublicX = Buffer.from(own.subarray(1, 33)).reverse();
      this.state = 'random';
      // Just Works in LESC: the responder commits to its nonce first (§2.3.5.6.2).
      return { send: [publicKeyPdu(own), { code: 'pairing-confirm', value: lescConfirmValue(this.ownPublicX, this.peerPublicX, this.nonce) }] };
    }
    if (this.state === 'confirm' && pdu.code === 'pairing-confirm') {
      this.peerConfirm = Buffer.from(pdu.value);
      this.state = 'random';
      return { send: [{ code: 'pairing-confirm', value: legacyConfirmValue(LEGACY_JUST_WORKS_TK, this.nonce, this.preq, this.pres, a, b) }] };
    }
    if (this.state === 'random' && pdu.code === 'pairing-random') {
      this.peerNonce = Buffer.from(pdu.value);
      if (this.method === 'legacy-just-works') {
        this.state = 'done';
        if (!same(this.peerConfirm, legacyConfirmValue(LEGACY_JUST_WORKS_TK, pdu.value, this.preq, this.pres, a, b))) {
          return fail(SMP_REASON.CONFIRM_VALUE_FAILED, 'the central\'s confirm value does not match its random value');
        }
        return {
          send: [{ code: 'pairing-random', value: this.nonce }],
          outcome: { method: this.method, key: legacyShortTermKey(LEGACY_JUST_WORKS_TK, this.nonce, pdu.value) },
        };
      }
      ({ macKey: this.macKey, ltk: this.ltk } = lescKeys(this.dhKey, pdu.value, this.nonce, a, b));
      this.state = 'check';
      return { send: [{ code: 'pairing-random', value: this.nonce }] };
    }
    if (this.state === 'check' && pdu.code === 'pairing-dhkey-check') {
      this.state = 'done';
      const initiatorIoCap = Buffer.from(this.preq.subarray(1, 4));
      if (!same(pdu.value, lescCheckValue(this.macKey, this.peerNonce, this.nonce, initiatorIoCap, a, b))) {
        return fail(SMP_REASON.DHKEY_CHECK_FAILED, 'the central\'s DHKey check does not match');
      }
      const ownIoCap = Buffer.from(this.pres.subarray(1, 4));
      return {
        send: [{ code: 'pairing-dhkey-check', value: lescCheckValue(this.macKey, this.nonce, this.peerNonce, ownIoCap, b, a) }],
        outcome: { method: this.method, key: this.ltk },
      };
    }
    this.state = 'done';
    return fail(SMP_REASON.UNSPECIFIED_REASON, `unexpected SMP ${pdu.code}`);
  }
}

/** What a passive sniffer captured of a legacy pairing and the encryption start after it. */
export interface LegacyPairingCapture {
  readonly preq: Buffer;
  readonly pres: Buffer;
  readonly initiator: LinkAddress;
  readonly responder: LinkAddress;
  readonly mconfirm: Buffer;
  readonly mrand: Buffer;
  readonly srand: Buffer;
  readonly skdCentral: Buffer;
  readonly skdPeripheral: Buffer;
}

/**
 * crackle's computation: try TK = 0 (Just Works) against the captured confirm value; on a match
 * derive the STK and the session key. Undefined when TK is not 0 (passkey entry is not attempted).
 */
export function crackLegacyJustWorks(capture: LegacyPairingCapture): { tk: Buffer; stk: Buffer; sessionKey: Buffer } | undefined {
  const a = addressBytes(capture.initiator);
  const b = addressBytes(capture.responder);
  const tk = LEGACY_JUST_WORKS_TK;
  if (!same(capture.mconfirm, legacyConfirmValue(tk, capture.mrand, capture.preq, capture.pres, a, b))) return undefined;
  const stk = legacyShortTermKey(tk, capture.srand, capture.mrand);
  return { tk, stk, sessionKey: linkSessionKey(stk, capture.skdCentral, capture.skdPeripheral) };
}

/** Random values each side contributes to encryption start: SKD (8 octets) and IV (4 octets) (Vol 6 Part B §5.1.3.1). */
export function encryptionStartValues(): { skd: Buffer; iv: Buffer } {
  return { skd: randomBytes(8), iv: randomBytes(4) };
}

/** MIC length of LE link encryption: 4 octets (Vol 6 Part E §1). */
export const LINK_MIC_LENGTH = 4;

/**
 * AES-CCM nonce (Vol 6 Part E §2.1, table 2.1): 39-bit packet counter little-endian, the direction
 * bit (1 from the central) in the top bit of octet 4, then the 8-octet IV.
 */
export function linkNonce(counter: number, direction: LinkDirection, iv: Buffer): Buffer {
  const nonce = Buffer.alloc(13);
  nonce.writeUIntLE(counter % 2 ** 39, 0, 5);
  if (direction === 'central-to-peripheral') nonce[4] = (nonce[4] ?? 0) | 0x80;
  iv.copy(nonce, 5);
  return nonce;
}

/** The AAD: the LL header's first octet with NESN, SN and MD masked (Vol 6 Part E §2.1). */
const aadOf = (header: number): Buffer => Buffer.from([header & 0xe3]);

/** Seals an LL payload: ciphertext then 4-octet MIC. */
export function sealLinkPayload(key: Buffer, iv: Buffer, counter: number, direction: LinkDirection, header: number, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-128-ccm', key, linkNonce(counter, direction, iv), { authTagLength: LINK_MIC_LENGTH });
  cipher.setAAD(aadOf(header), { plaintextLength: plaintext.length });
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([ciphertext, cipher.getAuthTag()]);
}

/** Opens a sealed LL payload; undefined when the MIC does not verify. */
export function openLinkPayload(key: Buffer, iv: Buffer, counter: number, direction: LinkDirection, header: number, sealed: Buffer): Buffer | undefined {
  if (sealed.length < LINK_MIC_LENGTH) return undefined;
  const ciphertext = sealed.subarray(0, sealed.length - LINK_MIC_LENGTH);
  const decipher = createDecipheriv('aes-128-ccm', key, linkNonce(counter, direction, iv), { authTagLength: LINK_MIC_LENGTH });
  decipher.setAuthTag(sealed.subarray(sealed.length - LINK_MIC_LENGTH));
  decipher.setAAD(aadOf(header), { plaintextLength: ciphertext.length });
  const plaintext = decipher.update(ciphertext);
  try {
    decipher.final();
  } catch {
    return undefined;
  }
  return plaintext;
}

/**
 * One side's AES-CCM state of an encrypted link: its session key and IV, and a packet counter per
 * direction (each starts at 0 and counts new PDUs, not retransmissions).
 */
export class LinkCipher {
  private readonly sent: Record<LinkDirection, number> = { 'central-to-peripheral': 0, 'peripheral-to-central': 0 };
  private readonly received: Record<LinkDirection, number> = { 'central-to-peripheral': 0, 'peripheral-to-central': 0 };

  constructor(
    private readonly key: Buffer,
    private readonly iv: Buffer,
  ) {}

  /** Seals the next PDU sent in `direction`. */
  seal(direction: LinkDirection, header: number, plaintext: Buffer): Buffer {
    const sealed = sealLinkPayload(this.key, this.iv, this.sent[direction], direction, header, plaintext);
    this.sent[direction] += 1;
    return sealed;
  }

  /** Opens the next PDU received from `direction`; undefined on MIC failure. */
  open(direction: LinkDirection, header: number, sealed: Buffer): Buffer | undefined {
    const plaintext = openLinkPayload(this.key, this.iv, this.received[direction], direction, header, sealed);
    if (plaintext !== undefined) this.received[direction] += 1;
    return plaintext;
  }
}
