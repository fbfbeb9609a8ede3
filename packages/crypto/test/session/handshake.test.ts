import { describe, expect, it } from 'vitest';
import { ContentType, STREAM_IDS, decodeMessage, encodeMessage } from '@medsim/protocol';
import { DEFAULT_REKEY_POLICY, acceptSession, initiateSession, type AcceptSessionOptions } from '@medsim/crypto';
import { READING, TestClock, establish, identities, codeOf } from '../fixtures.js';

const { gateway, device, other } = identities;

const enrolled: AcceptSessionOptions['resolveDevice'] = (id, kid) =>
  id === 'pump-0001' && kid === device.public.agreement.kid ? device.public : undefined;

describe('session handshake (HPKE auth mode, RFC 9180)', () => {
  it('[CTL-05][CTL-07] establishes matching sessions and tells the gateway which device spoke', { tags: ['CTL-05', 'CTL-07'] }, () => {
    const clock = new TestClock();
    const pending = initiateSession({ device, deviceId: 'pump-0001', gateway: gateway.public, now: clock.now });
    const { session, reply } = acceptSession(pending.message, { gateway, resolveDevice: enrolled, now: clock.now });
    const deviceSession = pending.complete(reply);
    expect(session.deviceId).toBe('pump-0001');
    expect(Buffer.from(deviceSession.keyId).equals(Buffer.from(session.keyId))).toBe(true);
    expect(deviceSession.policy.maxMessages).toBe(DEFAULT_REKEY_POLICY.maxMessages);
    expect(Buffer.from(session.open(deviceSession.seal(READING, Buffer.from('hi'))).plaintext).toString()).toBe('hi');
  });

  it('[CTL-05] refuses a device whose static key is not the enrolled one (auth mode binds the sender)', { tags: ['CTL-05'] }, () => {
    const impostor = initiateSession({ device: other, deviceId: 'pump-0001', gateway: gateway.public });
    // The impostor claims the enrolled key id but holds another key.
    const init = decodeMessage('SessionInit', impostor.message);
    const info = decodeMessage('SessionInfo', init.info);
    const forgedInfo = encodeMessage('SessionInfo', { ...info, deviceKeyId: device.public.agreement.kid });
    const forged = encodeMessage('SessionInit', { info: forgedInfo, enc: init.enc, confirmation: init.confirmation });
    expect(codeOf(() => acceptSession(forged, { gateway, resolveDevice: enrolled }))).toBe('ERR_CRYPTO_HANDSHAKE_FAILED');
    // Unknown device ids and key ids never reach the key schedule.
    expect(codeOf(() => acceptSession(impostor.message, { gateway, resolveDevice: enrolled }))).toBe('ERR_CRYPTO_UNKNOWN_KEY');
  });

  it('[CTL-05] refuses a SessionInit meant for another gateway key', { tags: ['CTL-05'] }, () => {
    const pending = initiateSession({ device, deviceId: 'pump-0001', gateway: other.public });
    expect(codeOf(() => acceptSession(pending.message, { gateway, resolveDevice: enrolled }))).toBe('ERR_CRYPTO_UNKNOWN_KEY');
  });

  it('[CTL-05] the device refuses a SessionAccept not made by the expected gateway key', { tags: ['CTL-05'] }, () => {
    const pending = initiateSession({ device, deviceId: 'pump-0001', gateway: gateway.public });
    // A rogue gateway answers a handshake it could not decapsulate: it has the wrong static key.
    const rogue = initiateSession({ device, deviceId: 'pump-0001', gateway: other.public });
    const rogueAccept = acceptSession(rogue.message, { gateway: other, resolveDevice: enrolled });
    expect(codeOf(() => pending.complete(rogueAccept.reply))).toBe('ERR_CRYPTO_HANDSHAKE_FAILED');
  });

  it('[CTL-08] refuses a handshake outside the allowed clock skew, both ways', { tags: ['CTL-08'] }, () => {
    const clock = new TestClock();
    const pending = initiateSession({ device, deviceId: 'pump-0001', gateway: gateway.public, now: clock.now });
    const late = new TestClock(clock.nowMs + 5 * 60_000 + 1);
    expect(codeOf(() => acceptSession(pending.message, { gateway, resolveDevice: enrolled, now: late.now }))).toBe('ERR_CRYPTO_HANDSHAKE_STALE');
    const early = new TestClock(clock.nowMs - 5 * 60_000 - 1);
    expect(codeOf(() => acceptSession(pending.message, { gateway, resolveDevice: enrolled, now: early.now }))).toBe('ERR_CRYPTO_HANDSHAKE_STALE');
  });

  it('[CTL-08][C2] a replayed SessionInit yields a session no one can use: old envelopes do not open in it', { tags: ['CTL-08', 'C2'] }, () => {
    const pending = initiateSession({ device, deviceId: 'pump-0001', gateway: gateway.public });
    const first = acceptSession(pending.message, { gateway, resolveDevice: enrolled });
    const deviceSession = pending.complete(first.reply);
    const envelope = deviceSession.seal(READING, Buffer.from('basal 0.8 U/h'));
    first.session.open(envelope);
    // An attacker replays the handshake: the gateway's fresh nonce gives new, unrelated keys.
    const replayed = acceptSession(pending.message, { gateway, resolveDevice: enrolled });
    expect(Buffer.from(replayed.session.keyId).equals(Buffer.from(first.session.keyId))).toBe(false);
    expect(codeOf(() => replayed.session.open(envelope))).toBe('ERR_CRYPTO_WRONG_KEY');
  });

  it('[CTL-09] malformed handshakes are refused with typed protocol errors', { tags: ['CTL-09'] }, () => {
    expect(codeOf(() => acceptSession(new Uint8Array([0x0a, 0xff]), { gateway, resolveDevice: enrolled }))).toBe('ERR_PROTOCOL_TRUNCATED');
    expect(codeOf(() => acceptSession(new Uint8Array(600), { gateway, resolveDevice: enrolled }))).toBe('ERR_PROTOCOL_TOO_LARGE');
    const pending = initiateSession({ device, deviceId: 'pump-0001', gateway: gateway.public });
    const init = decodeMessage('SessionInit', pending.message);
    const lowOrder = encodeMessage('SessionInit', { info: init.info, enc: new Uint8Array(32), confirmation: init.confirmation });
    expect(codeOf(() => acceptSession(lowOrder, { gateway, resolveDevice: enrolled }))).toBe('ERR_CRYPTO_INVALID_KEY');
  });

  it('[CTL-07] the device learns the gateway clock offset from SessionAccept', { tags: ['CTL-07'] }, () => {
    const deviceClock = new TestClock();
    const gatewayClock = new TestClock(deviceClock.nowMs + 42_000);
    const pending = initiateSession({ device, deviceId: 'pump-0001', gateway: gateway.public, now: deviceClock.now });
    const { reply } = acceptSession(pending.message, { gateway, resolveDevice: enrolled, now: gatewayClock.now });
    expect(pending.complete(reply).clockOffsetMs).toBe(42_000);
  });

  it('[CTL-07] SessionAccept must be a control-stream envelope for this device', { tags: ['CTL-07'] }, () => {
    const { gateway: gatewaySession } = establish('pump-0001');
    const pending = initiateSession({ device, deviceId: 'pump-0001', gateway: gateway.public });
    const notAnAccept = gatewaySession.seal(ContentType.CONTENT_TYPE_THERAPY_COMMAND, Buffer.from('x'), { streamId: STREAM_IDS.commands });
    expect(codeOf(() => pending.complete(notAnAccept))).toBe('ERR_CRYPTO_CONTEXT_MISMATCH');
  });
});

