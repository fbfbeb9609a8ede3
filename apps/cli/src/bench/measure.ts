/**
 * Throughput measurement that stays honest on a noisy 2-core machine. The paths being compared
 * take turns in batches of about a millisecond, each accumulating only its own time, so a slow
 * moment of the machine falls on all of them alike; rounds of this are repeated and the medians
 * reported. Nothing here asserts a speed; the numbers are printed.
 */

/** A unit of work: sync or async, one message per call. */
export type Operation = () => unknown;

/** About how long one turn of one operation lasts, in nanoseconds. */
const TURN_NS = 1_000_000n;

/**
 * Runs the operations in turns for about `durationMs` in total and returns calls per second of
 * each, in the order given.
 */
export async function interleavedRates(operations: readonly Operation[], durationMs: number): Promise<number[]> {
  const spent = operations.map(() => 0n);
  const calls = operations.map(() => 0);
  const batch = operations.map(() => 1);
  const deadline = process.hrtime.bigint() + BigInt(Math.round(durationMs * 1e6));
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < operations.length; i++) {
      const operation = operations[i]!;
      const size = batch[i]!;
      const start = process.hrtime.bigint();
      for (let k = 0; k < size; k++) {
        const result = operation();
        if (result instanceof Promise) await result;
      }
      const elapsed = process.hrtime.bigint() - start;
      spent[i]! += elapsed;
      calls[i]! += size;
      // Grow the batch until a turn lasts about TURN_NS: the clock reads stay negligible.
      if (elapsed < TURN_NS / 2n && size < 65_536) batch[i] = size * 2;
    }
  }
  return operations.map((_, i) => calls[i]! / (Number(spent[i]!) / 1e9));
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
