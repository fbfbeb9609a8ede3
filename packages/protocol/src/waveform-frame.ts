/**
 * The hot path of waveform encoding. A frame is mostly sample bytes; the generated encoder copies
 * them several times while its buffer grows. encodeWaveformFrame() encodes every other field with
 * the generated encoders and passes the caller's sample buffers through untouched, as a list of
 * chunks whose concatenation is byte for byte the generated encoding (a property test checks
 * it). SecureSession.seal() takes such a list and encrypts it chunk by chunk.
 */
import { MESSAGE_MAX_BYTES } from './limits.js';
import { MessageTooLargeError } from './errors.js';
import { delimitedPrefix } from './internal/varint.js';
import { validateWaveformFrame } from './internal/validate/waveform.js';
import { v1, type SampleEncoding, type Unit, type VitalParameter, type WaveformFrame } from './schema.js';

/** Every field of a waveform channel (all required). */
export interface WaveformChannelFields {
  readonly parameter: VitalParameter;
  readonly unit: Unit;
  readonly scale: number;
  readonly offset: number;
  readonly samples: Uint8Array;
}

/** Every field of a waveform frame (all required). */
export interface WaveformFrameFields {
  readonly sampleRateMillihertz: number;
  readonly firstSampleIndex: number;
  readonly firstSampleTimeMs: number;
  readonly encoding: SampleEncoding;
  readonly sampleCount: number;
  readonly channels: readonly WaveformChannelFields[];
}

// Wire tags: WaveformFrame.channels (field 6) and WaveformChannel.samples (field 5), both length-delimited.
const TAG_FRAME_CHANNELS = 0x32;
const TAG_CHANNEL_SAMPLES = 0x2a;

/** Validates a frame and encodes it as chunks (samples not copied); throws ProtocolError. */
export function encodeWaveformFrame(frame: WaveformFrameFields): Uint8Array[] {
  // With every field present, the fields object reads like a decoded message.
  validateWaveformFrame(frame as unknown as WaveformFrame);
  const { channels, ...head } = frame;
  const chunks: Uint8Array[] = [v1.WaveformFrame.encode(head).finish()];
  let total = chunks[0]!.length;
  for (const { samples, ...meta } of channels) {
    const metaBytes = v1.WaveformChannel.encode(meta).finish();
    const samplesPrefix = delimitedPrefix(TAG_CHANNEL_SAMPLES, samples.length);
    const channelLength = metaBytes.length + samplesPrefix.length + samples.length;
    const prefix = Buffer.concat([delimitedPrefix(TAG_FRAME_CHANNELS, channelLength), metaBytes, samplesPrefix]);
    chunks.push(prefix, samples);
    total += prefix.length + samples.length;
  }
  if (total > MESSAGE_MAX_BYTES.WaveformFrame) {
    throw new MessageTooLargeError(`WaveformFrame is ${total} bytes; the limit is ${MESSAGE_MAX_BYTES.WaveformFrame}`, {
      details: { message: 'WaveformFrame', size: total, limit: MESSAGE_MAX_BYTES.WaveformFrame },
    });
  }
  return chunks;
}
