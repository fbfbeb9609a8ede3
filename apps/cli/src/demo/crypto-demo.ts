/**
 * The foundation demo: a gateway and a pulse oximeter identity, one HPKE session, readings and a
 * waveform frame through the tuned envelope path, then attacks that must each be refused with
 * their own error code. Returns every step, so the CLI can print it for people or as JSON.
 */
import {
  ContentType,
  MeasurementStatus,
  MedsimError,
  STREAM_IDS,
  SampleEncoding,
  Unit,
  VitalParameter,
  decodeMessage,
  decodePayload,
  encodeMessage,
  encodeWaveformFrame,
  v1,
} from '@medsim/protocol';
import {
  Identity,
  SessionRegistry,
  acceptSession,
  exportReadingAsJwe,
  initiateSession,
  type AcceptSessionOptions,
} from '@medsim/crypto';
import { decodeProtectedHeader } from 'jose';
import { ecgSamples } from './synthetic-ecg.js';

/** One step of the demo. */
export interface DemoStep {
  readonly section: 'setup' | 'readings' | 'attacks' | 'export';
  readonly title: string;
  /** What the step showed, for people. */
  readonly detail: string;
  /** The error code of a refusal. */
  readonly code?: string;
  /** Whether the step behaved as the design requires. */
  readonly passed: boolean;
}

const DEVICE_ID = 'pulse-ox-0001';

/** Readings of a calm adult, then a desaturation: fixed values, so every run is the same. */
const READINGS: readonly (readonly [spo2: number, pulse: number])[] = [
  [98, 71],
  [97, 72],
  [97, 74],
  [93, 81],
  [89, 88],
];

function refusal(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof MedsimError) return error.code;
    throw error;
  }
}

