/**
 * Bedside multiparameter patient monitor (Wi-Fi, MQTT over TLS): streams ECG lead II at 250 Hz in
 * one-second frames (250 int16 samples, the batching bedside monitors use towards a central
 * station), plus numerics (heart rate, SpO2, pulse rate, respiration rate, temperature) each second
 * and alarms. Mains powered with a backup battery.
 */
import { AlarmCode, AlarmPriority, ContentType, SampleEncoding, STREAM_IDS, Unit, VitalParameter, encodeWaveformFrame } from '@medsim/protocol';
import type { DeviceModelInfo, Produced } from '../device/device-model.js';
import { MonitorDevice, observation, round, type AlarmLimit } from './monitor-device.js';

const INFO: DeviceModelInfo = {
  model: 'patient-monitor',
  deviceClass: 'monitoring',
  displayName: 'Bedside patient monitor',
  manufacturer: 'medsim',
  firmwareVersion: '5.4.0',
  safetyLevel: 'major',
  transports: ['mqtt'],
  cycleMs: 1_000,
  purposes: ['monitoring'],
};

/** ECG sample rate, Hz (IEC 60601-2-27 diagnostic bandwidth needs at least 250 Hz). */
export const ECG_SAMPLE_RATE_HZ = 250;
/** Microvolts per ECG sample step. */
const MICROVOLTS_PER_LSB = 1;

const LIMITS: readonly AlarmLimit[] = [
  { code: AlarmCode.ALARM_CODE_HEART_RATE_HIGH, parameter: VitalParameter.MDC_ECG_HEART_RATE, priority: AlarmPriority.ALARM_PRIORITY_HIGH, direction: 'above', limit: 120, hysteresis: 5 },
  { code: AlarmCode.ALARM_CODE_HEART_RATE_LOW, parameter: VitalParameter.MDC_ECG_HEART_RATE, priority: AlarmPriority.ALARM_PRIORITY_HIGH, direction: 'below', limit: 40, hysteresis: 5 },
  { code: AlarmCode.ALARM_CODE_SPO2_LOW, parameter: VitalParameter.MDC_PULS_OXIM_SAT_O2, priority: AlarmPriority.ALARM_PRIORITY_HIGH, direction: 'below', limit: 90, hysteresis: 2 },
];

/** The patient monitor model. */
export class PatientMonitor extends MonitorDevice {
  /** What this model is (also readable without an instance). */
  static readonly INFO: DeviceModelInfo = INFO;

  get info(): DeviceModelInfo {
    return INFO;
  }

  /** Index of the next ECG sample since boot (frames join without gaps or overlaps). */
  #sampleIndex = 0;
  #firstSampleMs = 0;

  protected override batteryProfile(): { capacityMah: number } {
    return { capacityMah: 5_000 };
  }

  protected override onBoot(): void {
    this.#sampleIndex = 0;
    this.#firstSampleMs = this.clock.now();
  }

  protected cycle(nowMs: number): Produced[] {
    this.patient.advanceTo(nowMs);
    const out: Produced[] = [];
    // Every whole second of samples due by now, in frames of one second.
    while (this.#firstSampleMs + ((this.#sampleIndex + ECG_SAMPLE_RATE_HZ) * 1000) / ECG_SAMPLE_RATE_HZ <= nowMs) {
      const startMs = this.#firstSampleMs + (this.#sampleIndex * 1000) / ECG_SAMPLE_RATE_HZ;
      const samples = this.patient.ecg(startMs, ECG_SAMPLE_RATE_HZ, ECG_SAMPLE_RATE_HZ);
      const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
      const chunks = encodeWaveformFrame({
        sampleRateMillihertz: ECG_SAMPLE_RATE_HZ * 1000,
        firstSampleIndex: this.#sampleIndex,
        firstSampleTimeMs: Math.round(startMs),
        encoding: SampleEncoding.SAMPLE_ENCODING_INT16_LE,
        sampleCount: ECG_SAMPLE_RATE_HZ,
        channels: [{ parameter: VitalParameter.MDC_ECG_ELEC_POTL_II, unit: Unit.MDC_DIM_MILLI_VOLT, scale: MICROVOLTS_PER_LSB / 1000, offset: 0, samples: bytes }],
      });
      out.push({ channel: 'telemetry', contentType: ContentType.CONTENT_TYPE_WAVEFORM_FRAME, streamId: STREAM_IDS.waveform, payload: Buffer.concat(chunks), priority: 'normal' });
      this.#sampleIndex += ECG_SAMPLE_RATE_HZ;
      if (out.length >= 5) break; // after a long stall, catch up over a few cycles, not in one burst
    }
    const v = this.patient.vitals();
    const numerics = {
      hr: round(v.heartRateBpm),
      spo2: round(v.spo2Percent),
      pr: round(v.pulseRateBpm),
      rr: round(v.respirationRate),
      temp: round(v.temperatureC, 1),
    };
    out.push(
      this.readingMessage({
        measuredAtMs: nowMs,
        observations: [
          observation(VitalParameter.MDC_ECG_HEART_RATE, Unit.MDC_DIM_BEAT_PER_MIN, numerics.hr),
          observation(VitalParameter.MDC_PULS_OXIM_SAT_O2, Unit.MDC_DIM_PERCENT, numerics.spo2),
          observation(VitalParameter.MDC_PULS_OXIM_PULS_RATE, Unit.MDC_DIM_BEAT_PER_MIN, numerics.pr),
          observation(VitalParameter.MDC_RESP_RATE, Unit.MDC_DIM_RESP_PER_MIN, numerics.rr),
          observation(VitalParameter.MDC_TEMP_BODY, Unit.MDC_DIM_DEGC, numerics.temp),
        ],
      }),
    );
    out.push(...this.checkAlarms(LIMITS, (p) => (p === VitalParameter.MDC_ECG_HEART_RATE ? numerics.hr : numerics.spo2), nowMs));
    return out;
  }
}
