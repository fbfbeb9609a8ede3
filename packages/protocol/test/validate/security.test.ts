/**
 * Field rules of security.proto (src/internal/validate/security.ts), through decodeMessage.
 * Each case starts from a valid sample and breaks exactly one rule.
 */
import { describe, it } from 'vitest';
import { decodingFields, expectAccepted, expectRefusal, samples } from '../fixtures.js';

describe('SecurityEvent', () => {
  const event = samples.SecurityEvent;

  it('[CTL-09] a defined type and severity and an event time are required', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingFields('SecurityEvent', { ...event, type: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', 'SecurityEvent.type');
    expectRefusal(decodingFields('SecurityEvent', { ...event, type: 12 }), 'ERR_PROTOCOL_UNKNOWN_ENUM', 'SecurityEvent.type');
    expectRefusal(decodingFields('SecurityEvent', { ...event, severity: 6 }), 'ERR_PROTOCOL_UNKNOWN_ENUM', 'SecurityEvent.severity');
    expectRefusal(decodingFields('SecurityEvent', { ...event, atMs: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', 'SecurityEvent.atMs');
  });

  it('[CTL-09] error code and subject are optional, at most 64 characters', { tags: ['CTL-09'] }, () => {
    expectAccepted('SecurityEvent', { ...event, errorCode: '', subject: '' });
    expectAccepted('SecurityEvent', { ...event, subject: 'c1'.repeat(32) });
    expectRefusal(decodingFields('SecurityEvent', { ...event, subject: 'c1'.repeat(32) + 'x' }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'SecurityEvent.subject');
    expectRefusal(decodingFields('SecurityEvent', { ...event, errorCode: 'E'.repeat(65) }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'SecurityEvent.errorCode');
  });
});
