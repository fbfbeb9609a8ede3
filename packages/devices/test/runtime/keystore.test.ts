import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { ContentType } from '@medsim/protocol';
import { Identity, KeyCache, acceptSession, initiateSession, verifyDetached } from '@medsim/crypto';
import { webcrypto } from 'node:crypto';
import { chmod, copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEYSTORE_FILES, Keystore } from '../../src/runtime/keystore.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{1,64}/gu, '$&\n')}-----END PRIVATE KEY-----\n`;
}

/** A throw-away CA as in gateway's src/pki/local-ca.ts: issues the server cert and devices' certs from CSRs. */
async function testCa(): Promise<{
  caPem: string;
  server: { keyPem: string; certPem: string };
  issue: (csrPem: string) => Promise<string>;
}> {
  const caKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const now = Date.now();
  const validity = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) };
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=medsim test CA',
    ...validity,
    signingAlgorithm: SIGNING,
    keys: caKeys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  let serial = 2;
  const issue = async (subject: string, publicKey: x509.PublicKey | webcrypto.CryptoKey, extensions: x509.Extension[]): Promise<string> =>
    (
      await x509.X509CertificateGenerator.create({
        serialNumber: (serial++).toString(16).padStart(2, '0'),
        subject,
        issuer: ca.subject,
        ...validity,
        signingAlgorithm: SIGNING,
        publicKey,
        signingKey: caKeys.privateKey,
        extensions: [new x509.BasicConstraintsExtension(false, undefined, true), ...extensions],
      })
    ).toString('pem');
  const serverKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const serverCert = await issue('CN=localhost', serverKeys.publicKey, [
    new x509.ExtendedKeyUsageExtension([SERVER_AUTH]),
    new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }]),
  ]);
  return {
    caPem: ca.toString('pem'),
    server: { keyPem: await pkcs8Pem(serverKeys.privateKey), certPem: serverCert },
    issue: async (csrPem) => {
      const csr = new x509.Pkcs10CertificateRequest(csrPem);
      expect(await csr.verify()).toBe(true);
      return issue(csr.subject, csr.publicKey, [new x509.ExtendedKeyUsageExtension([CLIENT_AUTH])]);
    },
  };
}

