/**
 * A deterministic synthetic ECG lead II for demos: each beat is a sum of Gaussian waves (P, Q,
 * R, S, T), after McSharry et al., "A dynamical model for generating synthetic ECG signals"
 * (IEEE TBME 2003), without the noise and variability terms. Amplitudes in mV.
 */

// [centre as a fraction of the beat, width as a fraction of the beat, amplitude mV]
const WAVES: readonly (readonly [number, number, number])[] = [
  [0.2, 0.025, 0.15], // P
  [0.35, 0.01, -0.1], // Q
  [0.375, 0.01, 1.2], // R
  [0.4, 0.01, -0.25], // S
  [0.65, 0.04, 0.3], // T
];

/** Lead II in mV at time `t` seconds for a heart rate in beats per minute. */
export function ecgLeadII(t: number, heartRateBpm: number): number {
  const beat = 60 / heartRateBpm;
  const phase = (t % beat) / beat;
  return WAVES.reduce((sum, [centre, width, amplitude]) => sum + amplitude * Math.exp(-((phase - centre) ** 2) / (2 * width * width)), 0);
}

/** `count` int16 little-endian samples at `rateHz`, `microvoltsPerLsb` µV per step. */
export function ecgSamples(count: number, rateHz: number, heartRateBpm: number, microvoltsPerLsb = 5): Buffer {
  const samples = Buffer.alloc(count * 2);
  for (let i = 0; i < count; i++) {
    const millivolts = ecgLeadII(i / rateHz, heartRateBpm);
    samples.writeInt16LE(Math.round((millivolts * 1000) / microvoltsPerLsb), i * 2);
  }
  return samples;
}
