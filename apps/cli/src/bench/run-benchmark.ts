/**
 * The crypto benchmark (`npm run bench`, `medsim bench`): messages/s and MB/s of each path at
 * each payload size, interleaved in rounds, medians reported, then the ratios the foundation
 * issue sets as goals. Library form, so harnesses get the same numbers as JSON.
 */
import { cpus } from 'node:os';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { median } from './measure.js';
import { opensslAesGcmBytesPerSecond, opensslVersion } from './openssl-reference.js';
import type { PathWorkerData } from './path-worker.js';
import type { PathName } from './paths.js';

/** A path running in its own worker thread (its own V8 isolate). */
class PathWorker {
  private constructor(private readonly worker: Worker) {}

  static async start(data: PathWorkerData): Promise<PathWorker> {
    const worker = new Worker(new URL('./path-worker.js', import.meta.url), { workerData: data });
    const [message] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([e]) => Promise.reject(e as Error))])) as [unknown];
    if (message !== 'ready') throw new Error(`benchmark worker for ${data.path} did not start`);
    return new PathWorker(worker);
  }

  /** Runs the path for about `turnMs` and returns its calls per second. */
  async turn(turnMs: number): Promise<number> {
    this.worker.postMessage(turnMs);
    const [rate] = (await once(this.worker, 'message')) as [number];
    return rate;
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Benchmark settings. */
export interface BenchmarkOptions {
  /** Payload sizes in bytes. */
  readonly sizes?: readonly number[];
  /** Rounds; each path runs once per round and size, interleaved. */
  readonly rounds?: number;
  /** Duration of one measurement slice (all paths of one size, one turn each), ms. */
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
  return (options.rounds ?? DEFAULT_ROUNDS) * ((options.sizes ?? DEFAULT_SIZES).length + 1);
}

/**
 * 25 rounds of 200 ms slices per size (a 50 ms turn per path): the two sides of each per-round
 * ratio run within 150 ms of each other, and 25 of them give a stable median on a noisy machine.
 */
export const DEFAULT_ROUNDS = 25;
export const DEFAULT_SLICE_MS = 200;

/** 64 B, 256 B, 1 KiB and 16 KiB readings. */
export const DEFAULT_SIZES: readonly number[] = [64, 256, 1024, 16_384];

/** Runs the benchmark. */
export async function runCryptoBenchmark(options: BenchmarkOptions = {}): Promise<BenchmarkResult> {
  const sizes = options.sizes ?? DEFAULT_SIZES;
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
  const turnMs = sliceMs / PATHS.length;
  // One worker per path and size; only one runs at a time, the others wait for their turn.
  const workers = new Map<string, PathWorker>();
  const handshakeWorker = await PathWorker.start({ path: 'handshake', bytes: 0 });
  const samples = new Map<string, number[]>();
  const handshakes: number[] = [];
  try {
    for (const bytes of sizes) for (const path of PATHS) workers.set(`${path}/${bytes}`, await PathWorker.start({ path, bytes }));
    for (let round = 0; round < rounds; round++) {
      for (const size of sizes) {
        for (const path of PATHS) {
          const key = `${path}/${size}`;
          samples.set(key, [...(samples.get(key) ?? []), await workers.get(key)!.turn(turnMs)]);
        }
        options.onSlice?.();
      }
      handshakes.push(await handshakeWorker.turn(turnMs));
      options.onSlice?.();
    }
  } finally {
    await Promise.all([...workers.values(), handshakeWorker].map((w) => w.stop()));
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
