/**
 * What every physiology model is built from: the patient, its own random substream, the start of
 * the simulation, the anomaly schedule and the local clock offset.
 */
import type { AnomalySchedule } from './anomalies.js';
import type { PatientProfile } from './patient-profile.js';
import type { SeededRandom } from './seeded-random.js';

/** Inputs shared by the physiology models (Patient builds one per model, each with its own fork). */
export interface PhysiologyModelContext {
  readonly profile: PatientProfile;
  /** The model's own substream (a fork of the patient's generator), so models never share draws. */
  readonly random: SeededRandom;
  /** Start of the simulation, ms since the Unix epoch: fixed steps are counted from it. */
  readonly startMs: number;
  readonly anomalies: AnomalySchedule;
  /** Offset of the patient's local clock from UTC, minutes (circadian rhythms and meals follow local time). */
  readonly utcOffsetMinutes: number;
}
