/**
 * Anomaly injection: a clinical event (tachycardia, hypoxia, fever...) laid over the patient's
 * physiology for a while, with a severity 0..1. Each anomaly ramps in (onset) and out (offset) with
 * a smoothstep so vital signs move plausibly instead of jumping; several anomalies may overlap. The
 * schedule only answers "how strong is kind K at time t": each model turns that into its own effect.
 */
import { PhysiologyCapacityError, PhysiologyInvalidArgumentError } from '../errors.js';
import { DAY_MS, MINUTE_MS, smoothstep } from './internal/rhythms.js';

/** The anomalies the physiology knows. */
export const ANOMALY_KINDS = [
  'tachycardia',
  'bradycardia',
  'hypoxia',
  'hypoglycaemia',
  'hyperglycaemia',
  'fever',
  'hypertensive-crisis',
  'atrial-fibrillation',
] as const;

/** One of ANOMALY_KINDS. */
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** An anomaly to inject. */
export interface Anomaly {
  readonly kind: AnomalyKind;
  /** When it starts, ms since the Unix epoch (may be in the past: only its future part acts). */
  readonly startMs: number;
  /** How long it lasts, ramps included, ms (1 s to 7 days). */
  readonly durationMs: number;
  /** 0 (mild) to 1 (severe); each model maps it to a magnitude. */
  readonly severity: number;
  /** Onset and offset ramp, ms; default per kind (ANOMALY_DEFAULT_RAMP_MS), never more than a third of the duration. */
  readonly rampMs?: number;
}

/** An anomaly as scheduled, with its id. */
export interface ScheduledAnomaly extends Anomaly {
  readonly id: number;
  /** Set by a clear: from then the anomaly ramps out over its ramp, whatever its duration said. */
  readonly releasedAtMs?: number;
}

/** How strongly one kind acts at an instant. */
export interface AnomalyInfluence {
  /** Onset/offset envelope, 0..1. */
  readonly envelope: number;
  /** Severity of the anomaly giving that envelope, 0..1. */
  readonly severity: number;
}

/**
 * Default onset/offset ramp per kind, ms: arrhythmias start within seconds, gas exchange within a
 * minute, blood pressure over minutes, glucose and temperature over tens of minutes.
 */
export const ANOMALY_DEFAULT_RAMP_MS: Readonly<Record<AnomalyKind, number>> = {
  tachycardia: 20_000,
  bradycardia: 20_000,
  hypoxia: 60_000,
  hypoglycaemia: 10 * MINUTE_MS,
  hyperglycaemia: 20 * MINUTE_MS,
  fever: 30 * MINUTE_MS,
  'hypertensive-crisis': 5 * MINUTE_MS,
  'atrial-fibrillation': 2_000,
};

/** At most this many anomalies are scheduled at once (ended ones are dropped). */
export const MAX_ANOMALIES = 64;
/** Longest anomaly, ms (7 days). */
export const MAX_ANOMALY_DURATION_MS = 7 * DAY_MS;
/** Shortest anomaly, ms. */
export const MIN_ANOMALY_DURATION_MS = 1_000;

const NONE: AnomalyInfluence = { envelope: 0, severity: 0 };

/** The anomalies laid over one patient. */
export class AnomalySchedule {
  #anomalies: ScheduledAnomaly[] = [];
  #nextId = 1;

  /**
   * Adds an anomaly; ERR_PHYSIOLOGY_INVALID_ARGUMENT for an unknown kind or a value out of range,
   * ERR_PHYSIOLOGY_CAPACITY when MAX_ANOMALIES are already scheduled.
   */
  add(anomaly: Anomaly, nowMs: number): ScheduledAnomaly {
    validateAnomaly(anomaly);
    this.prune(nowMs);
    if (this.#anomalies.length >= MAX_ANOMALIES) {
      throw new PhysiologyCapacityError(`At most ${MAX_ANOMALIES} anomalies may be scheduled at once`, { details: { limit: MAX_ANOMALIES } });
    }
    const scheduled: ScheduledAnomaly = {
      id: this.#nextId,
      kind: anomaly.kind,
      startMs: anomaly.startMs,
      durationMs: anomaly.durationMs,
      severity: anomaly.severity,
      rampMs: Math.min(anomaly.rampMs ?? ANOMALY_DEFAULT_RAMP_MS[anomaly.kind], anomaly.durationMs / 3),
    };
    this.#nextId += 1;
    this.#anomalies.push(scheduled);
    return scheduled;
  }

