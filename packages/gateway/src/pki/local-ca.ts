/**
 * The local certificate authority of the embedded default (CTL-05, CTL-06): an ECDSA P-256 CA
 * made on first start, the gateway's TLS server certificate (localhost, 127.0.0.1, ::1) and
 * device client certificates issued from CSRs at enrolment, each bound to its device id
 * (subject CN and a `urn:medsim:device:{id}` URI SAN), clientAuth only.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, createHash, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
import { GatewayError } from '../errors.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/** The URI SAN naming a device in its certificate. */
export const deviceUri = (deviceId: string): string => `urn:medsim:device:${deviceId}`;

/** PEM texts of a key pair and its certificate. */
export interface PemCredentials {
  readonly keyPem: string;
  readonly certPem: string;
}

/** What a device certificate says, once issued. */
export interface IssuedCertificate {
  readonly certPem: string;
  /** Hex serial number (upper case, as node:crypto prints it). */
  readonly serial: string;
  /** SHA-256 fingerprint, as node:crypto prints it. */
  readonly fingerprint256: string;
  /** Hex SHA-256 of the certified public key (SubjectPublicKeyInfo DER). */
  readonly publicKeySha256: string;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{1,64}/gu, '$&\n')}-----END PRIVATE KEY-----\n`;
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, EC, false, ['sign']);
}

/** A positive 128-bit serial (RFC 5280 §4.1.2.2: at most 20 octets, positive). */
function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

/** The CA: its certificate, and its key for signing (kept in memory as a non-extractable key). */
export class LocalCa {
  readonly certPem: string;
  readonly #cert: x509.X509Certificate;
  readonly #key: CryptoKey;

  private constructor(certPem: string, key: CryptoKey) {
    this.certPem = certPem;
    this.#cert = new x509.X509Certificate(certPem);
    this.#key = key;
  }

  /** Makes a new CA (10 years). Returns it with its PEM key, which the caller stores 0600. */
  static async create(name = 'medsim local CA'): Promise<{ ca: LocalCa; keyPem: string }> {
    const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: newSerial(),
      name: `CN=${name}`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 3650 * DAY_MS),
      signingAlgorithm: SIGNING,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const keyPem = await exportKeyPem(keys.privateKey);
    return { ca: new LocalCa(cert.toString('pem'), await importKeyPem(keyPem)), keyPem };
  }

  /** Loads a CA from its PEM certificate and key. */
  static async load(certPem: string, keyPem: string): Promise<LocalCa> {
    try {
      return new LocalCa(certPem, await importKeyPem(keyPem));
    } catch (cause) {
      throw new GatewayError('ERR_DATA_DIR', 'the CA certificate or key cannot be loaded', { cause });
    }
  }

  async #issue(params: {
    subject: string;
    publicKey: CryptoKey | x509.PublicKey;
    days: number;
    extensions: x509.Extension[];
  }): Promise<x509.X509Certificate> {
    const now = Date.now();
    return x509.X509CertificateGenerator.create({
      serialNumber: newSerial(),
      subject: params.subject,
      issuer: this.#cert.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + params.days * DAY_MS),
      signingAlgorithm: SIGNING,
      publicKey: params.publicKey,
      signingKey: this.#key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        await x509.AuthorityKeyIdentifierExtension.create(this.#cert, false),
        ...params.extensions,
      ],
    });
  }

  /** A TLS server certificate for the given DNS names and IP addresses (serverAuth). */
  async issueServer(hosts: { dns: readonly string[]; ip: readonly string[] }, days = 825): Promise<PemCredentials> {
    const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const cert = await this.#issue({
      subject: `CN=${hosts.dns[0] ?? hosts.ip[0] ?? 'medsim gateway'}`,
      publicKey: keys.publicKey,
      days,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([SERVER_AUTH], false),
        new x509.SubjectAlternativeNameExtension([
          ...hosts.dns.map((value) => ({ type: 'dns' as const, value })),
          ...hosts.ip.map((value) => ({ type: 'ip' as const, value })),
        ]),
      ],
    });
    return { keyPem: await exportKeyPem(keys.privateKey), certPem: cert.toString('pem') };
  }

  /**
   * Issues a device client certificate from a CSR: the CSR must verify under its own key, which
   * must be ECDSA P-256; the subject is replaced by the device id (the CSR's claims are ignored).
   * Throws ERR_PKI_INVALID_CSR.
   */
  async issueDevice(csrPem: string, deviceId: string, days: number): Promise<IssuedCertificate> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch (cause) {
      throw new GatewayError('ERR_PKI_INVALID_CSR', 'the CSR is not a PKCS#10 request', { cause });
    }
    const algorithm = csr.publicKey.algorithm as webcrypto.EcKeyAlgorithm;
    if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') {
      throw new GatewayError('ERR_PKI_INVALID_CSR', 'the CSR key must be ECDSA P-256');
    }
    // A CSR whose signature cannot even be checked is as bad as one that fails.
    const verified = await csr.verify().catch(() => false);
    if (!verified) throw new GatewayError('ERR_PKI_INVALID_CSR', 'the CSR signature does not verify');
    const cert = await this.#issue({
      subject: `CN=${deviceId}`,
      publicKey: csr.publicKey,
      days,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([CLIENT_AUTH], false),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: deviceUri(deviceId) }]),
      ],
    });
    const pem = cert.toString('pem');
    const node = new X509Certificate(pem);
    const spki = node.publicKey.export({ type: 'spki', format: 'der' });
    return {
      certPem: pem,
      serial: node.serialNumber.toUpperCase(),
      fingerprint256: node.fingerprint256,
      publicKeySha256: createHash('sha256').update(spki).digest('hex'),
    };
  }
}
