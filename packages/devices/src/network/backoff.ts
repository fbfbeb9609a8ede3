/**
 * Reconnect back-off with jitter, after Marc Brooker, "Exponential Backoff And Jitter", AWS
 * Architecture Blog, 2015 (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/):
 *
 * - full jitter:         sleep = random_between(0, min(cap, base × 2^attempt))
 * - decorrelated jitter: sleep = min(cap, random_between(base, previous sleep × 3))
 *
 * Jitter matters for a fleet: after a gateway restart or a cell outage every device reconnects
 * at once, and un-jittered exponential back-off keeps them in lock-step, so the gateway sees
 * the same thundering herd at every retry. The article measured both variants spreading the
 * load and finishing the work in similar time; full jitter is the default because it does the
 * least work, decorrelated jitter never retries sooner than `baseMs`.
 *
 * The random source is passed in (a seeded generator in simulation), so a run is reproducible.
 */
import { InvalidNetworkOptionsError } from '../errors.js';

/** Which jitter algorithm of the AWS article. */
export type BackoffJitter = 'full' | 'decorrelated';

/** Options of ReconnectBackoff. */
export interface ReconnectBackoffOptions {
  /** First delay scale, ms (positive, finite). */
  readonly baseMs: number;
  /** Cap of any delay, ms (at least baseMs, finite). */
  readonly maxMs: number;
  /** Uniform numbers in [0, 1); a seeded generator for reproducible runs. */
  readonly random: () => number;
  /** 'full' (default) or 'decorrelated'. */
  readonly jitter?: BackoffJitter;
}

// Above 2^31 × base every delay is the cap anyway; stopping the exponent keeps it finite.
const MAX_EXPONENT = 31;

function invalid(message: string, field: string): never {
  throw new InvalidNetworkOptionsError(`reconnect back-off ${message}`, { details: { field } });
}

/** Delays between reconnect attempts, growing exponentially with random jitter. */
export class ReconnectBackoff {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly jitter: BackoffJitter;
  readonly #random: () => number;
  #attempts = 0;
  #previousMs: number;

  /** Throws ERR_NETWORK_INVALID_OPTIONS for a non-positive base, a cap below it, or a missing random source. */
  constructor(options: ReconnectBackoffOptions) {
    const { baseMs, maxMs, random, jitter = 'full' } = options;
    if (!Number.isFinite(baseMs) || baseMs <= 0) invalid('baseMs must be a positive finite number of ms', 'baseMs');
    if (!Number.isFinite(maxMs) || maxMs < baseMs) invalid('maxMs must be finite and at least baseMs', 'maxMs');
    if (typeof random !== 'function') invalid('random must be a function returning numbers in [0, 1)', 'random');
    if (jitter !== 'full' && jitter !== 'decorrelated') invalid("jitter must be 'full' or 'decorrelated'", 'jitter');
    this.baseMs = baseMs;
    this.maxMs = maxMs;
    this.jitter = jitter;
    this.#random = random;
    this.#previousMs = baseMs;
  }

  /** Attempts since the last reset(). */
  get attempts(): number {
    return this.#attempts;
  }

  /** The delay before the next attempt, ms (an integer in [0, maxMs]); counts the attempt. */
  next(): number {
    const u = this.#random();
    if (!(u >= 0 && u < 1)) invalid(`random returned ${u}, outside [0, 1)`, 'random');
    let delay: number;
    switch (this.jitter) {
      case 'full':
        delay = u * Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.#attempts, MAX_EXPONENT));
        break;
      case 'decorrelated': {
        const upper = Math.max(this.baseMs, this.#previousMs * 3);
        delay = Math.min(this.maxMs, this.baseMs + u * (upper - this.baseMs));
        break;
      }
    }
    this.#attempts += 1;
    this.#previousMs = delay;
    return Math.floor(delay);
  }

  /** Starts over after a successful connection. */
  reset(): void {
    this.#attempts = 0;
    this.#previousMs = this.baseMs;
  }
}
