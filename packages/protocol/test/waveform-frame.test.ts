import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MAX_TIMESTAMP_MS,
  MedsimError,
  SampleEncoding,
  Unit,
  VitalParameter,
  decodeMessage,
  encodeWaveformFrame,
  v1,
  type WaveformFrameFields,
} from '@medsim/protocol';

const leads = [
  VitalParameter.MDC_ECG_ELEC_POTL_I,
  VitalParameter.MDC_ECG_ELEC_POTL_II,
  VitalParameter.MDC_ECG_ELEC_POTL_III,
  VitalParameter.MDC_ECG_ELEC_POTL_V1,
] as const;

const frames: fc.Arbitrary<WaveformFrameFields> = fc
  .record({
    encoding: fc.constantFrom(SampleEncoding.SAMPLE_ENCODING_INT16_LE, SampleEncoding.SAMPLE_ENCODING_INT32_LE),
    sampleCount: fc.integer({ min: 1, max: 700 }),
    channelCount: fc.integer({ min: 1, max: 4 }),
    sampleRateMillihertz: fc.integer({ min: 1_000, max: 10_000_000 }),
    firstSampleIndex: fc.maxSafeNat(),
    firstSampleTimeMs: fc.integer({ min: 1, max: MAX_TIMESTAMP_MS }),
    scale: fc.double({ min: 1e-6, max: 10, noNaN: true }),
    offset: fc.constantFrom(0, -1.5, 2.25),
    seed: fc.integer(),
  })
  .map(({ channelCount, scale, offset, seed, ...frame }) => ({
    ...frame,
    channels: Array.from({ length: channelCount }, (_, c) => ({
      parameter: leads[c]!,
      unit: Unit.MDC_DIM_MILLI_VOLT,
      scale,
      offset,
      samples: Buffer.alloc(frame.sampleCount * (frame.encoding === SampleEncoding.SAMPLE_ENCODING_INT16_LE ? 2 : 4), (seed + c) & 0xff),
    })),
  }));

describe('encodeWaveformFrame (hot path)', () => {
  it('[CTL-09] its chunks concatenate to exactly the generated encoding, which decodes and validates (property)', { tags: ['CTL-09'] }, () => {
    fc.assert(
      fc.property(frames, (frame) => {
        const chunks = encodeWaveformFrame(frame);
        const joined = Buffer.concat(chunks);
        expect(joined.equals(Buffer.from(v1.WaveformFrame.encode({ ...frame, channels: [...frame.channels] }).finish()))).toBe(true);
        expect(decodeMessage('WaveformFrame', joined).sampleCount).toBe(frame.sampleCount);
      }),
      { seed: 20261128, numRuns: 300 },
    );
  });

  it('passes the sample buffers through without copying them', () => {
    const samples = Buffer.alloc(500);
    const chunks = encodeWaveformFrame({
      sampleRateMillihertz: 250_000,
      firstSampleIndex: 0,
      firstSampleTimeMs: 1,
      encoding: SampleEncoding.SAMPLE_ENCODING_INT16_LE,
      sampleCount: 250,
      channels: [{ parameter: VitalParameter.MDC_ECG_ELEC_POTL_II, unit: Unit.MDC_DIM_MILLI_VOLT, scale: 0.005, offset: 0, samples }],
    });
    expect(chunks).toContain(samples);
  });

  it('[CTL-09] refuses what decodeMessage would refuse: wrong sample length, numeric parameters, too many samples', { tags: ['CTL-09'] }, () => {
    const frame = (channel: Partial<WaveformFrameFields['channels'][number]>, sampleCount = 250): WaveformFrameFields => ({
      sampleRateMillihertz: 250_000,
      firstSampleIndex: 0,
      firstSampleTimeMs: 1,
      encoding: SampleEncoding.SAMPLE_ENCODING_INT16_LE,
      sampleCount,
      channels: [{ parameter: VitalParameter.MDC_ECG_ELEC_POTL_II, unit: Unit.MDC_DIM_MILLI_VOLT, scale: 0.005, offset: 0, samples: Buffer.alloc(500), ...channel }],
    });
    const code = (f: WaveformFrameFields): string => {
      try {
        encodeWaveformFrame(f);
      } catch (error) {
        if (error instanceof MedsimError) return error.code;
        throw error;
      }
      return 'accepted';
    };
    expect(code(frame({ samples: Buffer.alloc(499) }))).toBe('ERR_PROTOCOL_INCONSISTENT');
    expect(code(frame({ parameter: VitalParameter.MDC_PULS_OXIM_SAT_O2, unit: Unit.MDC_DIM_PERCENT }))).toBe('ERR_PROTOCOL_INCONSISTENT');
    expect(code(frame({ samples: Buffer.alloc(30_002) }, 15_001))).toBe('ERR_PROTOCOL_OUT_OF_RANGE');
    expect(code(frame({ scale: Number.NaN }))).toBe('ERR_PROTOCOL_OUT_OF_RANGE');
  });
});
