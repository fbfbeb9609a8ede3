/**
 * MESSAGE_MAX_BYTES (src/limits.ts) is documented as "the largest valid message of the type
 * rounded up, so a frame above it cannot be valid". These tests build, for each type, the largest
 * message the field rules allow and check it fits; and for the two types bounded by the payload
 * limit instead (SealedEnvelope, WaveformFrame), that a valid message of exactly the limit passes.
 */
import { describe, expect, it } from 'vitest';
import {
  AlarmCode,
  AlarmPriority,
  AlarmState,
  CommandStatus,
  ContentType,
  MAX_SAFE_UINT64,
  MAX_TIMESTAMP_MS,
  MESSAGE_MAX_BYTES,
  MealContext,
  MeasurementStatus,
  OperatingState,
  PAYLOAD_MAX_BYTES,
  REPEATED_LIMITS,
  SampleEncoding,
  SecurityEventType,
  Severity,
  CheckResult,
  TEXT_MAX_LENGTH,
  Unit,
  UpdatePhase,
  VitalParameter,
  v1,
  type MessageFields,
  type MessageName,
} from '@medsim/protocol';
import { CIPHERTEXT_MAX_BYTES } from './arbitraries.js';
import { DEVICE_KEY_ID, GATEWAY_KEY_ID, decodeOutcome, ecgChannel, encodeUnchecked, filled } from './fixtures.js';

type BoundedByFields = Exclude<MessageName, 'SealedEnvelope' | 'WaveformFrame'>;

const longestDeviceId = 'x'.repeat(64);
const largestUint32 = 0xffff_ffff;

/**
 * The largest message the field rules allow, per type bounded by its fields, with `text(n)` as
 * every free text of at most n characters.
 */
