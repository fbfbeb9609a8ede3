/**
 * Per-address rate limits (CTL-16, CTL-02): a token bucket per key holding `perMinute` tokens,
 * refilled continuously, so a client may burst up to the limit and then sustain the rate. Written
 * here rather than taken from a plugin: it is 40 lines, runs on the gateway's (test-controlled)
 * clock, and its memory is bounded (the least recently seen key is dropped past `maxKeys`, which
 * at worst forgives that address; ~100 bytes per key).
 */

/** Answer of take(). */
export type RateDecision =
  | { readonly ok: true }
  /** `first`: the first refusal since the key last passed (audit once per episode, not per request). */
  | { readonly ok: false; readonly retryAfterS: number; readonly first: boolean };

interface Bucket {
  tokens: number;
  at: number;
  refusing: boolean;
}

/** A token-bucket limiter keyed by address. */
export class RateLimiter {
  readonly #perMs: number;
  readonly #capacity: number;
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(perMinute: number, now: () => number, maxKeys = 100_000) {
    this.#capacity = perMinute;
    this.#perMs = perMinute / 60_000;
    this.#now = now;
    this.#maxKeys = maxKeys;
  }

  /** Takes one token for `key`. */
  take(key: string): RateDecision {
    const now = this.#now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.#capacity, at: now, refusing: false };
    bucket.tokens = Math.min(this.#capacity, bucket.tokens + Math.max(0, now - bucket.at) * this.#perMs);
    bucket.at = now;
    // Re-insert so Map order is least-recently-seen first.
    this.#buckets.delete(key);
    if (this.#buckets.size >= this.#maxKeys) this.#buckets.delete(this.#buckets.keys().next().value as string);
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.refusing = false;
      return { ok: true };
    }
    const first = !bucket.refusing;
    bucket.refusing = true;
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000)), first };
  }
}
