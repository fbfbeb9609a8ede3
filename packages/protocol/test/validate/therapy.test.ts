/**
 * Field rules of therapy.proto (src/internal/validate/therapy.ts), through decodeMessage: the
 * protocol's own ranges for doses and pacing, whatever a device's interlocks add on top.
 */
import { describe, expect, it } from 'vitest';
import { CommandStatus, PacingMode, REPEATED_LIMITS, THERAPY_LIMITS, type v1 } from '@medsim/protocol';
import { type Loose, decodingFields, expectAccepted, expectRefusal, filled, samples } from '../fixtures.js';

/** The sample command (a bolus) with its action replaced by `action`. */
function withAction(action: Loose<Pick<v1.TherapyCommand.$Properties, 'insulinBolus' | 'basalSchedule' | 'suspend' | 'resume' | 'pacingParameters'>>) {
  return { ...samples.TherapyCommand, insulinBolus: null, ...action };
}

const pacing = {
  mode: PacingMode.PACING_MODE_DDD,
  lowerRatePpm: 60,
  upperRatePpm: 130,
  amplitudeMillivolts: 3_500,
  pulseWidthMicroseconds: 400,
} satisfies v1.PacingParameters.$Properties;

/** A basal schedule starting at each of `startMinutes`, 800 mU/h each. */
const basal = (...startMinutes: number[]) => withAction({ basalSchedule: { segments: startMinutes.map((startMinute) => ({ startMinute, rateMilliunitsPerHour: 800 })) } });