function largestMessages(text: (codeUnits: number) => string): { readonly [N in BoundedByFields]: MessageFields[N] } {
  const widest = (codeUnits = TEXT_MAX_LENGTH): string => text(codeUnits);
  const commandFields = {
    commandId: filled(16, 1),
    deviceId: longestDeviceId,
    commandSequence: MAX_SAFE_UINT64,
    nonce: filled(16, 2),
    issuedAtMs: MAX_TIMESTAMP_MS - 1,
    expiresAtMs: MAX_TIMESTAMP_MS,
    issuerUserId: widest(),
    issuerSessionId: widest(),
    confirmedAtMs: MAX_TIMESTAMP_MS,
  };

  return {
    EnvelopeHeader: {
      version: 1,
      deviceId: longestDeviceId,
      keyId: filled(8, 1),
      streamId: largestUint32,
      sequence: MAX_SAFE_UINT64,
      timestampMs: MAX_TIMESTAMP_MS,
      contentType: ContentType.CONTENT_TYPE_SESSION_ACCEPT,
    },
    SessionInfo: {
      version: 1,
      deviceId: longestDeviceId,
      deviceKeyId: DEVICE_KEY_ID,
      gatewayKeyId: GATEWAY_KEY_ID,
      sessionNonce: filled(16, 1),
      timestampMs: MAX_TIMESTAMP_MS,
    },
    SessionInit: { info: filled(MESSAGE_MAX_BYTES.SessionInfo, 1), enc: filled(32, 1), confirmation: filled(64, 1) },
    SessionAccept: {
      keyId: filled(8, 1),
      gatewayTimeMs: MAX_TIMESTAMP_MS,
      maxMessages: MAX_SAFE_UINT64,
      maxAgeMs: MAX_SAFE_UINT64,
      gatewayNonce: filled(16, 1),
    },
    VitalSignReading: {
      measuredAtMs: MAX_TIMESTAMP_MS,
      // The parameter and unit with the longest varints, 32 times.
      observations: Array.from({ length: REPEATED_LIMITS.observations.max }, () => ({
        parameter: VitalParameter.MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE,
        unit: Unit.MDC_DIM_OHM,
        value: 9_999.5,
        status: MeasurementStatus.MEASUREMENT_STATUS_TEST_DATA,
      })),
      recordNumber: largestUint32,
      mealContext: MealContext.MEAL_CONTEXT_BEDTIME,
    },
    TherapyCommand: {
      ...commandFields,
      // The largest action: 48 basal segments with 2-byte start minutes and 3-byte rates.
      basalSchedule: {
        segments: Array.from({ length: REPEATED_LIMITS.basalSegments.max }, (_, i) => ({ startMinute: i === 0 ? 0 : 1439 - 47 + i, rateMilliunitsPerHour: 35_000 })),
      },
    },
    SignedTherapyCommand: {
      command: filled(MESSAGE_MAX_BYTES.TherapyCommand, 1),
      signerKeyId: GATEWAY_KEY_ID,
      signature: filled(64, 1),
    },
    TherapyCommandAck: {
      commandId: filled(16, 1),
      commandSequence: MAX_SAFE_UINT64,
      status: CommandStatus.COMMAND_STATUS_REJECTED_INVALID,
      reasonCode: widest(),
      decidedAtMs: MAX_TIMESTAMP_MS,
    },
    SignedTherapyCommandAck: {
      ack: filled(MESSAGE_MAX_BYTES.TherapyCommandAck, 1),
      signerKeyId: DEVICE_KEY_ID,
      signature: filled(64, 1),
    },
    DeviceStatus: {
      model: widest(),
      firmwareVersion: widest(),
      state: OperatingState.OPERATING_STATE_SUSPENDED,
      batteryPercent: 100,
      uptimeS: MAX_SAFE_UINT64,
      clockOffsetMs: -31_536_000_000,
      queuedReadings: largestUint32,
      rssiDbm: -127,
    },
    Alarm: {
      code: AlarmCode.ALARM_CODE_SAFE_MODE,
      priority: AlarmPriority.ALARM_PRIORITY_HIGH,
      state: AlarmState.ALARM_STATE_CLEARED,
      parameter: VitalParameter.MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE,
      atMs: MAX_TIMESTAMP_MS,
    },
    FirmwareUpdateStatus: {
      campaignId: widest(),
      targetVersion: widest(),
      installedVersion: widest(),
      phase: UpdatePhase.UPDATE_PHASE_FAILED,
      bytesReceived: MAX_SAFE_UINT64,
      bytesTotal: MAX_SAFE_UINT64,
      securityCounter: largestUint32,
      errorCode: widest(),
      atMs: MAX_TIMESTAMP_MS,
    },
    SecurityEvent: {
      type: SecurityEventType.SECURITY_EVENT_TYPE_CLOCK_SKEW,
      severity: Severity.SEVERITY_CRITICAL,
      errorCode: widest(),
      atMs: MAX_TIMESTAMP_MS,
      subject: widest(),
    },
    // Identifiers are ASCII by rule, so the widest report does not depend on `text`.
    MaintenanceReport: {
      commandId: filled(16, 1),
      generatedAtMs: MAX_TIMESTAMP_MS,
      checks: Array.from({ length: REPEATED_LIMITS.diagnosticChecks.max }, () => ({ name: 'c'.repeat(64), result: CheckResult.CHECK_RESULT_FAIL, value: -1.7976931348623157e308, unit: 'u'.repeat(16) })),
      logs: Array.from({ length: REPEATED_LIMITS.logEntries.max }, () => ({ atMs: MAX_TIMESTAMP_MS, severity: Severity.SEVERITY_CRITICAL, component: 'c'.repeat(32), event: 'e'.repeat(64), code: `ERR_${'X'.repeat(60)}` })),
    },
  };
}

/** The widest texts the rules allow: text() takes printable ASCII only, one byte per character. */
const largest = largestMessages((codeUnits) => '~'.repeat(codeUnits));
/**
 * The same messages with '€' (U+20AC, one UTF-16 code unit but three UTF-8 bytes) in every text:
 * refused for the character, so no text can outgrow the byte limits.
 */
const largestWide = largestMessages((codeUnits) => '€'.repeat(codeUnits));

