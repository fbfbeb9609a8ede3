import { describe, expect, it } from 'vitest';
import { acceptSession, initiateSession, resumeGatewaySession, type AcceptSessionOptions } from '@medsim/crypto';
import { READING, TestClock, identities, codeOf } from '../fixtures.js';

const { gateway, device } = identities;
const enrolled: AcceptSessionOptions['resolveDevice'] = (id, kid) =>
  id === 'pump-0001' && kid === device.public.agreement.kid ? device.public : undefined;

describe('session resumption after a gateway restart', () => {
  it('[CTL-07] a resumed session opens envelopes the device sealed before the restart', { tags: ['CTL-07'] }, () => {
    const clock = new TestClock();
    const pending = initiateSession({ device, deviceId: 'pump-0001', gateway: gateway.public, now: clock.now });
    const accepted = acceptSession(pending.message, { gateway, resolveDevice: enrolled, now: clock.now });
    const deviceSession = pending.complete(accepted.reply);
    const sealed = [0, 1, 2].map((n) => deviceSession.seal(READING, Buffer.from(`reading ${n}`)));
    expect(Buffer.from(accepted.session.open(sealed[0]!).plaintext).toString()).toBe('reading 0');

    const resumed = resumeGatewaySession(accepted.resumption, { now: clock.now });
    expect(Buffer.from(resumed.keyId).equals(Buffer.from(accepted.session.keyId))).toBe(true);
    // The replay window restarts empty (the gateway's store deduplicates), so all three open.
    expect(sealed.map((bytes) => Buffer.from(resumed.open(bytes).plaintext).toString())).toEqual(['reading 0', 'reading 1', 'reading 2']);
    expect(codeOf(() => resumed.open(sealed[1]!))).toBe('ERR_CRYPTO_REPLAY');
  });

  it('[CTL-07][C5] a resumed session never seals: its send counters are gone and a nonce must not repeat', { tags: ['CTL-07', 'C5'] }, () => {
    const pending = initiateSession({ device, deviceId: 'pump-0001', gateway: gateway.public });
    const accepted = acceptSession(pending.message, { gateway, resolveDevice: enrolled });
    const resumed = resumeGatewaySession(accepted.resumption);
    expect(resumed.receiveOnly).toBe(true);
    expect(codeOf(() => resumed.seal(READING, Buffer.from('x')))).toBe('ERR_CRYPTO_REKEY_REQUIRED');
  });

  it('[CTL-07] refuses resumption secrets of the wrong length', { tags: ['CTL-07'] }, () => {
    const pending = initiateSession({ device, deviceId: 'pump-0001', gateway: gateway.public });
    const { resumption } = acceptSession(pending.message, { gateway, resolveDevice: enrolled });
    expect(codeOf(() => resumeGatewaySession({ ...resumption, trafficSeed: resumption.trafficSeed.subarray(1) }))).toBe('ERR_CRYPTO_HANDSHAKE_FAILED');
  });
});
