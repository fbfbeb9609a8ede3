/**
 * Latency bookkeeping for the gateway benchmark: send times by message key, receive times
 * matched to them, percentiles at the end. Times are performance.now() of this thread.
 */
import { performance } from 'node:perf_hooks';

/** Result of one measured run. */
export interface RunResult {
  /** Messages the publishers sent (acknowledged or not). */
  readonly sent: number;
  /** Messages acknowledged with PUBACK. */
  readonly acked: number;
  /** Acknowledged messages the subscriber received. */
  readonly received: number;
  /** Acknowledged messages the subscriber never received (after the drain wait). */
  readonly lost: number;
  /** Received per second inside the measured window (stragglers after it do not count). */
  readonly throughput: number;
  /** Publisher send → subscriber receive, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly seconds: number;
}

/** Tracks one run's messages. */
export class LatencyBook {
  readonly #sentAt = new Map<string, number>();
  readonly #acked = new Set<string>();
  readonly #latencies: number[] = [];
  #received = 0;
  #receivedInWindow = 0;
  #sent = 0;
  #start = 0;
  #end = 0;

  start(): void {
    this.#start = performance.now();
  }

  stop(): void {
    this.#end = performance.now();
  }

  sent(key: string): void {
    this.#sent += 1;
    this.#sentAt.set(key, performance.now());
  }

  acked(key: string): void {
    this.#acked.add(key);
  }

  /** A receipt at `atMs` (performance.timeOrigin + now(), comparable across threads). */
  received(key: string, atMs: number): void {
    const at = this.#sentAt.get(key);
    if (at === undefined) return; // not of this run
    this.#sentAt.delete(key);
    if (this.#end === 0 || atMs - performance.timeOrigin <= this.#end) this.#receivedInWindow += 1;
    this.#received += 1;
    this.#latencies.push(atMs - performance.timeOrigin - at);
  }

  /** Messages still travelling. */
  get outstanding(): number {
    return this.#sentAt.size;
  }

  result(): RunResult {
    const sorted = this.#latencies.sort((a, b) => a - b);
    const pick = (q: number): number => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    let lost = 0;
    for (const key of this.#sentAt.keys()) if (this.#acked.has(key)) lost += 1;
    const seconds = (this.#end - this.#start) / 1000;
    return {
      sent: this.#sent,
      acked: this.#acked.size,
      received: this.#received,
      lost,
      throughput: this.#receivedInWindow / seconds,
      p50Ms: pick(0.5),
      p99Ms: pick(0.99),
      seconds,
    };
  }
}
