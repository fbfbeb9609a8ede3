/**
 * Throughput of one operation, counted in its own time only. The benchmark runs each path in its
 * own worker and gives the paths short alternating turns (run-benchmark.ts), so a slow moment of
 * the machine falls on all of them alike. Nothing here asserts a speed; the numbers are printed.
 */

/** A unit of work: sync or async, one message per call. */
export type Operation = () => unknown;

/** About how long one batch of calls lasts, in nanoseconds. */
const TURN_NS = 1_000_000n;

/** Runs `operation` for about `durationMs` of its own time and returns calls per second. */
export async function opsPerSecond(operation: Operation, durationMs: number): Promise<number> {
  let spent = 0n;
  let calls = 0;
  let batch = 1;
  const budget = BigInt(Math.round(durationMs * 1e6));
  while (spent < budget) {
    const start = process.hrtime.bigint();
    for (let k = 0; k < batch; k++) {
      const result = operation();
      if (result instanceof Promise) await result;
    }
    spent += process.hrtime.bigint() - start;
    calls += batch;
    // Grow the batch until one lasts about TURN_NS: the clock reads stay negligible.
    if (process.hrtime.bigint() - start < TURN_NS / 2n && batch < 65_536) batch *= 2;
  }
  return calls / (Number(spent) / 1e9);
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