describe('MESSAGE_MAX_BYTES', () => {
  for (const name of Object.keys(largest) as BoundedByFields[]) {
    it(`[CTL-16][C11] ${name}: the largest message the field rules allow fits the limit and is accepted`, { tags: ['CTL-16', 'C11'] }, () => {
      const bytes = encodeUnchecked(name, largest[name]);
      expect(decodeOutcome(name, bytes), `${name} of ${bytes.length} bytes, limit ${MESSAGE_MAX_BYTES[name]}`).toBe('accepted');
      expect(bytes.length).toBeLessThanOrEqual(MESSAGE_MAX_BYTES[name]);
    });
  }

  it('[CTL-09][CTL-16] texts outside printable ASCII are refused, so no text outgrows the byte limits', { tags: ['CTL-09', 'CTL-16'] }, () => {
    const withTexts = (Object.keys(largestWide) as BoundedByFields[]).filter(
      (name) => encodeUnchecked(name, largestWide[name]).length !== encodeUnchecked(name, largest[name]).length,
    );
    expect(withTexts.sort()).toEqual(['DeviceStatus', 'FirmwareUpdateStatus', 'SecurityEvent', 'TherapyCommand', 'TherapyCommandAck']);
    for (const name of withTexts) {
      // Refused by size first where the wide texts push it over, by the character rule otherwise.
      expect(['ERR_PROTOCOL_OUT_OF_RANGE', 'ERR_PROTOCOL_TOO_LARGE']).toContain(decodeOutcome(name, encodeUnchecked(name, largestWide[name])));
      const oneWideCharacter = largestMessages((codeUnits) => `€${'~'.repeat(Math.max(0, codeUnits - 1))}`)[name];
      expect([name, decodeOutcome(name, encodeUnchecked(name, oneWideCharacter))]).toEqual([name, 'ERR_PROTOCOL_OUT_OF_RANGE']);
    }
  });

  it('[CTL-16][C11] SealedEnvelope: the largest header with the largest ciphertext fits', { tags: ['CTL-16', 'C11'] }, () => {
    const header = v1.EnvelopeHeader.encode(largest.EnvelopeHeader).finish();
    const bytes = encodeUnchecked('SealedEnvelope', { header, ciphertext: filled(CIPHERTEXT_MAX_BYTES, 1) });
    expect(bytes.length).toBeLessThanOrEqual(MESSAGE_MAX_BYTES.SealedEnvelope);
    expect(decodeOutcome('SealedEnvelope', bytes)).toBe('accepted');
  });

  it(`[CTL-16][C11] WaveformFrame: a valid frame of exactly ${PAYLOAD_MAX_BYTES} bytes is accepted`, { tags: ['CTL-16', 'C11'] }, () => {
    // Three int16 channels of up to 15,000 samples: 6 bytes per sample step, and the varint width
    // of firstSampleIndex (omitted, or 2 to 9 bytes with its tag) covers every remainder.
    const frameOf = (sampleCount: number, firstSampleIndex: number) => ({
      sampleRateMillihertz: 500_000,
      firstSampleIndex,
      firstSampleTimeMs: MAX_TIMESTAMP_MS,
      encoding: SampleEncoding.SAMPLE_ENCODING_INT16_LE,
      sampleCount,
      channels: [0, 1, 2].map(() => ({ ...ecgChannel, samples: filled(sampleCount * 2, 1) })),
    });
    const indexes = [0, ...Array.from({ length: 8 }, (_, i) => 2 ** (7 * i))];
    const candidates = Array.from({ length: 40 }, (_, k) => 10_240 - k).flatMap((count) => indexes.map((index) => frameOf(count, index)));
    const exact = candidates.find((frame) => encodeUnchecked('WaveformFrame', frame).length === PAYLOAD_MAX_BYTES);
    expect(exact).toBeDefined();
    expect(decodeOutcome('WaveformFrame', encodeUnchecked('WaveformFrame', exact ?? frameOf(1, 0)))).toBe('accepted');
  });
});
