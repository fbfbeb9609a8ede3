import { describe, expect, it } from 'vitest';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { decodeMessage, encodeMessage } from '@medsim/protocol';
import { DeviceCredentials, bloodPressureReading, glucoseReading, pulseOximeterReading, thermometerReading } from '../src/index.js';

describe('testkit device credentials', () => {
  it('[CTL-05][CTL-11] each device gets its own P-256 TLS key (CSR self-signed, CN = device id) and its own identity', { tags: ['CTL-05', 'CTL-11'] }, async () => {
    const [a, b] = await Promise.all([DeviceCredentials.create('pulse-ox-0001'), DeviceCredentials.create('pulse-ox-0001')]);
    const csr = new x509.Pkcs10CertificateRequest(a.csrPem);
    expect(csr.subject).toBe('CN=pulse-ox-0001');
    expect(await csr.verify()).toBe(true);
    expect((csr.publicKey.algorithm as { namedCurve?: string }).namedCurve).toBe('P-256');
    // Same device id, different keys: nothing is derived from the id.
    expect(a.tlsKeyPem).not.toBe(b.tlsKeyPem);
    expect(a.identity.public.agreement.kid).not.toBe(b.identity.public.agreement.kid);
    expect(() => a.enrolment).toThrow(/not enrolled/u);
    expect(a.enrolmentRequest('enr_x')).toMatchObject({ token: 'enr_x', deviceId: 'pulse-ox-0001', csrPem: a.csrPem });
  });
});

describe('testkit readings', () => {
  it('[CTL-09] every generator makes readings the protocol accepts, the same for the same index', { tags: ['CTL-09'] }, () => {
    for (const make of [pulseOximeterReading, bloodPressureReading, thermometerReading, glucoseReading]) {
      for (let i = 0; i < 200; i += 1) {
        const bytes = encodeMessage('VitalSignReading', make(i));
        expect(decodeMessage('VitalSignReading', bytes).observations.length).toBeGreaterThan(0);
        expect(Buffer.from(encodeMessage('VitalSignReading', make(i))).equals(Buffer.from(bytes))).toBe(true);
      }
    }
  });
});
