/**
 * Device authentication and transport security of the device plane (CTL-05, CTL-06): mutual TLS
 * with the local CA only, TLS 1.3 or 1.2 with AEAD suites only, no plaintext listener, the MQTT
 * client id bound to the certificate identity (M7), refusal of missing, foreign, expired and
 * revoked certificates (M14), per-device credentials (ISVS 2.1.10). Real broker, real TLS on
 * 127.0.0.1, real mqtt.js clients.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceCredentials, pulseOximeterReading, type DeviceClient } from '@medsim/testkit';
import { X509Certificate } from 'node:crypto';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { LocalCa } from '../../src/pki/local-ca.js';
import type { Gateway } from '../../src/index.js';
import { auditEvents, connectDevice, enrolDevice, waitFor } from '../fixtures.js';
import { RawMqtt, attemptConnect, connectPacket, deviceMqttOptions, deviceTls, issueFromGatewayCa, perTestResources, serialOf, sleep } from './helpers.js';

const { started, track } = perTestResources(afterEach);
const clients = { push: track };

/** A TLS client hello with `tls` options never reaches MQTT, and the server audits `code`. */
async function expectTlsRefused(gateway: Gateway, credentials: DeviceCredentials, tls: ConnectionOptions, code: string): Promise<void> {
  const before = audited(gateway, 'mqtt.tls-refused').length;
  const raw = RawMqtt.tls(gateway.addresses.mqttPort, { ...deviceTls(credentials), ...tls });
  clients.push(raw);
  raw.send(connectPacket(credentials.deviceId));
  expect(await raw.waitClosed(3_000)).toBe(true);
  expect(raw.secureAt).toBeUndefined();
  expect(raw.packets).toEqual([]);
  await waitFor(() => audited(gateway, 'mqtt.tls-refused').length > before, 2_000, 'tls-refused audit');
  expect(audited(gateway, 'mqtt.tls-refused')[before]).toBe(`mqtt.tls-refused:${code}`);
}

async function device(gateway: Gateway, id: string): Promise<DeviceClient> {
  const client = await connectDevice(gateway, await enrolDevice(gateway, id));
  clients.push(client);
  return client;
}

/** Audit entries of one event, as `event:code`. */
const audited = (gateway: Gateway, event: string): string[] => auditEvents(gateway).filter((e) => e === event || e.startsWith(`${event}:`));

const DAY = 86_400_000;