describe('rekeying (count and age limits)', () => {
  const tiny = { ...DEFAULT_REKEY_POLICY, maxMessages: 8, maxAgeMs: 60_000, receiveGraceMs: 5_000 };

  it('[CTL-11][C1] the sealer refuses at the message limit and never wraps its counter', { tags: ['CTL-11', 'C1'] }, () => {
    const { device, gateway } = establish('pump-0001', tiny);
    for (let i = 0; i < 8; i++) gateway.open(device.seal(READING, Buffer.from([i])));
    expect(device.needsRekey()).toBe(true);
    expect(codeOf(() => device.seal(READING, Buffer.from([9])))).toBe('ERR_CRYPTO_REKEY_REQUIRED');
    expect(device.sealedCount).toBe(8);
  });

  it('[CTL-11] needsRekey turns true at 75 % of the age limit; sealing stops at the limit', { tags: ['CTL-11'] }, () => {
    const { device, clock } = establish('pump-0001', tiny);
    clock.advance(44_999);
    expect(device.needsRekey()).toBe(false);
    clock.advance(1);
    expect(device.needsRekey()).toBe(true);
    clock.advance(15_000);
    expect(codeOf(() => device.seal(READING, Buffer.from('late')))).toBe('ERR_CRYPTO_REKEY_REQUIRED');
  });

  it('[CTL-11] the receiver refuses a session past its age limit plus grace', { tags: ['CTL-11'] }, () => {
    const { device, gateway, clock } = establish('pump-0001', tiny);
    clock.advance(59_000);
    const sealedInTime = device.seal(READING, Buffer.from('in flight'));
    clock.advance(5_000); // 64 s: past maxAge, within the grace
    expect(Buffer.from(gateway.open(sealedInTime).plaintext).toString()).toBe('in flight');
    clock.advance(2_000); // 66 s: past maxAge + grace
    expect(codeOf(() => gateway.open(sealedInTime))).toBe('ERR_CRYPTO_SESSION_EXPIRED');
  });
});
