/**
 * Time-of-day and breathing rhythms shared by the models. Every function is a pure function of the
 * time, so a value never depends on how often a model was sampled.
 */

/** One day, ms. */
export const DAY_MS = 86_400_000;
/** One hour, ms. */
export const HOUR_MS = 3_600_000;
/** One minute, ms. */
export const MINUTE_MS = 60_000;

/** Local clock hour in [0, 24) for a UTC offset in minutes (no daylight-saving rules: a fixed offset). */
export function localHour(timeMs: number, utcOffsetMinutes: number): number {
  const local = timeMs + utcOffsetMinutes * MINUTE_MS;
  return (((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
}

/** Index of the local calendar day (days since 1970-01-01 local). */
export function localDayIndex(timeMs: number, utcOffsetMinutes: number): number {
  return Math.floor((timeMs + utcOffsetMinutes * MINUTE_MS) / DAY_MS);
}

/** UTC time of local midnight starting local day `dayIndex`. */
export function localDayStartMs(dayIndex: number, utcOffsetMinutes: number): number {
  return dayIndex * DAY_MS - utcOffsetMinutes * MINUTE_MS;
}

/** A 24-hour cosine: 1 at `peakHour` local, -1 twelve hours later. */
export function circadianCosine(timeMs: number, utcOffsetMinutes: number, peakHour: number): number {
  return Math.cos((2 * Math.PI * (localHour(timeMs, utcOffsetMinutes) - peakHour)) / 24);
}

/** How deep into the night it is, 0..1: 1 at 03:00 local, 0 at 15:00 (sleep-related dips follow it). */
export function nightWeight(timeMs: number, utcOffsetMinutes: number): number {
  return (1 + circadianCosine(timeMs, utcOffsetMinutes, 3)) / 2;
}

/** Breathing phase in radians at `timeMs` for a steady rate (breaths/min) counted from `originMs`. */
export function respiratoryPhase(timeMs: number, originMs: number, rateBreathsPerMin: number): number {
  return (2 * Math.PI * (timeMs - originMs) * rateBreathsPerMin) / MINUTE_MS;
}

/** `value` limited to [min, max]. */
export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

/** Hermite smoothstep on [0, 1]: ramps with zero slope at both ends (no kink in a vital sign). */
export function smoothstep(x: number): number {
  const t = clamp(x, 0, 1);
  return t * t * (3 - 2 * t);
}

/** The severity of an anomaly (0..1) mapped linearly onto [atZero, atOne]. */
export function bySeverity(severity: number, atZero: number, atOne: number): number {
  return atZero + (atOne - atZero) * clamp(severity, 0, 1);
}