describe('device plane mTLS: who may connect (CTL-05, CTL-06, M7, M14)', () => {
  it('[CTL-05][M14] a connection without a client certificate is refused in the TLS handshake and audited', { tags: ['CTL-05', 'M14'] }, async () => {
    const gateway = await started();
    const credentials = await enrolDevice(gateway, 'pulse-ox-0101');
    const attempt = await attemptConnect(gateway.addresses.mqttPort, { clientId: credentials.deviceId, ca: credentials.enrolment.caCertificatePem });
    clients.push(attempt.client);
    expect(attempt.connected).toBe(false);
    expect(attempt.returnCode).toBeUndefined(); // refused before MQTT: no CONNACK at all
    await waitFor(() => audited(gateway, 'mqtt.tls-refused').length > 0, 2_000, 'tls-refused audit');
    expect(audited(gateway, 'mqtt.tls-refused')).toEqual(['mqtt.tls-refused:ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE']);
    expect(gateway.devicePlane.connectedDevices).toBe(0);
  });

  it('[CTL-05][M14] a certificate for an enrolled device id and key from a foreign CA is refused', { tags: ['CTL-05', 'M14'] }, async () => {
    const gateway = await started();
    const credentials = await enrolDevice(gateway, 'pulse-ox-0102');
    // Same device id, same key pair, issued by another CA (as an attacker with their own CA would).
    const { ca: foreign } = await LocalCa.create('attacker CA');
    const forged = await foreign.issueDevice(credentials.csrPem, credentials.deviceId, 30);
    const attempt = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(credentials, { cert: forged.certPem }));
    clients.push(attempt.client);
    expect(attempt.connected).toBe(false);
    expect(attempt.returnCode).toBeUndefined();
    await waitFor(() => audited(gateway, 'mqtt.tls-refused').length > 0, 2_000, 'tls-refused audit');
    expect(audited(gateway, 'mqtt.tls-refused')).toEqual(['mqtt.tls-refused:UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
    // Control: the genuine certificate of the same key connects.
    const genuine = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(credentials));
    clients.push(genuine.client);
    expect(genuine.connected).toBe(true);
  });

  it('[CTL-05][M14] an expired (and a not-yet-valid) certificate from the gateway CA is refused; the same certificate in validity connects', { tags: ['CTL-05', 'M14'] }, async () => {
    const gateway = await started();
    const credentials = await enrolDevice(gateway, 'pulse-ox-0103');
    // Same CA, key, device id and serial as the enrolled certificate: only the dates differ, so
    // the registry's serial check would pass and only the TLS validity check can refuse it.
    const base = { csrPem: credentials.csrPem, deviceId: credentials.deviceId, serialHex: serialOf(credentials.enrolment.certificatePem) };
    const expired = await issueFromGatewayCa(gateway, { ...base, notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
    const future = await issueFromGatewayCa(gateway, { ...base, notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 30 * DAY) });
    const current = await issueFromGatewayCa(gateway, { ...base, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY) });
    expect(serialOf(expired)).toBe(base.serialHex);

    for (const [cert, reason] of [
      [expired, 'CERT_HAS_EXPIRED'],
      [future, 'CERT_NOT_YET_VALID'],
    ] as const) {
      const before = audited(gateway, 'mqtt.tls-refused').length;
      const attempt = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(credentials, { cert }));
      clients.push(attempt.client);
      expect(attempt.connected).toBe(false);
      await waitFor(() => audited(gateway, 'mqtt.tls-refused').length > before, 2_000, 'tls-refused audit');
      expect(audited(gateway, 'mqtt.tls-refused')[before]).toBe(`mqtt.tls-refused:${reason}`);
    }
    const control = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(credentials, { cert: current }));
    clients.push(control.client);
    expect(control.connected).toBe(true);
  });

  it('[CTL-05][M14] revoking a connected device closes its connection; it and its certificate are refused afterwards, a re-enrolled key is not', { tags: ['CTL-05', 'M14'] }, async () => {
    const gateway = await started();
    const credentials = await enrolDevice(gateway, 'pulse-ox-0104');
    const live = await connectDevice(gateway, credentials);
    clients.push(live);
    await live.openSession();
    await live.sendReading(pulseOximeterReading(0));
    const closed = live.closed();
    gateway.context.devices.revoke('pulse-ox-0104', { actor: 'admin-1', role: 'admin' });
    const started_ = performance.now();
    await closed;
    expect(performance.now() - started_).toBeLessThan(2_000);
    await waitFor(() => gateway.devicePlane.connectedDevices === 0, 2_000, 'device gone');

    const again = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(credentials));
    clients.push(again.client);
    expect(again.connected).toBe(false);
    expect(again.returnCode).toBe(5); // not authorised
    expect(auditEvents(gateway)).toEqual(expect.arrayContaining(['device.revoke', 'device.auth:ERR_DEVICE_REVOKED']));

    // Re-enrolment with a new key: the new certificate connects, the revoked serial stays refused.
    const renewed = await enrolDevice(gateway, 'pulse-ox-0104');
    expect(serialOf(renewed.enrolment.certificatePem)).not.toBe(serialOf(credentials.enrolment.certificatePem));
    const old = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(credentials));
    clients.push(old.client);
    expect(old.connected).toBe(false);
    const fresh = await connectDevice(gateway, renewed);
    clients.push(fresh);
    await fresh.openSession();
    await fresh.sendReading(pulseOximeterReading(1));
    expect(gateway.context.readings.countForDevice('pulse-ox-0104')).toBe(2);
  });

  it('[CTL-05][M7] a valid certificate of X with client id Y is refused (CONNACK 2) and the real Y stays connected', { tags: ['CTL-05', 'M7'] }, async () => {
    const gateway = await started();
    const attacker = await enrolDevice(gateway, 'pulse-ox-0105');
    const victim = await device(gateway, 'pulse-ox-0106');
    await victim.openSession();
    await victim.sendReading(pulseOximeterReading(0));
    const victimClosed = victim.closed();
    let victimWasClosed = false;
    void victimClosed.then(() => (victimWasClosed = true));

    const takeover = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(attacker, { clientId: 'pulse-ox-0106' }));
    clients.push(takeover.client);
    expect(takeover.connected).toBe(false);
    expect(takeover.returnCode).toBe(2); // identifier rejected
    expect(auditEvents(gateway)).toContain('device.auth:ERR_DEVICE_IDENTITY_MISMATCH');

    // aedes would let a duplicate client id take the session over ([MQTT-3.1.4-2]); here the
    // victim keeps its connection and its session.
    await sleep(300);
    expect(victimWasClosed).toBe(false);
    expect(victim.mqtt.connected).toBe(true);
    await victim.sendReading(pulseOximeterReading(1));
    expect(gateway.context.readings.countForDevice('pulse-ox-0106')).toBe(2);
    expect(gateway.context.readings.countForDevice('pulse-ox-0105')).toBe(0);

    // Also with the victim offline: the attacker's certificate never opens a session as Y.
    await victim.close();
    await waitFor(() => gateway.devicePlane.connectedDevices === 0, 2_000, 'victim gone');
    const offline = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(attacker, { clientId: 'pulse-ox-0106' }));
    clients.push(offline.client);
    expect(offline.returnCode).toBe(2);
  });

  it('[CTL-06][M14] TLS 1.0 and TLS 1.1 offered by the client are refused by the server', { tags: ['CTL-06', 'M14'] }, async () => {
    const gateway = await started();
    const credentials = await enrolDevice(gateway, 'pulse-ox-0107');
    for (const maxVersion of ['TLSv1', 'TLSv1.1'] as const) {
      // SECLEVEL=0 lets this OpenSSL client actually offer the old versions: the refusal must
      // come from the server (its tlsClientError is the proof the hello reached it).
      await expectTlsRefused(gateway, credentials, { minVersion: 'TLSv1', maxVersion, ciphers: 'DEFAULT:@SECLEVEL=0' }, 'ERR_SSL_UNSUPPORTED_PROTOCOL');
    }
  });

  it('[CTL-06] TLS 1.2 with a non-AEAD suite is refused', { tags: ['CTL-06'] }, async () => {
    const gateway = await started();
    const credentials = await enrolDevice(gateway, 'pulse-ox-0108');
    for (const cipher of ['ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-SHA', 'ECDHE-ECDSA-AES256-SHA384']) {
      await expectTlsRefused(gateway, credentials, { maxVersion: 'TLSv1.2', ciphers: cipher }, 'ERR_SSL_NO_SHARED_CIPHER');
    }
  });

  it('[CTL-06] TLS 1.2 with each AEAD suite and TLS 1.3 are accepted and reach MQTT', { tags: ['CTL-06'] }, async () => {
    const gateway = await started();
    const credentials = await enrolDevice(gateway, 'pulse-ox-0109');
    const cases: { tls: { maxVersion: 'TLSv1.2' | 'TLSv1.3'; ciphers?: string }; protocol: string; cipher?: string }[] = [
      { tls: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }, protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256' },
      { tls: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' }, protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' },
      { tls: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' }, protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-CHACHA20-POLY1305' },
      { tls: { maxVersion: 'TLSv1.3' }, protocol: 'TLSv1.3' },
    ];
    for (const c of cases) {
      const raw = await RawMqtt.session(gateway.addresses.mqttPort, credentials, {}, c.tls);
      clients.push(raw);
      const socket = raw.socket as TLSSocket;
      expect(socket.getProtocol()).toBe(c.protocol);
      if (c.cipher !== undefined) expect(socket.getCipher().standardName ?? socket.getCipher().name).toMatch(/GCM|CHACHA20_POLY1305|CHACHA20-POLY1305/u);
      if (c.cipher !== undefined) expect(socket.getCipher().name).toBe(c.cipher);
      raw.destroy();
      await waitFor(() => gateway.devicePlane.connectedDevices === 0, 2_000, 'device gone');
    }
  });

  it('[CTL-06] there is no plaintext listener: an MQTT CONNECT over plain TCP gets no CONNACK', { tags: ['CTL-06'] }, async () => {
    const gateway = await started();
    const credentials = await enrolDevice(gateway, 'pulse-ox-0110');
    const raw = RawMqtt.plain(gateway.addresses.mqttPort);
    clients.push(raw);
    raw.send(connectPacket(credentials.deviceId));
    expect(await raw.waitClosed(3_000)).toBe(true);
    expect(raw.packets.filter((p) => p.cmd === 'connack')).toEqual([]);
    expect(gateway.devicePlane.connectedDevices).toBe(0);
    // The device plane has one listener, and it is the TLS server.
    expect(gateway.devicePlane.server.listening).toBe(true);
    expect(gateway.addresses.mqttPort).toBe((gateway.devicePlane.server.address() as { port: number }).port);
  });

  it('[CTL-05][CTL-11] two devices never share a key or certificate (ISVS 2.1.10)', { tags: ['CTL-05', 'CTL-11'] }, async () => {
    const gateway = await started();
    const ids = ['pulse-ox-0111', 'pulse-ox-0112', 'pulse-ox-0113', 'pulse-ox-0114', 'pulse-ox-0115'];
    const all = await Promise.all(ids.map((id) => enrolDevice(gateway, id)));
    const certs = all.map((c) => new X509Certificate(c.enrolment.certificatePem));
    const distinct = (values: string[]): number => new Set(values).size;
    expect(distinct(certs.map((c) => c.serialNumber))).toBe(ids.length);
    expect(distinct(certs.map((c) => c.fingerprint256))).toBe(ids.length);
    expect(distinct(certs.map((c) => c.publicKey.export({ format: 'der', type: 'spki' }).toString('hex')))).toBe(ids.length);
    expect(distinct(all.map((c) => c.tlsKeyPem))).toBe(ids.length);
    expect(distinct(all.map((c) => JSON.stringify(c.identity.publicJwks())))).toBe(ids.length);
    // Each certificate names its own device (CN and URI SAN) and nothing else.
    certs.forEach((cert, i) => {
      expect(cert.subject).toBe(`CN=${ids[i]}`);
      expect(cert.subjectAltName).toBe(`URI:urn:medsim:device:${ids[i]}`);
    });
    // A certificate only authenticates its own device: device 0's credentials cannot be used as device 1.
    const crossed = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(all[0]!, { clientId: ids[1]! }));
    clients.push(crossed.client);
    expect(crossed.returnCode).toBe(2);
    // The registry knows each device by its own serial.
    for (const c of all) expect(gateway.context.devices.get(c.deviceId)?.certificateSerial).toBe(serialOf(c.enrolment.certificatePem));
  });

  // enrol() refuses a CSR over a public key another device holds or held (unique key hashes).
  it('[CTL-05][CTL-11] enrolling a second device with a TLS key another device already holds is refused (ISVS 2.1.10)', { tags: ['CTL-05', 'CTL-11'] }, async () => {
    const gateway = await started();
    const first = await enrolDevice(gateway, 'pulse-ox-0116');
    // A second device presents the first device's CSR (same key pair) with its own token.
    const second = await DeviceCredentials.create('pulse-ox-0117');
    const { token } = gateway.context.devices.createEnrolmentToken({ deviceId: 'pulse-ox-0117', model: 'pulse-oximeter', createdBy: 'test-admin' });
    const request = { ...second.enrolmentRequest(token), csrPem: first.csrPem, source: '127.0.0.1' };
    await expect(gateway.context.devices.enrol(request)).rejects.toMatchObject({ code: 'ERR_PKI_INVALID_CSR' });
  });
});