describe('TherapyCommand actions', () => {
  it('[CTL-09] ERR_PROTOCOL_OUT_OF_RANGE: a bolus of 25,001 mU or 0 mU, over 480 minutes', { tags: ['CTL-09'] }, () => {
    const field = 'TherapyCommand.insulinBolus.amountMilliunits';
    const error = expectRefusal(decodingFields('TherapyCommand', withAction({ insulinBolus: { amountMilliunits: 25_001 } })), 'ERR_PROTOCOL_OUT_OF_RANGE', field);
    expect(error.details).toMatchObject(THERAPY_LIMITS.bolusMilliunits);
    expectRefusal(decodingFields('TherapyCommand', withAction({ insulinBolus: { amountMilliunits: 0 } })), 'ERR_PROTOCOL_OUT_OF_RANGE', field);
    expectRefusal(
      decodingFields('TherapyCommand', withAction({ insulinBolus: { amountMilliunits: 1_000, durationMinutes: 481 } })),
      'ERR_PROTOCOL_OUT_OF_RANGE',
      'TherapyCommand.insulinBolus.durationMinutes',
    );
    expectAccepted('TherapyCommand', withAction({ insulinBolus: { amountMilliunits: 25_000, durationMinutes: 480 } }));
    expectAccepted('TherapyCommand', withAction({ insulinBolus: { amountMilliunits: 1 } }));
  });

  it('[CTL-09] ERR_PROTOCOL_INCONSISTENT: basal segments not strictly increasing from minute 0', { tags: ['CTL-09'] }, () => {
    const segment = (i: number) => `TherapyCommand.basalSchedule.segments[${i}].startMinute`;
    expectAccepted('TherapyCommand', basal(0, 60, 1439));
    expectRefusal(decodingFields('TherapyCommand', basal(0, 120, 60)), 'ERR_PROTOCOL_INCONSISTENT', segment(2));
    expectRefusal(decodingFields('TherapyCommand', basal(0, 60, 60)), 'ERR_PROTOCOL_INCONSISTENT', segment(2));
    expectRefusal(decodingFields('TherapyCommand', basal(30, 60)), 'ERR_PROTOCOL_INCONSISTENT', segment(0));
  });

  it('[CTL-09][CTL-16] basal schedules: 1 to 48 segments, minutes up to 1439, rates up to 35,000 mU/h', { tags: ['CTL-09', 'CTL-16'] }, () => {
    const everyHalfHour = Array.from({ length: REPEATED_LIMITS.basalSegments.max }, (_, i) => i * 30);
    expectAccepted('TherapyCommand', basal(...everyHalfHour));
    expectRefusal(decodingFields('TherapyCommand', basal(...everyHalfHour, 1439)), 'ERR_PROTOCOL_OUT_OF_RANGE', 'TherapyCommand.basalSchedule.segments');
    expectRefusal(decodingFields('TherapyCommand', basal()), 'ERR_PROTOCOL_MISSING_FIELD', 'TherapyCommand.basalSchedule.segments');
    expectRefusal(decodingFields('TherapyCommand', basal(0, 1440)), 'ERR_PROTOCOL_OUT_OF_RANGE', 'TherapyCommand.basalSchedule.segments[1].startMinute');
    expectRefusal(
      decodingFields('TherapyCommand', withAction({ basalSchedule: { segments: [{ startMinute: 0, rateMilliunitsPerHour: 35_001 }] } })),
      'ERR_PROTOCOL_OUT_OF_RANGE',
      'TherapyCommand.basalSchedule.segments[0].rateMilliunitsPerHour',
    );
  });

  it('[CTL-09] ERR_PROTOCOL_INCONSISTENT: an upper pacing rate below the lower rate', { tags: ['CTL-09'] }, () => {
    expectRefusal(
      decodingFields('TherapyCommand', withAction({ pacingParameters: { ...pacing, lowerRatePpm: 90, upperRatePpm: 80 } })),
      'ERR_PROTOCOL_INCONSISTENT',
      'TherapyCommand.pacingParameters.upperRatePpm',
    );
    expectAccepted('TherapyCommand', withAction({ pacingParameters: { ...pacing, lowerRatePpm: 90, upperRatePpm: 90 } }));
  });

  it('[CTL-09] pacing values stay within the protocol ranges; the mode is required and defined', { tags: ['CTL-09'] }, () => {
    const at = (field: string) => `TherapyCommand.pacingParameters.${field}`;
    const refused = [
      ['lowerRatePpm', 29],
      ['upperRatePpm', 186],
      ['amplitudeMillivolts', 7_501],
      ['pulseWidthMicroseconds', 29],
    ] as const;
    for (const [field, value] of refused) {
      expectRefusal(decodingFields('TherapyCommand', withAction({ pacingParameters: { ...pacing, [field]: value } })), 'ERR_PROTOCOL_OUT_OF_RANGE', at(field));
    }
    expectRefusal(decodingFields('TherapyCommand', withAction({ pacingParameters: { ...pacing, mode: 0 } })), 'ERR_PROTOCOL_MISSING_FIELD', at('mode'));
    expectRefusal(decodingFields('TherapyCommand', withAction({ pacingParameters: { ...pacing, mode: 7 } })), 'ERR_PROTOCOL_UNKNOWN_ENUM', at('mode'));
  });

  it('[CTL-09] suspend for 1 to 120 minutes; resume carries nothing', { tags: ['CTL-09'] }, () => {
    for (const durationMinutes of [0, 121]) {
      expectRefusal(decodingFields('TherapyCommand', withAction({ suspend: { durationMinutes } })), 'ERR_PROTOCOL_OUT_OF_RANGE', 'TherapyCommand.suspend.durationMinutes');
    }
    expectAccepted('TherapyCommand', withAction({ suspend: { durationMinutes: 120 } }));
    expectAccepted('TherapyCommand', withAction({ resume: {} }));
  });

  it('[CTL-09] ERR_PROTOCOL_INCONSISTENT: a command without an action', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingFields('TherapyCommand', withAction({})), 'ERR_PROTOCOL_INCONSISTENT', 'TherapyCommand.action');
  });
});

