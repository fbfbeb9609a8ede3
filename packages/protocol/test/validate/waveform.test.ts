/**
 * Field rules of waveform.proto (src/internal/validate/waveform.ts), through decodeMessage: every
 * channel is a waveform parameter whose samples are exactly sampleCount × the encoding's width.
 */
import { describe, it } from 'vitest';
import { REPEATED_LIMITS, SAMPLE_RATE_MILLIHERTZ, SampleEncoding, Unit, VitalParameter, type v1 } from '@medsim/protocol';
import { type Loose, decodingFields, ecgChannel, expectAccepted, expectRefusal, filled, samples } from '../fixtures.js';

const frame = samples.WaveformFrame;
const FIRST = 'WaveformFrame.channels[0]';

/** A thunk decoding the sample frame with `channel` as its only channel. */
const decodingChannel = (channel: Loose<v1.WaveformChannel.$Properties>) =>
  decodingFields('WaveformFrame', { ...frame, channels: [{ ...ecgChannel, ...channel }] });

describe('WaveformChannel', () => {
  it('[CTL-09] ERR_PROTOCOL_INCONSISTENT: samples not sampleCount × encoding width bytes long', { tags: ['CTL-09'] }, () => {
    // 4 int16 samples are 8 bytes: 7 and 9 are refused, and so are 8 bytes read as 4 int32 samples.
    for (const length of [7, 9, 0]) {
      expectRefusal(decodingChannel({ samples: filled(length, 1) }), 'ERR_PROTOCOL_INCONSISTENT', `${FIRST}.samples`);
    }
    expectRefusal(
      decodingFields('WaveformFrame', { ...frame, encoding: SampleEncoding.SAMPLE_ENCODING_INT32_LE }),
      'ERR_PROTOCOL_INCONSISTENT',
      `${FIRST}.samples`,
    );
    expectAccepted('WaveformFrame', { ...frame, encoding: SampleEncoding.SAMPLE_ENCODING_INT32_LE, channels: [{ ...ecgChannel, samples: filled(16, 1) }] });
  });

  it('[CTL-09] ERR_PROTOCOL_INCONSISTENT: a numeric parameter (SpO2) in a waveform channel', { tags: ['CTL-09'] }, () => {
    const spo2 = { parameter: VitalParameter.MDC_PULS_OXIM_SAT_O2, unit: Unit.MDC_DIM_PERCENT };
    expectRefusal(decodingChannel(spo2), 'ERR_PROTOCOL_INCONSISTENT', `${FIRST}.parameter`);
  });

  it('[CTL-09] ERR_PROTOCOL_INCONSISTENT: ECG in a unit other than mV', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingChannel({ unit: Unit.MDC_DIM_VOLT }), 'ERR_PROTOCOL_INCONSISTENT', `${FIRST}.unit`);
  });

  it('[CTL-09] scale is finite and not 0, offset finite', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingChannel({ scale: 0 }), 'ERR_PROTOCOL_INCONSISTENT', `${FIRST}.scale`);
    expectRefusal(decodingChannel({ scale: Number.NaN }), 'ERR_PROTOCOL_OUT_OF_RANGE', `${FIRST}.scale`);
    expectRefusal(decodingChannel({ scale: 1e10 }), 'ERR_PROTOCOL_OUT_OF_RANGE', `${FIRST}.scale`);
    expectRefusal(decodingChannel({ offset: Number.NEGATIVE_INFINITY }), 'ERR_PROTOCOL_OUT_OF_RANGE', `${FIRST}.offset`);
    expectAccepted('WaveformFrame', { ...frame, channels: [{ ...ecgChannel, scale: -1e9, offset: 1e9 }] });
  });

  it('[CTL-09] the field path names the channel that failed', { tags: ['CTL-09'] }, () => {
    const channels = [ecgChannel, { ...ecgChannel, samples: filled(6, 0) }];
    expectRefusal(decodingFields('WaveformFrame', { ...frame, channels }), 'ERR_PROTOCOL_INCONSISTENT', 'WaveformFrame.channels[1].samples');
  });
});

describe('WaveformFrame', () => {
  it('[CTL-09] ERR_PROTOCOL_OUT_OF_RANGE: a sampling rate below 1 Hz or above 10 kHz', { tags: ['CTL-09'] }, () => {
    for (const sampleRateMillihertz of [SAMPLE_RATE_MILLIHERTZ.min - 1, SAMPLE_RATE_MILLIHERTZ.max + 1, 0]) {
      expectRefusal(decodingFields('WaveformFrame', { ...frame, sampleRateMillihertz }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'WaveformFrame.sampleRateMillihertz');
    }
  });

  it('[CTL-09][CTL-16] ERR_PROTOCOL_OUT_OF_RANGE: 0 or 15,001 samples per channel, 17 channels', { tags: ['CTL-09', 'CTL-16'] }, () => {
    for (const sampleCount of [0, REPEATED_LIMITS.waveformSamples.max + 1]) {
      expectRefusal(decodingFields('WaveformFrame', { ...frame, sampleCount }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'WaveformFrame.sampleCount');
    }
    const channels = Array.from({ length: REPEATED_LIMITS.waveformChannels.max + 1 }, () => ecgChannel);
    expectRefusal(decodingFields('WaveformFrame', { ...frame, channels }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'WaveformFrame.channels');
    expectAccepted('WaveformFrame', { ...frame, channels: channels.slice(1) });
  });

  it('[CTL-09] ERR_PROTOCOL_MISSING_FIELD and ERR_PROTOCOL_UNKNOWN_ENUM: no channel, no time, encoding absent or 3', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingFields('WaveformFrame', { ...frame, channels: [] }), 'ERR_PROTOCOL_MISSING_FIELD', 'WaveformFrame.channels');
    expectRefusal(decodingFields('WaveformFrame', { ...frame, firstSampleTimeMs: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', 'WaveformFrame.firstSampleTimeMs');
    expectRefusal(decodingFields('WaveformFrame', { ...frame, encoding: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', 'WaveformFrame.encoding');
    expectRefusal(decodingFields('WaveformFrame', { ...frame, encoding: 3 }), 'ERR_PROTOCOL_UNKNOWN_ENUM', 'WaveformFrame.encoding');
  });
});
