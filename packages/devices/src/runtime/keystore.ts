/**
 * The device keystore, standing in for a secure element (CTL-11). It generates the device's keys
 * inside: the ECDSA P-256 TLS client key with its PKCS#10 CSR (subject CN = device id) and the
 * medsim Identity (Ed25519 signing + X25519 agreement, ISVS 2.1.10: per-device keys, nothing
 * derived from the id). Private keys never leave it: callers get a CSR, public JWKs, signatures,
 * a TLS SecureContext built inside, and an opaque Identity handle for the session handshake.
 *
 * Persistence models a secure element's protected storage, not a real one (CTL-10): the keys are
 * kept in `secure-element.bin` in the device's data directory, 0600, written atomically (temporary
 * file, fsync, rename, directory fsync), and encrypted with AES-256-GCM under a key derived with
 * HKDF-SHA256 (RFC 5869) from a per-device "hardware unique key" file (`hardware-unique-key.bin`,
 * 32 random bytes, 0600), the way a microcontroller's HUK wraps its key storage (PSA Certified
 * Security Model: HUK). Both files sit on the same disk, so this protects a copied secure-element
 * file, not a copied directory. A real secure element adds what a file cannot: keys that are
 * non-extractable in hardware, resistance to physical and side-channel attack, a HUK readable
 * only by the crypto engine, and monotonic counters against rollback of the stored state.
 *
 * Blob layout: version (1 byte, 1) ‖ nonce (12 random bytes) ‖ ciphertext ‖ tag (16 bytes), with
 * "medsim/v1 secure-element" ‖ version as associated data.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { Identity, KeyCache, signDetached, type PrivateJwks, type PublicJwks } from '@medsim/crypto';
import { assertDeviceId } from '@medsim/protocol';
import {
  X509Certificate,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  hkdfSync,
  randomBytes,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
import { constants, type FileHandle, link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import {
  KeystoreCertificateMismatchError,
  KeystoreCorruptError,
  KeystoreDeviceMismatchError,
  KeystoreExistsError,
  KeystoreNotEnrolledError,
  KeystoreNotFoundError,
  KeystorePermissionsError,
  KeystoreUnavailableError,
  KeystoreUnprotectFailedError,
  KeystoreWipedError,
} from '../errors.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Files of the keystore in a device's data directory. */
export const KEYSTORE_FILES = {
  secureElement: 'secure-element.bin',
  hardwareUniqueKey: 'hardware-unique-key.bin',
} as const;

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
// 256-bit HUK and storage key: AES-256-GCM, as the gateway's data at rest (store/at-rest.ts).
const KEY_BYTES = 32;
const AAD = Buffer.concat([Buffer.from('medsim/v1 secure-element', 'utf8'), Uint8Array.of(VERSION)]);
const HKDF_SALT = Buffer.from('medsim/v1 hardware unique key', 'utf8');
const HKDF_INFO = Buffer.from('medsim/v1 secure-element storage key', 'utf8');
const PROTECT_INFO = Buffer.from('medsim/v1 data protection key', 'utf8');
const PROTECT_VERSION = 1;
// 1 MiB: a secure-element file holds three keys and a few certificates (a few KiB).
const MAX_SECURE_ELEMENT_BYTES = 1024 * 1024;

/** A public JWK (no `d`), as the gateway publishes its keys. */
export type PublicSigningJwk = PublicJwks['signing'];

/** What enrolment gave the device, kept in the keystore. */
export interface StoredEnrolment {
  /** The device's TLS client certificate (PEM), certifying the keystore's TLS key. */
  readonly certificatePem: string;
  /** The CA that issued it, also the trust anchor for the gateway's server certificate. */
  readonly caCertificatePem: string;
  /** The gateway's public keys: HPKE recipient (X25519) and signing (Ed25519). */
  readonly gatewayIdentity: PublicJwks;
  /** The public Ed25519 key that signs therapy commands, for controlled devices. */
  readonly commandSigner?: PublicSigningJwk;
  /** The public Ed25519 key that signs firmware director instructions, for devices taking updates. */
  readonly directorKey?: PublicSigningJwk;
}

/** Certificates for a TLS context; both default to the stored enrolment. */
export interface KeystoreTlsOptions {
  readonly certificatePem?: string;
  readonly caCertificatePem?: string;
}

