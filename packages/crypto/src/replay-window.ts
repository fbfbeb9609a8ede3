/**
 * Sliding anti-replay window (RFC 4303 §3.4.3; bitmap as in RFC 6479): accepts each sequence
 * number at most once, in any order, as long as it is no more than `size - 1` behind the highest
 * accepted. check() runs before decryption (cheap refusal); commit() only after the tag verified,
 * so forged envelopes can never move the window.
 */
import { CapacityError, ReplayError, TooOldError } from './errors.js';

/** Default window: 1,024 sequence numbers (RFC 6479 suggests 1,024 or more for reordering links). */
export const DEFAULT_REPLAY_WINDOW = 1024;

/** The persisted form of a window, so that replay protection survives a restart (C2). */
export interface ReplayWindowSnapshot {
  readonly size: number;
  readonly top: number;
  readonly bits: Uint8Array;
}

/** One stream's replay window. */
export class ReplayWindow {
  readonly size: number;
  #bits: Uint32Array;
  /** Highest accepted sequence; -1 before the first. */
  #top = -1;

  constructor(size = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 32 || size > 65_536 || size % 32 !== 0) {
      throw new CapacityError('replay window size must be a multiple of 32 in [32, 65536]', { details: { size } });
    }
    this.size = size;
    this.#bits = new Uint32Array(size / 32);
  }

  /** Highest accepted sequence number, or -1. */
  get top(): number {
    return this.#top;
  }

  #isSet(sequence: number): boolean {
    const bit = sequence % this.size;
    return ((this.#bits[bit >>> 5] ?? 0) & (1 << (bit & 31))) !== 0;
  }

  /** Throws TooOldError or ReplayError unless `sequence` may be accepted now. */
  check(sequence: number): void {
    if (sequence > this.#top) return;
    if (this.#top - sequence >= this.size) {
      throw new TooOldError('sequence is behind the replay window', { details: { window: this.size } });
    }
    if (this.#isSet(sequence)) throw new ReplayError('sequence already accepted');
  }

  /** Records `sequence` as accepted; call only after check() and a verified tag. */
  commit(sequence: number): void {
    if (sequence > this.#top) {
      const advance = sequence - this.#top;
      if (advance >= this.size) {
        this.#bits.fill(0);
      } else {
        for (let s = this.#top + 1; s < sequence; s++) {
          const bit = s % this.size;
          this.#bits[bit >>> 5] = (this.#bits[bit >>> 5] ?? 0) & ~(1 << (bit & 31));
        }
      }
      this.#top = sequence;
    }
    const bit = sequence % this.size;
    this.#bits[bit >>> 5] = (this.#bits[bit >>> 5] ?? 0) | (1 << (bit & 31));
  }

  /** The window's state, to persist. */
  snapshot(): ReplayWindowSnapshot {
    return { size: this.size, top: this.#top, bits: new Uint8Array(this.#bits.buffer.slice(0)) };
  }

  /** A window restored from a snapshot. */
  static restore(snapshot: ReplayWindowSnapshot): ReplayWindow {
    const window = new ReplayWindow(snapshot.size);
    if (snapshot.bits.length !== snapshot.size / 8 || !Number.isSafeInteger(snapshot.top) || snapshot.top < -1) {
      throw new CapacityError('replay window snapshot does not match its size');
    }
    window.#bits = new Uint32Array(new Uint8Array(snapshot.bits).buffer);
    window.#top = snapshot.top;
    return window;
  }
}
