/**
 * A device's credentials as a real device would hold them: an ECDSA P-256 key pair for its TLS
 * client certificate (the CSR goes to enrolment), and its medsim identity (Ed25519 + X25519) for
 * sessions and signatures. Each device gets its own keys (ISVS 2.1.10); nothing is derived from
 * its id or serial number.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { Identity, type PublicJwks } from '@medsim/crypto';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** What a device sends to enrol. */
export interface EnrolmentRequest {
  readonly token: string;
  readonly deviceId: string;
  readonly csrPem: string;
  readonly identity: PublicJwks;
}

/** What enrolment gives back. */
export interface EnrolmentAnswer {
  readonly certificatePem: string;
  readonly caCertificatePem: string;
  readonly gatewayIdentity: PublicJwks;
  /** The gateway's therapy command-signing key (Ed25519 JWK with kid); commands verify with it alone. */
  readonly commandSigner: PublicJwks['signing'];
  /**
   * The gateway's firmware director key (Ed25519 JWK with kid): update instructions verify with it
   * alone (Uptane's director role). Absent from a gateway that hands out no director key.
   */
  readonly directorKey?: PublicJwks['signing'];
}

/** A device's keys before and after enrolment. */
export class DeviceCredentials {
  readonly deviceId: string;
  readonly identity: Identity;
  /** PKCS#8 PEM of the TLS client key (stays on the device). */
  readonly tlsKeyPem: string;
  readonly csrPem: string;
  #enrolment: EnrolmentAnswer | undefined;

  private constructor(deviceId: string, identity: Identity, tlsKeyPem: string, csrPem: string) {
    this.deviceId = deviceId;
    this.identity = identity;
    this.tlsKeyPem = tlsKeyPem;
    this.csrPem = csrPem;
  }

  /** New keys and a CSR for `deviceId`. */
  static async create(deviceId: string): Promise<DeviceCredentials> {
    const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: `CN=${deviceId}`,
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{1,64}/gu, '$&\n')}-----END PRIVATE KEY-----\n`;
    return new DeviceCredentials(deviceId, await Identity.generate(), keyPem, csr.toString('pem'));
  }

  /** The enrolment request for a one-time token. */
  enrolmentRequest(token: string): EnrolmentRequest {
    return { token, deviceId: this.deviceId, csrPem: this.csrPem, identity: this.identity.publicJwks() };
  }

  /** Keeps what enrolment returned. */
  enrolled(answer: EnrolmentAnswer): this {
    this.#enrolment = answer;
    return this;
  }

  /** The enrolment answer; throws before enrolment. */
  get enrolment(): EnrolmentAnswer {
    if (this.#enrolment === undefined) throw new Error(`${this.deviceId} is not enrolled`);
    return this.#enrolment;
  }
}
