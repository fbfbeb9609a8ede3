/**
 * Throughput measurement that stays honest on a noisy 2-core machine: each path runs in short
 * slices, the paths are interleaved round by round (so a noisy moment hits all of them), and the
 * median slice is reported. Nothing here asserts a speed; the numbers are printed.
 */

/** A unit of work: sync or async, one message per call. */
export type Operation = () => unknown;

/** Runs `operation` for about `durationMs` and returns calls per second. */
export async function opsPerSecond(operation: Operation, durationMs: number): Promise<number> {
  // Batches amortize the clock reads; async operations are awaited one by one.
  let calls = 0;
  let batch = 1;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(durationMs * 1e6));
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) {
      const result = operation();
      if (result instanceof Promise) await result;
    }
    calls += batch;
    now = process.hrtime.bigint();
    if (batch < 256) batch *= 2;
  }
  return calls / (Number(now - start) / 1e9);
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