/** The decrypted content of the secure-element file. */
interface SecureElementContent {
  readonly v: 1;
  readonly deviceId: string;
  /** base64 PKCS#8 DER of the ECDSA P-256 TLS key. */
  readonly tlsKey: string;
  readonly csrPem: string;
  readonly identity: PrivateJwks;
  readonly enrolment?: StoredEnrolment;
}

// Key separation (CTL-11): one HKDF output per purpose, never the HUK itself.
const storageKey = (huk: Uint8Array): Buffer => Buffer.from(hkdfSync('sha256', huk, HKDF_SALT, HKDF_INFO, KEY_BYTES));
const protectionKey = (huk: Uint8Array): Buffer => Buffer.from(hkdfSync('sha256', huk, HKDF_SALT, PROTECT_INFO, KEY_BYTES));

function seal(huk: Uint8Array, plaintext: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', storageKey(huk), nonce);
  cipher.setAAD(AAD);
  return Buffer.concat([Uint8Array.of(VERSION), nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function unseal(huk: Uint8Array, blob: Buffer): Buffer {
  if (blob.length < 1 + NONCE_BYTES + TAG_BYTES || blob[0] !== VERSION) throw new KeystoreCorruptError('the secure-element file is malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', storageKey(huk), blob.subarray(1, 1 + NONCE_BYTES));
    decipher.setAAD(AAD);
    decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
    return Buffer.concat([decipher.update(blob.subarray(1 + NONCE_BYTES, blob.length - TAG_BYTES)), decipher.final()]);
  } catch (cause) {
    throw new KeystoreCorruptError('the secure-element file does not authenticate under the hardware unique key', { cause });
  }
}

const isErrno = (error: unknown, code: string): boolean => (error as { code?: unknown } | null)?.code === code;

/** Reads a 0600 file (refusing group/other access), or undefined when it does not exist. */
async function readPrivateFile(path: string, name: string): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY);
  } catch (cause) {
    if (isErrno(cause, 'ENOENT')) return undefined;
    throw new KeystoreUnavailableError(`cannot read ${name}`, { cause, details: { file: name } });
  }
  try {
    const info = await handle.stat();
    if ((info.mode & 0o077) !== 0) {
      throw new KeystorePermissionsError(`${name} is accessible to group or others (mode must be 0600)`, { details: { file: name } });
    }
    if (info.size > MAX_SECURE_ELEMENT_BYTES) throw new KeystoreCorruptError(`${name} is too large`, { details: { file: name } });
    return await handle.readFile();
  } catch (cause) {
    if (cause instanceof KeystorePermissionsError || cause instanceof KeystoreCorruptError) throw cause;
    throw new KeystoreUnavailableError(`cannot read ${name}`, { cause, details: { file: name } });
  } finally {
    await handle.close();
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `data` to `dir/name` atomically, 0600 from creation: a temporary file is written and
 * fsynced, then renamed over the target (or, with `exclusive`, linked, which fails if the target
 * exists), then the directory is fsynced. A crash leaves the old file or the new one.
 */
async function writeAtomically(dir: string, name: string, data: Uint8Array, exclusive: boolean): Promise<void> {
  const target = join(dir, name);
  const temporary = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (exclusive) {
      await link(temporary, target);
      await rm(temporary);
    } else {
      await rename(temporary, target);
    }
    await syncDirectory(dir);
  } catch (cause) {
    await rm(temporary, { force: true }).catch(() => undefined);
    if (exclusive && isErrno(cause, 'EEXIST')) throw new KeystoreExistsError(`${name} already exists`, { details: { file: name } });
    throw new KeystoreUnavailableError(`cannot write ${name}`, { cause, details: { file: name } });
  }
}

function parseContent(plaintext: Buffer): SecureElementContent {
  let content: unknown;
  try {
    content = JSON.parse(plaintext.toString('utf8'));
  } catch (cause) {
    throw new KeystoreCorruptError('the secure-element content is not valid', { cause });
  }
  const c = content as Partial<SecureElementContent> | null;
  if (
    c === null ||
    typeof c !== 'object' ||
    c.v !== 1 ||
    typeof c.deviceId !== 'string' ||
    typeof c.tlsKey !== 'string' ||
    typeof c.csrPem !== 'string' ||
    typeof c.identity !== 'object'
  ) {
    throw new KeystoreCorruptError('the secure-element content is not valid');
  }
  return c as SecureElementContent;
}

