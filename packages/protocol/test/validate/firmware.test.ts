/**
 * Field rules of firmware.proto (src/internal/validate/firmware.ts), through decodeMessage.
 * Each case starts from a valid sample and breaks exactly one rule.
 */
import { describe, it } from 'vitest';
import { decodingFields, expectAccepted, expectRefusal, samples } from '../fixtures.js';

describe('FirmwareUpdateStatus', () => {
  const status = samples.FirmwareUpdateStatus;

  it('[CTL-09] ERR_PROTOCOL_INCONSISTENT: more bytes received than the total', { tags: ['CTL-09'] }, () => {
    expectRefusal(
      decodingFields('FirmwareUpdateStatus', { ...status, bytesReceived: status.bytesTotal + 1 }),
      'ERR_PROTOCOL_INCONSISTENT',
      'FirmwareUpdateStatus.bytesReceived',
    );
    expectAccepted('FirmwareUpdateStatus', { ...status, bytesReceived: status.bytesTotal });
    expectAccepted('FirmwareUpdateStatus', { ...status, bytesReceived: 0, bytesTotal: 0 });
  });

  it('[CTL-09] a defined phase, the installed version and a report time are required', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingFields('FirmwareUpdateStatus', { ...status, phase: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', 'FirmwareUpdateStatus.phase');
    expectRefusal(decodingFields('FirmwareUpdateStatus', { ...status, phase: 9 }), 'ERR_PROTOCOL_UNKNOWN_ENUM', 'FirmwareUpdateStatus.phase');
    expectRefusal(decodingFields('FirmwareUpdateStatus', { ...status, installedVersion: '' }), 'ERR_PROTOCOL_MISSING_FIELD', 'FirmwareUpdateStatus.installedVersion');
    expectRefusal(decodingFields('FirmwareUpdateStatus', { ...status, atMs: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', 'FirmwareUpdateStatus.atMs');
  });

  it('[CTL-09] texts are optional where the schema says so, and at most 64 characters', { tags: ['CTL-09'] }, () => {
    expectAccepted('FirmwareUpdateStatus', { ...status, campaignId: '', targetVersion: '', errorCode: '' });
    for (const field of ['campaignId', 'targetVersion', 'installedVersion', 'errorCode'] as const) {
      expectRefusal(decodingFields('FirmwareUpdateStatus', { ...status, [field]: 'x'.repeat(65) }), 'ERR_PROTOCOL_OUT_OF_RANGE', `FirmwareUpdateStatus.${field}`);
    }
  });
});