/** Runs the demo and returns its steps. */
export async function runCryptoDemo(): Promise<DemoStep[]> {
  const steps: DemoStep[] = [];
  const gateway = await Identity.generate();
  const device = await Identity.generate();
  const impostor = await Identity.generate();
  steps.push({
    section: 'setup',
    title: 'identities',
    detail: `gateway kid ${gateway.public.agreement.kid.slice(0, 10)}…, ${DEVICE_ID} kid ${device.public.agreement.kid.slice(0, 10)}… (Ed25519 + X25519, RFC 7638 thumbprints)`,
    passed: true,
  });

  const resolveDevice: AcceptSessionOptions['resolveDevice'] = (id, kid) =>
    id === DEVICE_ID && kid === device.public.agreement.kid ? device.public : undefined;
  const started = performance.now();
  const pending = initiateSession({ device, deviceId: DEVICE_ID, gateway: gateway.public });
  const accepted = acceptSession(pending.message, { gateway, resolveDevice });
  const session = pending.complete(accepted.reply);
  const registry = new SessionRegistry();
  registry.add(accepted.session);
  steps.push({
    section: 'setup',
    title: 'session handshake',
    detail: `HPKE auth mode: SessionInit ${pending.message.length} B → SessionAccept ${accepted.reply.length} B in ${(performance.now() - started).toFixed(1)} ms; key id ${Buffer.from(session.keyId).toString('hex')}`,
    passed: true,
  });

  let firstEnvelope: Uint8Array | undefined;
  let firstPlaintext: Uint8Array | undefined;
  for (const [index, [spo2, pulse]] of READINGS.entries()) {
    const reading = encodeMessage('VitalSignReading', {
      measuredAtMs: Date.now(),
      observations: [
        { parameter: VitalParameter.MDC_PULS_OXIM_SAT_O2, unit: Unit.MDC_DIM_PERCENT, value: spo2, status: MeasurementStatus.MEASUREMENT_STATUS_VALID },
        { parameter: VitalParameter.MDC_PULS_OXIM_PULS_RATE, unit: Unit.MDC_DIM_BEAT_PER_MIN, value: pulse, status: MeasurementStatus.MEASUREMENT_STATUS_VALID },
      ],
    });
    const envelope = session.seal(ContentType.CONTENT_TYPE_VITAL_SIGN_READING, reading, { streamId: STREAM_IDS.numerics });
    firstEnvelope ??= envelope;
    firstPlaintext ??= reading;
    const opened = registry.open(envelope);
    const payload = decodePayload(opened.header.contentType, opened.plaintext);
    const values = payload.contentType === ContentType.CONTENT_TYPE_VITAL_SIGN_READING ? payload.message.observations.map((o) => o.value) : [];
    steps.push({
      section: 'readings',
      title: `reading ${index + 1}`,
      detail: `SpO2 ${spo2} %, pulse ${pulse} /min → envelope ${envelope.length} B (seq ${opened.header.sequence}) → gateway opened ${values.join(' / ')}`,
      passed: values[0] === spo2 && values[1] === pulse,
    });
  }
  const wire = Buffer.from(firstEnvelope!).toString('hex');
  steps.push({
    section: 'readings',
    title: 'eavesdropper view',
    detail: `${wire.slice(0, 64)}… (device id and sequence in clear, values encrypted)`,
    // No 8-byte run of the encoded reading appears on the wire.
    passed: Array.from({ length: firstPlaintext!.length - 7 }, (_, i) => firstPlaintext!.subarray(i, i + 8)).every(
      (run) => !Buffer.from(firstEnvelope!).includes(Buffer.from(run)),
    ),
  });

  const frame = encodeWaveformFrame({
    sampleRateMillihertz: 250_000,
    firstSampleIndex: 0,
    firstSampleTimeMs: Date.now(),
    encoding: SampleEncoding.SAMPLE_ENCODING_INT16_LE,
    sampleCount: 250,
    channels: [{ parameter: VitalParameter.MDC_ECG_ELEC_POTL_II, unit: Unit.MDC_DIM_MILLI_VOLT, scale: 0.005, offset: 0, samples: ecgSamples(250, 250, 72) }],
  });
  const waveEnvelope = session.seal(ContentType.CONTENT_TYPE_WAVEFORM_FRAME, frame, { streamId: STREAM_IDS.waveform });
  const waveform = decodeMessage('WaveformFrame', registry.open(waveEnvelope).plaintext);
  steps.push({
    section: 'readings',
    title: 'ECG waveform frame',
    detail: `1 s of lead II at 250 Hz: ${waveform.sampleCount} samples in one envelope of ${waveEnvelope.length} B`,
    passed: waveform.sampleCount === 250,
  });

  const attack = (title: string, expected: string, run: () => unknown): void => {
    const code = refusal(run);
    steps.push({ section: 'attacks', title, detail: code === undefined ? 'ACCEPTED' : `refused ${code}`, ...(code === undefined ? {} : { code }), passed: code === expected });
  };
  attack('replay a captured envelope', 'ERR_CRYPTO_REPLAY', () => registry.open(firstEnvelope!));
  const flipped = Buffer.from(session.seal(ContentType.CONTENT_TYPE_VITAL_SIGN_READING, Buffer.from('sixteen bytes ok'), { streamId: STREAM_IDS.numerics }));
  flipped[flipped.length - 20] = (flipped[flipped.length - 20] ?? 0) ^ 0x01;
  attack('flip one bit of the ciphertext', 'ERR_CRYPTO_AUTH_FAILED', () => registry.open(flipped));
  const fresh = session.seal(ContentType.CONTENT_TYPE_VITAL_SIGN_READING, Buffer.from('sixteen bytes ok'), { streamId: STREAM_IDS.numerics });
  attack('cut the envelope short', 'ERR_CRYPTO_TRUNCATED', () => registry.open(fresh.subarray(0, fresh.length - 30)));
  const sealed = decodeMessage('SealedEnvelope', fresh);
  const header = decodeMessage('EnvelopeHeader', sealed.header);
  const moved = v1.SealedEnvelope.encode({ header: v1.EnvelopeHeader.encode({ ...header, deviceId: 'pump-0001' }).finish(), ciphertext: sealed.ciphertext }).finish();
  attack('move the envelope to another device', 'ERR_CRYPTO_CONTEXT_MISMATCH', () => registry.open(moved));
  const downgraded = v1.SealedEnvelope.encode({ header: v1.EnvelopeHeader.encode({ ...header, version: 0 }).finish(), ciphertext: sealed.ciphertext }).finish();
  attack('downgrade the header version', 'ERR_PROTOCOL_UNSUPPORTED_VERSION', () => registry.open(downgraded));
  const stranger = initiateSession({ device: impostor, deviceId: DEVICE_ID, gateway: gateway.public });
  attack('handshake with an unenrolled key', 'ERR_CRYPTO_UNKNOWN_KEY', () => acceptSession(stranger.message, { gateway, resolveDevice }));
  attack('send 100 KB of garbage', 'ERR_PROTOCOL_TOO_LARGE', () => registry.open(new Uint8Array(100_000)));
  attack('SpO2 of 140 %', 'ERR_PROTOCOL_OUT_OF_RANGE', () =>
    encodeMessage('VitalSignReading', {
      measuredAtMs: 1,
      observations: [{ parameter: VitalParameter.MDC_PULS_OXIM_SAT_O2, unit: Unit.MDC_DIM_PERCENT, value: 140, status: MeasurementStatus.MEASUREMENT_STATUS_VALID }],
    }),
  );

  const lastReading = decodeMessage(
    'VitalSignReading',
    encodeMessage('VitalSignReading', {
      measuredAtMs: Date.now(),
      observations: [{ parameter: VitalParameter.MDC_PULS_OXIM_SAT_O2, unit: Unit.MDC_DIM_PERCENT, value: 89, status: MeasurementStatus.MEASUREMENT_STATUS_VALID }],
    }),
  );
  const jwe = await exportReadingAsJwe(DEVICE_ID, lastReading, gateway.public.agreement);
  const jweHeader = decodeProtectedHeader(jwe);
  steps.push({
    section: 'export',
    title: 'export as JWE',
    detail: `${jwe.length} characters, ${jweHeader.alg} / ${jweHeader.enc}, cty ${jweHeader.cty}: any JOSE library opens it`,
    passed: jweHeader.alg === 'ECDH-ES+A256KW',
  });
  return steps;
}