function loadCertificate(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (cause) {
    throw new KeystoreCertificateMismatchError(`the ${what} is not a valid X.509 certificate`, { cause });
  }
}

/** A device's keys, held as a secure element would hold them. */
export class Keystore {
  /** The device id (subject CN of the CSR). */
  readonly deviceId: string;
  /** The device's data directory. */
  readonly dir: string;
  /** PKCS#10 CSR (PEM) for the TLS key, sent at enrolment. */
  readonly csrPem: string;
  #tlsKey: KeyObject | undefined;
  #identity: Identity | undefined;
  #huk: Buffer | undefined;
  #enrolment: StoredEnrolment | undefined;

  private constructor(dir: string, huk: Buffer, content: SecureElementContent, tlsKey: KeyObject, identity: Identity) {
    this.dir = dir;
    this.deviceId = content.deviceId;
    this.csrPem = content.csrPem;
    this.#huk = huk;
    this.#tlsKey = tlsKey;
    this.#identity = identity;
    this.#enrolment = content.enrolment;
  }

  /**
   * Provisions a new keystore for `deviceId` in `dir` (created 0700): generates the keys and the
   * CSR inside and persists them. Throws KeystoreExistsError if `dir` already holds one, and
   * InvalidDeviceIdError (ERR_PROTOCOL_INVALID_DEVICE_ID) for an id medsim does not accept.
   */
  static async create(dir: string, deviceId: string): Promise<Keystore> {
    assertDeviceId(deviceId);
    const path = resolve(dir);
    try {
      await mkdir(path, { recursive: true, mode: 0o700 });
    } catch (cause) {
      throw new KeystoreUnavailableError(`cannot use ${path} as a device directory`, { cause });
    }
    if ((await readPrivateFile(join(path, KEYSTORE_FILES.secureElement), KEYSTORE_FILES.secureElement)) !== undefined) {
      throw new KeystoreExistsError('the device directory already holds a keystore', { details: { deviceId } });
    }
    // The HUK is "fused" once per device: an existing one is kept (wipe() removes it).
    let huk = await readPrivateFile(join(path, KEYSTORE_FILES.hardwareUniqueKey), KEYSTORE_FILES.hardwareUniqueKey);
    if (huk === undefined) {
      const fresh = randomBytes(KEY_BYTES);
      try {
        await writeAtomically(path, KEYSTORE_FILES.hardwareUniqueKey, fresh, true);
        huk = fresh;
      } catch (error) {
        // Another process fused it first: use that one.
        if (!(error instanceof KeystoreExistsError)) throw error;
        huk = await readPrivateFile(join(path, KEYSTORE_FILES.hardwareUniqueKey), KEYSTORE_FILES.hardwareUniqueKey);
      }
    }
    if (huk?.length !== KEY_BYTES) throw new KeystoreCorruptError('the hardware unique key is not 32 bytes');
    const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: `CN=${deviceId}`,
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    const tlsKeyDer = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    const identity = await Identity.generate();
    const content: SecureElementContent = {
      v: 1,
      deviceId,
      tlsKey: tlsKeyDer.toString('base64'),
      csrPem: csr.toString('pem'),
      identity: identity.exportPrivateJwks(),
    };
    await writeAtomically(path, KEYSTORE_FILES.secureElement, seal(huk, Buffer.from(JSON.stringify(content), 'utf8')), true);
    return new Keystore(path, huk, content, createPrivateKey({ key: tlsKeyDer, format: 'der', type: 'pkcs8' }), identity);
  }

