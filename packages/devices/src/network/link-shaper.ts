/**
 * The timing model of one direction of a shaped link, without sockets or timers: given when a
 * chunk of bytes enters the link, it says when each part of it comes out at the far end. The
 * FaultProxy runs one per direction of each connection; tests drive it with a made-up clock.
 *
 * Model, in order:
 * 1. Bandwidth: a token bucket of `bandwidthBitsPerSecond / 8` bytes/s whose depth is 20 ms of
 *    traffic (at least one 1460-byte Ethernet MSS, at most 64 KiB). A chunk is split into
 *    slices no larger than the bucket, so a big chunk takes size / rate to leave, and slices
 *    leave in order (one link, FIFO).
 * 2. Propagation: latency plus jitter, uniform in [latency - jitter, latency + jitter] and never
 *    negative (netem's `delay L J` without a distribution table).
 * 3. Loss as TCP experiences it: with probability `lossRate` a slice must be retransmitted,
 *    which costs one retransmission timeout, RTO = max(200 ms, 2 × RTT) with RTT = 2 × latency
 *    (200 ms is Linux's TCP_RTO_MIN; RFC 6298 §2 puts the RTO above the smoothed RTT). A
 *    retransmission can be lost again with the same probability, and each retry doubles the RTO
 *    (RFC 6298 §5.5), at most 6 times in a row. One draw per slice is a simplification: inside a
 *    long stream fast retransmit (RFC 5681 §3.2) repairs most losses in about one RTT, so this is
 *    the pessimistic case, a tail loss.
 * 4. Order: TCP delivers in order, so a slice is never delivered before an earlier one; a delayed
 *    (jittered or retransmitted) slice holds back everything behind it (head-of-line blocking).
 */
import type { NetworkProfile } from './network-profile.js';

/** Linux TCP_RTO_MIN (include/net/tcp.h: HZ / 5). */
export const MIN_RTO_MS = 200;
/** The most consecutive retransmissions of one slice the model draws (RTO doubles each time). */
export const MAX_CONSECUTIVE_RETRANSMISSIONS = 6;
/** Smallest bucket depth and slice: one Ethernet MSS (1500-byte MTU less 40 bytes of headers). */
const MIN_BURST_BYTES = 1460;
/** Largest slice: 64 KiB, a typical socket read. */
const MAX_BURST_BYTES = 65_536;
/** Bucket depth in time: 20 ms of traffic at the link rate. */
const BURST_MS = 20;

/** One part of a chunk and when it reaches the far end. */
export interface ScheduledSlice {
  /** Offset of the slice in the chunk, bytes. */
  readonly offset: number;
  /** Length of the slice, bytes. */
  readonly length: number;
  /** When the slice reaches the far end, ms on the caller's clock. */
  readonly deliverAt: number;
  /** How many simulated retransmissions it took (0: none). */
  readonly retransmissions: number;
}

/** One direction of a link: bandwidth, latency, jitter and loss applied in order. */
export class LinkShaper {
  #profile: NetworkProfile;
  readonly #random: () => number;
  #bytesPerMs = 0;
  #burstBytes = 0;
  #tokens = 0;
  #tokensAt = Number.NEGATIVE_INFINITY;
  #linkFreeAt = Number.NEGATIVE_INFINITY;
  #lastDeliverAt = Number.NEGATIVE_INFINITY;

  /** `random` returns numbers in [0, 1) (a seeded generator, for reproducible runs). */
  constructor(profile: NetworkProfile, random: () => number) {
    this.#profile = profile;
    this.#random = random;
    this.#applyRate();
    this.#tokens = this.#burstBytes;
  }

  /** The profile new chunks are shaped with. */
  get profile(): NetworkProfile {
    return this.#profile;
  }

  /** The largest slice a chunk is cut into, bytes (the token bucket's depth). */
  get burstBytes(): number {
    return this.#burstBytes;
  }

  /** When the last scheduled slice or end reaches the far end (-Infinity before any). */
  get lastDeliverAt(): number {
    return this.#lastDeliverAt;
  }

  /** Shapes chunks scheduled from now on with `profile`; what is already scheduled keeps its times. */
  setProfile(profile: NetworkProfile): void {
    this.#profile = profile;
    this.#applyRate();
    this.#tokens = Math.min(this.#tokens, this.#burstBytes);
  }

  #applyRate(): void {
    this.#bytesPerMs = this.#profile.bandwidthBitsPerSecond / 8 / 1000;
    this.#burstBytes = Math.floor(Math.min(MAX_BURST_BYTES, Math.max(MIN_BURST_BYTES, this.#bytesPerMs * BURST_MS)));
  }

  /** The retransmission timeout of the current profile, ms. */
  get rtoMs(): number {
    return Math.max(MIN_RTO_MS, 2 * 2 * this.#profile.latencyMs);
  }

  /** Schedules `length` bytes that enter the link at `now` (ms); returns their slices in order. */
  schedule(length: number, now: number): ScheduledSlice[] {
    const slices: ScheduledSlice[] = [];
    for (let offset = 0; offset < length; offset += this.#burstBytes) {
      const size = Math.min(this.#burstBytes, length - offset);
      const departAt = this.#transmit(size, now);
      let retransmissions = 0;
      let lossDelay = 0;
      if (this.#profile.lossRate > 0) {
        let rto = this.rtoMs;
        while (retransmissions < MAX_CONSECUTIVE_RETRANSMISSIONS && this.#random() < this.#profile.lossRate) {
          lossDelay += rto;
          rto *= 2;
          retransmissions += 1;
        }
      }
      const deliverAt = Math.max(departAt + this.#propagation() + lossDelay, this.#lastDeliverAt);
      this.#lastDeliverAt = deliverAt;
      slices.push({ offset, length: size, deliverAt, retransmissions });
    }
    return slices;
  }

  /** Schedules the end of the stream (a FIN) sent at `now`: after every byte before it. */
  scheduleEnd(now: number): number {
    this.#lastDeliverAt = Math.max(Math.max(now, this.#linkFreeAt) + this.#propagation(), this.#lastDeliverAt);
    return this.#lastDeliverAt;
  }

  /** Token bucket: when a slice of `size` bytes has left the sender. */
  #transmit(size: number, now: number): number {
    const start = Math.max(now, this.#linkFreeAt);
    if (start > this.#tokensAt) {
      this.#tokens = Math.min(this.#burstBytes, this.#tokens + (start - this.#tokensAt) * this.#bytesPerMs);
      this.#tokensAt = start;
    }
    let departAt = start;
    if (this.#tokens >= size) {
      this.#tokens -= size;
    } else {
      departAt = start + (size - this.#tokens) / this.#bytesPerMs;
      this.#tokens = 0;
      this.#tokensAt = departAt;
    }
    this.#linkFreeAt = departAt;
    return departAt;
  }

  #propagation(): number {
    const { latencyMs, jitterMs } = this.#profile;
    if (jitterMs === 0) return latencyMs;
    return Math.max(0, latencyMs + (2 * this.#random() - 1) * jitterMs);
  }
}
