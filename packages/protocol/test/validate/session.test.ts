/**
 * Field rules of session.proto (src/internal/validate/session.ts), through decodeMessage.
 * Each case starts from a valid sample and breaks exactly one rule.
 */
import { describe, it } from 'vitest';
import { DEVICE_KEY_ID, decodingFields, expectAccepted, expectRefusal, filled, samples } from '../fixtures.js';

describe('SessionInfo', () => {
  const info = samples.SessionInfo;

  it('[CTL-09][C9] ERR_PROTOCOL_UNSUPPORTED_VERSION: handshake version 2 and 0', { tags: ['CTL-09', 'C9'] }, () => {
    for (const version of [2, 0]) {
      expectRefusal(decodingFields('SessionInfo', { ...info, version }), 'ERR_PROTOCOL_UNSUPPORTED_VERSION', 'SessionInfo.version');
    }
  });

  it('[CTL-09] ERR_PROTOCOL_INVALID_DEVICE_ID: a device id with an upper-case letter', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingFields('SessionInfo', { ...info, deviceId: 'Pulse-ox-0001' }), 'ERR_PROTOCOL_INVALID_DEVICE_ID', 'SessionInfo.deviceId');
  });

  it('[CTL-09][C12] key ids must be RFC 7638 SHA-256 thumbprints: 43 base64url characters', { tags: ['CTL-09', 'C12'] }, () => {
    expectRefusal(decodingFields('SessionInfo', { ...info, deviceKeyId: '' }), 'ERR_PROTOCOL_MISSING_FIELD', 'SessionInfo.deviceKeyId');
    expectRefusal(decodingFields('SessionInfo', { ...info, deviceKeyId: `${DEVICE_KEY_ID}A` }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'SessionInfo.deviceKeyId');
    // Too short, standard base64 instead of base64url, padded: right length or not, wrong form.
    for (const gatewayKeyId of [DEVICE_KEY_ID.slice(1), `${DEVICE_KEY_ID.slice(0, 42)}+`, `${DEVICE_KEY_ID.slice(0, 42)}=`]) {
      expectRefusal(decodingFields('SessionInfo', { ...info, gatewayKeyId }), 'ERR_PROTOCOL_INCONSISTENT', 'SessionInfo.gatewayKeyId');
    }
  });

  it('[CTL-09] a 16-byte session nonce and a timestamp are required', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingFields('SessionInfo', { ...info, sessionNonce: filled(15, 1) }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'SessionInfo.sessionNonce');
    expectRefusal(decodingFields('SessionInfo', { ...info, sessionNonce: new Uint8Array(0) }), 'ERR_PROTOCOL_MISSING_FIELD', 'SessionInfo.sessionNonce');
    expectRefusal(decodingFields('SessionInfo', { ...info, timestampMs: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', 'SessionInfo.timestampMs');
  });
});

describe('SessionInit', () => {
  const init = samples.SessionInit;

  it('[CTL-09] a 32-byte X25519 encapsulation, a confirmation of 1 to 64 bytes, info up to 256 bytes', { tags: ['CTL-09'] }, () => {
    expectAccepted('SessionInit', { ...init, confirmation: filled(64, 1), info: filled(256, 1) });
    expectRefusal(decodingFields('SessionInit', { ...init, enc: filled(31, 1) }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'SessionInit.enc');
    expectRefusal(decodingFields('SessionInit', { ...init, enc: filled(33, 1) }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'SessionInit.enc');
    expectRefusal(decodingFields('SessionInit', { ...init, confirmation: filled(65, 1) }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'SessionInit.confirmation');
    expectRefusal(decodingFields('SessionInit', { ...init, confirmation: new Uint8Array(0) }), 'ERR_PROTOCOL_MISSING_FIELD', 'SessionInit.confirmation');
    expectRefusal(decodingFields('SessionInit', { ...init, info: filled(257, 1) }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'SessionInit.info');
    expectRefusal(decodingFields('SessionInit', { ...init, info: new Uint8Array(0) }), 'ERR_PROTOCOL_MISSING_FIELD', 'SessionInit.info');
  });
});

describe('SessionAccept', () => {
  const accept = samples.SessionAccept;

  it('[CTL-09] an 8-byte key id, a 16-byte nonce and non-zero limits', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingFields('SessionAccept', { ...accept, keyId: filled(9, 1) }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'SessionAccept.keyId');
    expectRefusal(decodingFields('SessionAccept', { ...accept, gatewayNonce: new Uint8Array(0) }), 'ERR_PROTOCOL_MISSING_FIELD', 'SessionAccept.gatewayNonce');
    for (const field of ['gatewayTimeMs', 'maxMessages', 'maxAgeMs'] as const) {
      expectRefusal(decodingFields('SessionAccept', { ...accept, [field]: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', `SessionAccept.${field}`);
    }
  });
});
