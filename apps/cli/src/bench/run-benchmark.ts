/**
 * The crypto benchmark (`npm run bench`, `medsim bench`): messages/s and MB/s of each path at
 * each payload size, interleaved in rounds, medians reported, then the ratios the foundation
 * issue sets as goals. Library form, so harnesses get the same numbers as JSON.
 */
import { cpus } from 'node:os';
import { median, opsPerSecond, type Operation } from './measure.js';
import { opensslAesGcmBytesPerSecond, opensslVersion } from './openssl-reference.js';
import { createParties, handshakeOperation, operationFor, type PathName } from './paths.js';

/** Benchmark settings. */
export interface BenchmarkOptions {
  /** Payload sizes in bytes. */
  readonly sizes?: readonly number[];
  /** Rounds; each path runs once per round and size, interleaved. */
  readonly rounds?: number;
  /** Duration of one measurement slice, ms. */
  readonly sliceMs?: number;
  /** Also run `openssl speed` for each size. */
  readonly openssl?: boolean;
  /** Called after each measurement slice (for a progress bar). */
  readonly onSlice?: () => void;
}

/** One measured cell. */
export interface PathResult {
  readonly path: PathName;
  readonly bytes: number;
  readonly messagesPerSecond: number;
  readonly megabytesPerSecond: number;
}

/** A goal and whether this run met it. */
export interface GoalResult {
  readonly goal: string;
  readonly target: number;
  readonly actual: number | undefined;
  readonly met: boolean | undefined;
}

/** A ratio of two paths at one size: the median of per-round ratios (pairs measured seconds apart). */
export interface RatioResult {
  readonly name: string;
  readonly bytes: number;
  readonly ratio: number;
}

/** Everything one run measured. */
export interface BenchmarkResult {
  readonly machine: { readonly node: string; readonly openssl: string | undefined; readonly cpu: string; readonly cores: number };
  readonly settings: { readonly sizes: readonly number[]; readonly rounds: number; readonly sliceMs: number };
  readonly results: readonly PathResult[];
  readonly ratios: readonly RatioResult[];
  readonly opensslBytesPerSecond: Readonly<Record<number, number>>;
  readonly handshakesPerSecond: number;
  readonly goals: readonly GoalResult[];
}

/** The paths in display order. */
export const PATHS: readonly PathName[] = ['raw', 'tuned', 'waveform', 'jwe'];

/** Number of measurement slices a run makes (for progress bars). */
export function sliceCount(options: BenchmarkOptions = {}): number {
  return (options.rounds ?? DEFAULT_ROUNDS) * ((options.sizes ?? DEFAULT_SIZES).length * PATHS.length + 1);
}

/** Seven rounds of 200 ms slices: enough pairs for a stable median on a noisy 2-core machine. */
export const DEFAULT_ROUNDS = 7;
export const DEFAULT_SLICE_MS = 200;

/** 64 B, 256 B, 1 KiB and 16 KiB readings. */
export const DEFAULT_SIZES: readonly number[] = [64, 256, 1024, 16_384];

/** Runs the benchmark. */
export async function runCryptoBenchmark(options: BenchmarkOptions = {}): Promise<BenchmarkResult> {
  const sizes = options.sizes ?? DEFAULT_SIZES;
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
  const parties = await createParties();
  const operations = new Map<string, Operation>(sizes.flatMap((size) => PATHS.map((path) => [`${path}/${size}`, operationFor(path, parties, size)] as const)));
  const samples = new Map<string, number[]>();
  const handshakes: number[] = [];
  for (const op of operations.values()) await opsPerSecond(op, Math.min(50, sliceMs)); // warm up
  for (let round = 0; round < rounds; round++) {
    for (const size of sizes) {
      for (const path of PATHS) {
        const key = `${path}/${size}`;
        const rate = await opsPerSecond(operations.get(key)!, sliceMs);
        samples.set(key, [...(samples.get(key) ?? []), rate]);
        options.onSlice?.();
      }
    }
    handshakes.push(await opsPerSecond(handshakeOperation(parties), sliceMs));
    options.onSlice?.();
  }
  const results = sizes.flatMap((bytes) =>
    PATHS.map((path) => {
      const messagesPerSecond = median(samples.get(`${path}/${bytes}`)!);
      return { path, bytes, messagesPerSecond, megabytesPerSecond: (messagesPerSecond * bytes) / 1e6 };
    }),
  );
  const opensslBytesPerSecond: Record<number, number> = {};
  if (options.openssl ?? true) {
    for (const size of sizes) {
      const rate = await opensslAesGcmBytesPerSecond(size);
      if (rate !== undefined) opensslBytesPerSecond[size] = rate;
    }
  }
  const rate = (path: PathName, bytes: number): number | undefined => results.find((r) => r.path === path && r.bytes === bytes)?.messagesPerSecond;
  const ratioOf = (a: PathName, b: PathName, bytes: number): number | undefined => {
    const as = samples.get(`${a}/${bytes}`);
    const bs = samples.get(`${b}/${bytes}`);
    return as === undefined || bs === undefined ? undefined : median(as.map((x, round) => x / bs[round]!));
  };
  const ratios: RatioResult[] = sizes.flatMap((bytes) =>
    (
      [
        ['tuned / raw', 'tuned', 'raw'],
        ['tuned / jwe', 'tuned', 'jwe'],
        ['waveform / raw', 'waveform', 'raw'],
      ] as const
    ).map(([name, a, b]) => ({ name, bytes, ratio: ratioOf(a, b, bytes)! })),
  );
  const goal = (name: string, target: number, actual: number | undefined): GoalResult => ({
    goal: name,
    target,
    actual,
    met: actual === undefined ? undefined : actual >= target,
  });
  const waveformBytes = rate('waveform', 16_384);
  const opensslAt16k = opensslBytesPerSecond[16_384];
  return {
    machine: { node: process.version, openssl: await opensslVersion(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length },
    settings: { sizes, rounds, sliceMs },
    results,
    ratios,
    opensslBytesPerSecond,
    handshakesPerSecond: median(handshakes),
    goals: [
      goal('tuned envelope / raw AES-256-GCM at 256 B', 0.8, ratioOf('tuned', 'raw', 256)),
      goal('tuned envelope / jose JWE at 256 B', 50, ratioOf('tuned', 'jwe', 256)),
      goal(
        'batched waveform / openssl speed bytes/s at 16 KiB',
        0.25,
        waveformBytes === undefined || opensslAt16k === undefined ? undefined : (waveformBytes * 16_384) / opensslAt16k,
      ),
    ],
  };
}
