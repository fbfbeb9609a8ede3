/** Validation of medsim.v1 waveform.proto messages. */
import { REPEATED_LIMITS, SAMPLE_RATE_MILLIHERTZ } from '../../limits.js';
import { SampleEncoding, type WaveformChannel, type WaveformFrame } from '../../schema.js';
import { countIn, finiteIn, inconsistent, integerIn, knownEnum, noUnknownFields, timestamp, uint64 } from './checks.js';
import { checkParameterUnit } from './vitals.js';

/** Bytes per sample of each encoding. */
export const SAMPLE_BYTES: Readonly<Record<Exclude<SampleEncoding, SampleEncoding.SAMPLE_ENCODING_UNSPECIFIED>, number>> = {
  [SampleEncoding.SAMPLE_ENCODING_INT16_LE]: 2,
  [SampleEncoding.SAMPLE_ENCODING_INT32_LE]: 4,
};

function validateChannel(m: WaveformChannel, path: string, expectedBytes: number): void {
  noUnknownFields(m, path);
  checkParameterUnit(m.parameter, m.unit, 'waveform', path);
  finiteIn(m.scale, path, 'scale', -1e9, 1e9);
  if (m.scale === 0) inconsistent(path, 'scale', 'scale must not be 0');
  finiteIn(m.offset, path, 'offset', -1e9, 1e9);
  if (m.samples.length !== expectedBytes) inconsistent(path, 'samples', 'length does not match sampleCount x encoding width');
}

/** A frame: known encoding, 1 to 16 channels, every channel exactly sampleCount samples long. */
export function validateWaveformFrame(m: WaveformFrame, path = 'WaveformFrame'): void {
  noUnknownFields(m, path);
  integerIn(m.sampleRateMillihertz, path, 'sampleRateMillihertz', SAMPLE_RATE_MILLIHERTZ.min, SAMPLE_RATE_MILLIHERTZ.max);
  uint64(m.firstSampleIndex, path, 'firstSampleIndex');
  timestamp(m.firstSampleTimeMs, path, 'firstSampleTimeMs');
  knownEnum(SampleEncoding, m.encoding, path, 'encoding');
  const width = (SAMPLE_BYTES as Readonly<Record<number, number>>)[m.encoding] ?? 0;
  integerIn(m.sampleCount, path, 'sampleCount', REPEATED_LIMITS.waveformSamples.min, REPEATED_LIMITS.waveformSamples.max);
  countIn(m.channels, path, 'channels', REPEATED_LIMITS.waveformChannels);
  (m.channels as WaveformChannel[]).forEach((c, i) => validateChannel(c, `${path}.channels[${i}]`, m.sampleCount * width));
}