const codeOf = async (fn: () => unknown): Promise<string | undefined> => {
  try {
    await fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

/** No private key material anywhere in `text` (PEM, PKCS#8, JWK private members). */
function expectNoPrivateMaterial(text: string): void {
  expect(text).not.toContain('PRIVATE KEY');
  expect(text).not.toContain('"d":');
  expect(text).not.toMatch(/\bd: '/u);
}

describe('Keystore', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medsim-keystore-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('[CTL-11] generates per-device keys and a CSR for the device id, which persist across open', { tags: ['CTL-11'] }, async () => {
    const created = await Keystore.create(join(dir, 'dev'), 'pump-7');
    const csr = new x509.Pkcs10CertificateRequest(created.csrPem);
    expect(csr.subject).toBe('CN=pump-7');
    expect(await csr.verify()).toBe(true);
    expect(csr.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });

    const reopened = await Keystore.open(join(dir, 'dev'));
    expect(reopened.deviceId).toBe('pump-7');
    expect(reopened.csrPem).toBe(created.csrPem);
    expect(reopened.publicIdentity()).toEqual(created.publicIdentity());

    // Another device gets other keys: nothing is derived from the id.
    const other = await Keystore.create(join(dir, 'other'), 'pump-7');
    expect(other.publicIdentity().signing.x).not.toBe(created.publicIdentity().signing.x);
    expect(other.csrPem).not.toBe(created.csrPem);
  });

  it('[CTL-11] signs with domain separation; signatures verify with the public identity after reopen', { tags: ['CTL-11'] }, async () => {
    const keystore = await Keystore.create(dir, 'oximeter-1');
    const message = Buffer.from('therapy-ack|42', 'utf8');
    const signature = keystore.sign('medsim/v1 therapy-command-ack', message);
    const reopened = await Keystore.open(dir);
    const { signing } = await new KeyCache().importPublicIdentity(reopened.publicIdentity());
    expect(() => verifyDetached(signing, 'medsim/v1 therapy-command-ack', message, signature)).not.toThrow();
    expect(() => verifyDetached(signing, 'medsim/v1 firmware', message, signature)).toThrow();
    expect(() => verifyDetached(signing, 'medsim/v1 therapy-command-ack', Buffer.from('therapy-ack|43'), signature)).toThrow();
    expect(() => verifyDetached(signing, 'medsim/v1 therapy-command-ack', message, reopened.sign('medsim/v1 therapy-command-ack', message))).not.toThrow();
  });

  it('[CTL-11] the session identity handle runs a real HPKE session handshake after reopen', { tags: ['CTL-11'] }, async () => {
    await Keystore.create(dir, 'thermo-3');
    const keystore = await Keystore.open(dir);
    const gateway = await Identity.generate();
    const device = await new KeyCache().importPublicIdentity(keystore.publicIdentity());
    const pending = initiateSession({ device: keystore.sessionIdentity(), deviceId: 'thermo-3', gateway: gateway.public });
    const accepted = acceptSession(pending.message, {
      gateway,
      resolveDevice: (id, kid) => (id === 'thermo-3' && kid === device.agreement.kid ? device : undefined),
    });
    const session = pending.complete(accepted.reply);
    const envelope = session.seal(ContentType.CONTENT_TYPE_DEVICE_STATUS, Buffer.from('status'));
    expect(Buffer.from(accepted.session.open(envelope).plaintext).toString()).toBe('status');
  });

  it('[CTL-05] tlsSecureContext works in a real mutual-TLS handshake with a certificate issued from the CSR', { tags: ['CTL-05', 'CTL-11'] }, async () => {
    const ca = await testCa();
    const keystore = await Keystore.create(dir, 'bp-monitor-2');
    const certificatePem = await ca.issue(keystore.csrPem);
    await keystore.saveEnrolment({ certificatePem, caCertificatePem: ca.caPem, gatewayIdentity: (await Identity.generate()).publicJwks() });

    const server = createServer({ key: ca.server.keyPem, cert: ca.server.certPem, ca: ca.caPem, requestCert: true, rejectUnauthorized: true });
    const peers: string[] = [];
    server.on('secureConnection', (socket: TLSSocket) => {
      peers.push(String(socket.getPeerCertificate().subject.CN));
      socket.end('hello device');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    try {
      // After a restart, from the stored enrolment: the caller never handles the key.
      const reopened = await Keystore.open(dir);
      const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext: reopened.tlsSecureContext() });
      await once(socket, 'secureConnect');
      expect(socket.authorized).toBe(true);
      const [data] = (await once(socket, 'data')) as [Buffer];
      expect(data.toString()).toBe('hello device');
      socket.destroy();
      expect(peers).toEqual(['bp-monitor-2']);
    } finally {
      server.close();
    }
  });

  it('[CTL-05] refuses a certificate that does not certify its key, or from another CA', { tags: ['CTL-05', 'CTL-11'] }, async () => {
    const ca = await testCa();
    const otherCa = await testCa();
    const keystore = await Keystore.create(join(dir, 'a'), 'glucose-1');
    const stranger = await Keystore.create(join(dir, 'b'), 'glucose-2');
    const strangersCert = await ca.issue(stranger.csrPem);
    const gatewayIdentity = (await Identity.generate()).publicJwks();
    expect(await codeOf(() => keystore.tlsSecureContext({ certificatePem: strangersCert, caCertificatePem: ca.caPem }))).toBe('ERR_KEYSTORE_CERTIFICATE_MISMATCH');
    expect(await codeOf(() => keystore.saveEnrolment({ certificatePem: strangersCert, caCertificatePem: ca.caPem, gatewayIdentity }))).toBe(
      'ERR_KEYSTORE_CERTIFICATE_MISMATCH',
    );
    const own = await ca.issue(keystore.csrPem);
    expect(await codeOf(() => keystore.saveEnrolment({ certificatePem: own, caCertificatePem: otherCa.caPem, gatewayIdentity }))).toBe(
      'ERR_KEYSTORE_CERTIFICATE_MISMATCH',
    );
    expect(await codeOf(() => keystore.tlsSecureContext())).toBe('ERR_KEYSTORE_NOT_ENROLLED');
    expect(keystore.enrolment()).toBeUndefined();
  });

  it('[CTL-11] stores the enrolment durably; gateway keys with private members are refused', { tags: ['CTL-11'] }, async () => {
    const ca = await testCa();
    const keystore = await Keystore.create(dir, 'pump-9');
    const gateway = await Identity.generate();
    const signer = await Identity.generate();
    const enrolment = {
      certificatePem: await ca.issue(keystore.csrPem),
      caCertificatePem: ca.caPem,
      gatewayIdentity: gateway.publicJwks(),
      commandSigner: signer.publicJwks().signing,
    };
    expect(
      await codeOf(() => keystore.saveEnrolment({ ...enrolment, gatewayIdentity: { ...enrolment.gatewayIdentity, signing: gateway.exportPrivateJwks().signing } })),
    ).toBe('ERR_CRYPTO_INVALID_KEY');
    await keystore.saveEnrolment(enrolment);
    const reopened = await Keystore.open(dir);
    expect(reopened.enrolment()).toEqual(enrolment);
    expect(JSON.stringify(reopened)).toContain('"enrolled":true');
  });

  it('[CTL-11] no returned value and no serialisation of the keystore holds private key material', { tags: ['CTL-11'] }, async () => {
    const ca = await testCa();
    const keystore = await Keystore.create(dir, 'ecg-1');
    await keystore.saveEnrolment({
      certificatePem: await ca.issue(keystore.csrPem),
      caCertificatePem: ca.caPem,
      gatewayIdentity: (await Identity.generate()).publicJwks(),
    });
    const returned = [
      JSON.stringify(keystore),
      inspect(keystore, { depth: 10, showHidden: true }),
      keystore.csrPem,
      JSON.stringify(keystore.publicIdentity()),
      JSON.stringify(keystore.enrolment()),
      JSON.stringify(keystore.sessionIdentity()),
      inspect(keystore.sessionIdentity(), { depth: 10 }),
      inspect(keystore.tlsSecureContext(), { depth: 10 }),
      keystore.sign('label', Buffer.from('m')).toString('latin1'),
    ];
    for (const text of returned) expectNoPrivateMaterial(text);
    for (const jwk of Object.values(keystore.publicIdentity())) expect(jwk).not.toHaveProperty('d');
  });

  it('[CTL-10] keeps its files 0600 in a 0700 directory, encrypted: no key or CSR in clear on disk', { tags: ['CTL-10', 'CTL-11'] }, async () => {
    const keystore = await Keystore.create(join(dir, 'dev'), 'scale-1');
    expect((await stat(join(dir, 'dev'))).mode & 0o777).toBe(0o700);
    for (const file of Object.values(KEYSTORE_FILES)) expect((await stat(join(dir, 'dev', file))).mode & 0o777).toBe(0o600);
    const raw = (await readFile(join(dir, 'dev', KEYSTORE_FILES.secureElement))).toString('latin1');
    expectNoPrivateMaterial(raw);
    expect(raw).not.toContain('BEGIN CERTIFICATE REQUEST');
    expect(raw).not.toContain(keystore.publicIdentity().signing.x);
  });

  it('[CTL-23] typed errors for a missing, existing, foreign, exposed or damaged store', { tags: ['CTL-23', 'CTL-11'] }, async () => {
    expect(await codeOf(() => Keystore.open(dir))).toBe('ERR_KEYSTORE_NOT_FOUND');
    await Keystore.create(dir, 'hr-1');
    expect(await codeOf(() => Keystore.create(dir, 'hr-1'))).toBe('ERR_KEYSTORE_EXISTS');
    expect(await codeOf(() => Keystore.openOrCreate(dir, 'hr-2'))).toBe('ERR_KEYSTORE_DEVICE_MISMATCH');
    expect((await Keystore.openOrCreate(dir, 'hr-1')).deviceId).toBe('hr-1');

    const file = join(dir, KEYSTORE_FILES.secureElement);
    await chmod(file, 0o644);
    expect(await codeOf(() => Keystore.open(dir))).toBe('ERR_KEYSTORE_PERMISSIONS');
    await chmod(file, 0o600);

    const original = await readFile(file);
    for (const at of [0, 5, original.length - 40, original.length - 1]) {
      const damaged = Buffer.from(original);
      damaged[at]! ^= 0x01;
      await writeFile(file, damaged, { mode: 0o600 });
      expect(await codeOf(() => Keystore.open(dir))).toBe('ERR_KEYSTORE_CORRUPT');
    }
    await writeFile(file, original, { mode: 0o600 });
    await writeFile(join(dir, KEYSTORE_FILES.hardwareUniqueKey), Buffer.alloc(32, 7), { mode: 0o600 });
    expect(await codeOf(() => Keystore.open(dir))).toBe('ERR_KEYSTORE_CORRUPT');
  });

  it('[CTL-11] wipe erases the keys: the object refuses, the directory is empty, an old copy does not open', { tags: ['CTL-11'] }, async () => {
    const keystore = await Keystore.create(dir, 'ultrasound-1');
    const blob = keystore.protect(Buffer.from('queued reading'), 'queue:1');
    await copyFile(join(dir, KEYSTORE_FILES.secureElement), join(dir, 'copy.bin'));
    await keystore.wipe();
    expect(await codeOf(() => keystore.sign('x', Buffer.alloc(1)))).toBe('ERR_KEYSTORE_WIPED');
    expect(await codeOf(() => keystore.sessionIdentity())).toBe('ERR_KEYSTORE_WIPED');
    expect(await codeOf(() => Keystore.open(dir))).toBe('ERR_KEYSTORE_NOT_FOUND');
    await copyFile(join(dir, 'copy.bin'), join(dir, KEYSTORE_FILES.secureElement));
    await chmod(join(dir, KEYSTORE_FILES.secureElement), 0o600);
    expect(await codeOf(() => Keystore.open(dir))).toBe('ERR_KEYSTORE_CORRUPT');
    await rm(join(dir, KEYSTORE_FILES.secureElement));
    // A new provisioning gets a new HUK: data protected before the reset stays unreadable.
    const fresh = await Keystore.create(dir, 'ultrasound-1');
    expect(await codeOf(() => fresh.unprotect(blob, 'queue:1'))).toBe('ERR_KEYSTORE_UNPROTECT_FAILED');
  });

  it('[CTL-10] protect binds data to the device and its context', { tags: ['CTL-10'] }, async () => {
    const keystore = await Keystore.create(join(dir, 'a'), 'spo2-1');
    const other = await Keystore.create(join(dir, 'b'), 'spo2-2');
    const blob = keystore.protect(Buffer.from('SpO2 97 %'), 'queue:7');
    expect(blob.toString('latin1')).not.toContain('SpO2');
    expect((await Keystore.open(join(dir, 'a'))).unprotect(blob, 'queue:7').toString()).toBe('SpO2 97 %');
    expect(await codeOf(() => keystore.unprotect(blob, 'queue:8'))).toBe('ERR_KEYSTORE_UNPROTECT_FAILED');
    expect(await codeOf(() => other.unprotect(blob, 'queue:7'))).toBe('ERR_KEYSTORE_UNPROTECT_FAILED');
    const damaged = Buffer.from(blob);
    damaged[20]! ^= 0x80;
    expect(await codeOf(() => keystore.unprotect(damaged, 'queue:7'))).toBe('ERR_KEYSTORE_UNPROTECT_FAILED');
  });
});