  /**
   * Ends every anomaly from `nowMs`: those not started yet are dropped, active ones ramp out over
   * their ramp from the level they had (no jump in the vital signs).
   */
  release(nowMs: number): void {
    this.#anomalies = this.#anomalies
      .filter((a) => a.startMs < nowMs)
      .map((a) => (a.releasedAtMs !== undefined && a.releasedAtMs <= nowMs ? a : { ...a, releasedAtMs: nowMs }));
    this.prune(nowMs);
  }

  /** Drops anomalies that no longer act at or after `nowMs`. */
  prune(nowMs: number): void {
    this.#anomalies = this.#anomalies.filter((a) => endOf(a) > nowMs);
  }

  /** The anomalies still scheduled. */
  list(): readonly ScheduledAnomaly[] {
    return [...this.#anomalies];
  }

  /** The strongest (envelope × severity, then envelope) anomaly of `kind` at `timeMs`; zeros when none acts. */
  influence(kind: AnomalyKind, timeMs: number): AnomalyInfluence {
    let best = NONE;
    for (const a of this.#anomalies) {
      if (a.kind !== kind) continue;
      const envelope = envelopeOf(a, timeMs);
      if (envelope <= 0) continue;
      if (envelope * a.severity > best.envelope * best.severity || (envelope * a.severity === best.envelope * best.severity && envelope > best.envelope)) {
        best = { envelope, severity: a.severity };
      }
    }
    return best;
  }

  /** `magnitude(severity) × envelope` of the strongest anomaly of `kind` at `timeMs` (0 when none acts). */
  effect(kind: AnomalyKind, timeMs: number, magnitude: (severity: number) => number): number {
    const { envelope, severity } = this.influence(kind, timeMs);
    return envelope === 0 ? 0 : envelope * magnitude(severity);
  }
}

function rampOf(a: ScheduledAnomaly): number {
  return a.rampMs ?? Math.min(ANOMALY_DEFAULT_RAMP_MS[a.kind], a.durationMs / 3);
}

function endOf(a: ScheduledAnomaly): number {
  const planned = a.startMs + a.durationMs;
  return a.releasedAtMs === undefined ? planned : Math.min(planned, a.releasedAtMs + rampOf(a));
}

/** The planned onset/offset envelope, 0..1. */
function plannedEnvelope(a: ScheduledAnomaly, timeMs: number): number {
  const ramp = rampOf(a);
  const end = a.startMs + a.durationMs;
  if (timeMs <= a.startMs || timeMs >= end) return 0;
  if (ramp <= 0) return 1;
  return Math.min(smoothstep((timeMs - a.startMs) / ramp), smoothstep((end - timeMs) / ramp));
}

function envelopeOf(a: ScheduledAnomaly, timeMs: number): number {
  if (a.releasedAtMs === undefined || timeMs <= a.releasedAtMs) return plannedEnvelope(a, timeMs);
  const ramp = rampOf(a);
  const fade = ramp <= 0 ? 0 : 1 - smoothstep((timeMs - a.releasedAtMs) / ramp);
  return Math.min(plannedEnvelope(a, timeMs), plannedEnvelope(a, a.releasedAtMs) * fade);
}

function validateAnomaly(anomaly: Anomaly): void {
  const fail = (field: string, rule: string): never => {
    throw new PhysiologyInvalidArgumentError(`anomaly.${field} ${rule}`, { details: { field: `anomaly.${field}` } });
  };
  if (typeof anomaly !== 'object' || anomaly === null) fail('kind', 'is required (the anomaly is not an object)');
  if (!(ANOMALY_KINDS as readonly unknown[]).includes(anomaly.kind)) fail('kind', `must be one of ${ANOMALY_KINDS.join(', ')}`);
  if (typeof anomaly.startMs !== 'number' || !Number.isFinite(anomaly.startMs)) fail('startMs', 'must be a finite time in ms');
  if (typeof anomaly.durationMs !== 'number' || !(anomaly.durationMs >= MIN_ANOMALY_DURATION_MS && anomaly.durationMs <= MAX_ANOMALY_DURATION_MS)) {
    fail('durationMs', `must be between ${MIN_ANOMALY_DURATION_MS} and ${MAX_ANOMALY_DURATION_MS} ms`);
  }
  if (typeof anomaly.severity !== 'number' || !(anomaly.severity >= 0 && anomaly.severity <= 1)) fail('severity', 'must be in [0, 1]');
  if (anomaly.rampMs !== undefined && (typeof anomaly.rampMs !== 'number' || !(anomaly.rampMs >= 0 && anomaly.rampMs <= MAX_ANOMALY_DURATION_MS))) {
    fail('rampMs', 'must be between 0 and 7 days in ms');
  }
}