describe('TherapyCommand', () => {
  const command = samples.TherapyCommand;

  it('[CTL-09] ERR_PROTOCOL_INCONSISTENT: a command that expires when or before it is issued', { tags: ['CTL-09'] }, () => {
    for (const expiresAtMs of [command.issuedAtMs, command.issuedAtMs - 1]) {
      expectRefusal(decodingFields('TherapyCommand', { ...command, expiresAtMs }), 'ERR_PROTOCOL_INCONSISTENT', 'TherapyCommand.expiresAtMs');
    }
  });

  it('[CTL-09] ids, freshness fields and the issuer are required and well-formed', { tags: ['CTL-09'] }, () => {
    const refusals = [
      [{ commandId: filled(15, 1) }, 'ERR_PROTOCOL_OUT_OF_RANGE', 'commandId'],
      [{ nonce: new Uint8Array(0) }, 'ERR_PROTOCOL_MISSING_FIELD', 'nonce'],
      [{ deviceId: 'Insulin-pump' }, 'ERR_PROTOCOL_INVALID_DEVICE_ID', 'deviceId'],
      [{ commandSequence: 0 }, 'ERR_PROTOCOL_MISSING_FIELD', 'commandSequence'],
      [{ confirmedAtMs: 0 }, 'ERR_PROTOCOL_MISSING_FIELD', 'confirmedAtMs'],
      [{ issuerUserId: '' }, 'ERR_PROTOCOL_MISSING_FIELD', 'issuerUserId'],
      [{ issuerSessionId: 'x'.repeat(65) }, 'ERR_PROTOCOL_OUT_OF_RANGE', 'issuerSessionId'],
    ] as const;
    for (const [change, code, field] of refusals) {
      expectRefusal(decodingFields('TherapyCommand', { ...command, ...change }), code, `TherapyCommand.${field}`);
    }
  });
});

describe('SignedTherapyCommand', () => {
  const signed = samples.SignedTherapyCommand;

  it('[CTL-09] a 64-byte Ed25519 signature, a command of 1 to 1,024 bytes, a signer key id', { tags: ['CTL-09'] }, () => {
    for (const length of [63, 65]) {
      expectRefusal(decodingFields('SignedTherapyCommand', { ...signed, signature: filled(length, 1) }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'SignedTherapyCommand.signature');
    }
    expectAccepted('SignedTherapyCommand', { ...signed, command: filled(1_024, 1) });
    expectRefusal(decodingFields('SignedTherapyCommand', { ...signed, command: filled(1_025, 1) }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'SignedTherapyCommand.command');
    expectRefusal(decodingFields('SignedTherapyCommand', { ...signed, command: new Uint8Array(0) }), 'ERR_PROTOCOL_MISSING_FIELD', 'SignedTherapyCommand.command');
    expectRefusal(decodingFields('SignedTherapyCommand', { ...signed, signerKeyId: '' }), 'ERR_PROTOCOL_MISSING_FIELD', 'SignedTherapyCommand.signerKeyId');
    expectRefusal(decodingFields('SignedTherapyCommand', { ...signed, signerKeyId: 'k'.repeat(44) }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'SignedTherapyCommand.signerKeyId');
  });
});

describe('TherapyCommandAck', () => {
  const ack = samples.TherapyCommandAck;
  const rejected = CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK;

  it('[CTL-09] ERR_PROTOCOL_INCONSISTENT: an executed command with a reason code', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingFields('TherapyCommandAck', { ...ack, reasonCode: 'ERR_DEVICE_X' }), 'ERR_PROTOCOL_INCONSISTENT', 'TherapyCommandAck.reasonCode');
  });

  it('[CTL-09] ERR_PROTOCOL_MISSING_FIELD: a refusal without its reason code', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingFields('TherapyCommandAck', { ...ack, status: rejected }), 'ERR_PROTOCOL_MISSING_FIELD', 'TherapyCommandAck.reasonCode');
    expectAccepted('TherapyCommandAck', { ...ack, status: rejected, reasonCode: 'ERR_DEVICE_BOLUS_LIMIT' });
  });

  it('[CTL-09] a known status and a decision time are required', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingFields('TherapyCommandAck', { ...ack, status: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', 'TherapyCommandAck.status');
    expectRefusal(decodingFields('TherapyCommandAck', { ...ack, status: 8 }), 'ERR_PROTOCOL_UNKNOWN_ENUM', 'TherapyCommandAck.status');
    expectRefusal(decodingFields('TherapyCommandAck', { ...ack, decidedAtMs: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', 'TherapyCommandAck.decidedAtMs');
  });
});