  /**
   * Opens the keystore in `dir`. Throws KeystoreNotFoundError (none there), KeystorePermissionsError
   * (a file is not 0600), KeystoreCorruptError (missing HUK, damaged or foreign file).
   */
  static async open(dir: string): Promise<Keystore> {
    const path = resolve(dir);
    const blob = await readPrivateFile(join(path, KEYSTORE_FILES.secureElement), KEYSTORE_FILES.secureElement);
    if (blob === undefined) throw new KeystoreNotFoundError('the device directory holds no keystore');
    const huk = await readPrivateFile(join(path, KEYSTORE_FILES.hardwareUniqueKey), KEYSTORE_FILES.hardwareUniqueKey);
    if (huk?.length !== KEY_BYTES) throw new KeystoreCorruptError('the hardware unique key is missing or not 32 bytes');
    const content = parseContent(unseal(huk, blob));
    try {
      assertDeviceId(content.deviceId);
      const tlsKey = createPrivateKey({ key: Buffer.from(content.tlsKey, 'base64'), format: 'der', type: 'pkcs8' });
      if (tlsKey.asymmetricKeyType !== 'ec' || tlsKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not a P-256 key');
      return new Keystore(path, huk, content, tlsKey, await Identity.fromPrivateJwks(content.identity));
    } catch (cause) {
      throw new KeystoreCorruptError('the keys in the secure-element file are not valid', { cause });
    }
  }

  /** Opens the keystore in `dir`, or provisions one for `deviceId`; refuses another device's. */
  static async openOrCreate(dir: string, deviceId: string): Promise<Keystore> {
    try {
      const keystore = await Keystore.open(dir);
      if (keystore.deviceId !== deviceId) {
        throw new KeystoreDeviceMismatchError('the device directory holds the keystore of another device', { details: { deviceId } });
      }
      return keystore;
    } catch (error) {
      if (!(error instanceof KeystoreNotFoundError)) throw error;
      return Keystore.create(dir, deviceId);
    }
  }

  /** Public JWKs of the device's identity, as sent at enrolment. */
  publicIdentity(): PublicJwks {
    return this.#live().identity.publicJwks();
  }

  /** Domain-separated Ed25519 signature of UTF-8(label) ‖ 0x00 ‖ message (signDetached). */
  sign(label: string, message: Uint8Array): Buffer {
    return signDetached(this.#live().identity, label, message);
  }

  /**
   * The secure-element handle of the device's identity, for `initiateSession` and the other
   * @medsim/crypto calls that take an Identity. Its private keys are usable only through those
   * APIs; nothing on the keystore or the handle returns PEM or JWK private material.
   */
  sessionIdentity(): Identity {
    return this.#live().identity;
  }

  /**
   * A TLS SecureContext for the device's mTLS client connection, built inside: pass it as
   * `secureContext` to node:tls or mqtt, so the caller never sees the key. Certificates default to
   * the stored enrolment. TLS 1.2 is the floor (CTL-06). Throws KeystoreNotEnrolledError,
   * KeystoreCertificateMismatchError (the certificate is not for this key).
   */
  tlsSecureContext(options: KeystoreTlsOptions = {}): SecureContext {
    const { tlsKey } = this.#live();
    const certificatePem = options.certificatePem ?? this.#enrolment?.certificatePem;
    const caCertificatePem = options.caCertificatePem ?? this.#enrolment?.caCertificatePem;
    if (certificatePem === undefined || caCertificatePem === undefined) {
      throw new KeystoreNotEnrolledError('no certificate given and none stored', { details: { deviceId: this.deviceId } });
    }
    if (!loadCertificate(certificatePem, 'device certificate').checkPrivateKey(tlsKey)) {
      throw new KeystoreCertificateMismatchError('the certificate does not certify the keystore TLS key', { details: { deviceId: this.deviceId } });
    }
    return createSecureContext({
      key: tlsKey.export({ format: 'pem', type: 'pkcs8' }),
      cert: certificatePem,
      ca: caCertificatePem,
      minVersion: 'TLSv1.2',
    });
  }

  /**
   * Stores what enrolment returned, durably. The certificate must certify the keystore's TLS key
   * and be issued by the CA; the gateway's keys, the command signer and the director key must be
   * valid public keys.
   */
  async saveEnrolment(enrolment: StoredEnrolment): Promise<void> {
    const { tlsKey, identity, huk } = this.#live();
    const certificate = loadCertificate(enrolment.certificatePem, 'device certificate');
    const ca = loadCertificate(enrolment.caCertificatePem, 'CA certificate');
    if (!certificate.checkPrivateKey(tlsKey)) throw new KeystoreCertificateMismatchError('the certificate does not certify the keystore TLS key');
    if (!certificate.checkIssued(ca) || !certificate.verify(ca.publicKey)) {
      throw new KeystoreCertificateMismatchError('the certificate was not issued by the given CA');
    }
    // Throws InvalidKeyError for private members, wrong curves or a kid that is not the thumbprint.
    const keys = new KeyCache(4);
    const gateway = await keys.importPublicIdentity(enrolment.gatewayIdentity);
    const signer = enrolment.commandSigner === undefined ? undefined : await keys.importPublicJwk(enrolment.commandSigner, 'Ed25519');
    const director = enrolment.directorKey === undefined ? undefined : await keys.importPublicJwk(enrolment.directorKey, 'Ed25519');
    const stored: StoredEnrolment = {
      certificatePem: enrolment.certificatePem,
      caCertificatePem: enrolment.caCertificatePem,
      gatewayIdentity: { signing: { ...gateway.signing.jwk }, agreement: { ...gateway.agreement.jwk } },
      ...(signer === undefined ? {} : { commandSigner: { ...signer.jwk } }),
      ...(director === undefined ? {} : { directorKey: { ...director.jwk } }),
    };
    const content: SecureElementContent = {
      v: 1,
      deviceId: this.deviceId,
      tlsKey: Buffer.from(tlsKey.export({ format: 'der', type: 'pkcs8' })).toString('base64'),
      csrPem: this.csrPem,
      identity: identity.exportPrivateJwks(),
      enrolment: stored,
    };
    await writeAtomically(this.dir, KEYSTORE_FILES.secureElement, seal(huk, Buffer.from(JSON.stringify(content), 'utf8')), false);
    this.#enrolment = stored;
  }

  /**
   * Encrypts `plaintext` for storage on the device (CTL-10), bound to `context` (associated data,
   * e.g. "queue:42"), under a key derived from the hardware unique key: AES-256-GCM, layout
   * version (1) ‖ nonce (12 random bytes) ‖ ciphertext ‖ tag (16). Random nonces allow 2^32
   * blobs per device (NIST SP 800-38D), far beyond a device's lifetime of queued messages.
   */
  protect(plaintext: Uint8Array, context: string): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#protectionKey(), nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    return Buffer.concat([Uint8Array.of(PROTECT_VERSION), nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }

  /** Decrypts a protect() blob with the same context; throws KeystoreUnprotectFailedError. */
  unprotect(blob: Uint8Array, context: string): Buffer {
    const key = this.#protectionKey();
    const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    if (bytes.length < 1 + NONCE_BYTES + TAG_BYTES || bytes[0] !== PROTECT_VERSION) throw new KeystoreUnprotectFailedError('the protected blob is malformed');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(1, 1 + NONCE_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    } catch (cause) {
      throw new KeystoreUnprotectFailedError('the protected blob does not authenticate', { cause });
    }
  }

  /** The stored enrolment, or undefined before enrolment. */
  enrolment(): StoredEnrolment | undefined {
    this.#live();
    return this.#enrolment;
  }

  /**
   * Factory reset: erases the secure-element file and the hardware unique key, so the keys are
   * gone and a copy of the old file no longer opens. This object is unusable afterwards.
   */
  async wipe(): Promise<void> {
    this.#tlsKey = undefined;
    this.#identity = undefined;
    this.#huk?.fill(0);
    this.#huk = undefined;
    this.#protectionKeyCache?.fill(0);
    this.#protectionKeyCache = undefined;
    this.#enrolment = undefined;
    try {
      await rm(join(this.dir, KEYSTORE_FILES.secureElement), { force: true });
      await rm(join(this.dir, KEYSTORE_FILES.hardwareUniqueKey), { force: true });
      if ((await stat(this.dir)).isDirectory()) await syncDirectory(this.dir);
    } catch (cause) {
      throw new KeystoreUnavailableError('cannot erase the keystore files', { cause });
    }
  }

  /** Public facts only: what JSON.stringify shows of a keystore. */
  toJSON(): { deviceId: string; dir: string; csrPem: string; enrolled: boolean } {
    return { deviceId: this.deviceId, dir: this.dir, csrPem: this.csrPem, enrolled: this.#enrolment !== undefined };
  }

  #protectionKeyCache: Buffer | undefined;

  #protectionKey(): Buffer {
    const { huk } = this.#live();
    this.#protectionKeyCache ??= protectionKey(huk);
    return this.#protectionKeyCache;
  }

  #live(): { tlsKey: KeyObject; identity: Identity; huk: Buffer } {
    if (this.#tlsKey === undefined || this.#identity === undefined || this.#huk === undefined) {
      throw new KeystoreWipedError('the keystore was wiped', { details: { deviceId: this.deviceId } });
    }
    return { tlsKey: this.#tlsKey, identity: this.#identity, huk: this.#huk };
  }
}
