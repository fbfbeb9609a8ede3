/**
 * The firmware verification benchmark (issue 5: "verification of a 64 MiB image against raw SHA-256
 * streaming of the same bytes in the same run (goal ≥ 0.9×)"). One image is built in memory; each
 * round streams it in fixed chunks through (a) node:crypto SHA-256 alone, the floor any verifier
 * must pay, and (b) the device's ImageStreamVerifier (header checks, hash, TLV parsing, Ed25519
 * signature), taking turns which goes first. The ratio is verifier throughput over raw throughput,
 * the median of per-round ratios, so a slow moment of the machine falls on both alike.
 */
import { createHash } from 'node:crypto';
import { ImageKeyring, ImageSigningKey, ImageStreamVerifier, buildImage } from '@medsim/firmware';
import { median } from '../measure.js';

/** Settings of the firmware verification benchmark. */
export interface FirmwareBenchOptions {
  /** Image payload size in MiB (default 64). */
  readonly imageMiB?: number;
  /** Paired rounds (default 7). */
  readonly rounds?: number;
  /** Chunk size in KiB, as a download or a flash read delivers them (default 64). */
  readonly chunkKiB?: number;
  readonly onRound?: () => void;
}

/** The result (also what `--json` prints under `firmware`). */
export interface FirmwareBenchResult {
  readonly settings: { readonly imageBytes: number; readonly rounds: number; readonly chunkBytes: number };
  /** Medians over the rounds, MB/s (10^6 bytes). */
  readonly rawSha256MBps: number;
  readonly verifyMBps: number;
  /** Median of per-round ratios verify / raw. */
  readonly ratio: number;
  readonly goals: readonly { readonly goal: string; readonly target: number; readonly actual: number; readonly met: boolean }[];
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/** Runs the benchmark (see the file comment). */
export function runFirmwareBenchmark(options: FirmwareBenchOptions = {}): FirmwareBenchResult {
  const imageMiB = options.imageMiB ?? 64;
  const rounds = options.rounds ?? 7;
  const chunkBytes = (options.chunkKiB ?? 64) * 1024;
  const key = ImageSigningKey.generate();
  const keyring = new ImageKeyring([key.publicKey]);
  const image = buildImage({ model: 'ultrasound', version: '1.0.0', securityCounter: 1, buildTimeMs: 0, payloadSize: imageMiB * 1024 * 1024 }, key);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < image.length; at += chunkBytes) chunks.push(image.subarray(at, at + chunkBytes));

  const raw = (): number => {
    const start = process.hrtime.bigint();
    const hash = createHash('sha256');
    for (const chunk of chunks) hash.update(chunk);
    hash.digest();
    return seconds(start);
  };
  const verify = (): number => {
    const start = process.hrtime.bigint();
    const verifier = new ImageStreamVerifier({ keyring });
    for (const chunk of chunks) verifier.update(chunk);
    verifier.finish();
    return seconds(start);
  };
  // One unmeasured pass of each warms the code paths and the pages of the image.
  raw();
  verify();
  const rawRates: number[] = [];
  const verifyRates: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const [r, v] = round % 2 === 0 ? [raw(), verify()] : ((): [number, number] => {
      const vFirst = verify();
      return [raw(), vFirst];
    })();
    rawRates.push(image.length / r / 1e6);
    verifyRates.push(image.length / v / 1e6);
    ratios.push(r / v);
    options.onRound?.();
  }
  const ratio = median(ratios);
  return {
    settings: { imageBytes: image.length, rounds, chunkBytes },
    rawSha256MBps: median(rawRates),
    verifyMBps: median(verifyRates),
    ratio,
    goals: [{ goal: 'streaming image verification / raw SHA-256 of the same bytes', target: 0.9, actual: ratio, met: ratio >= 0.9 }],
  };
}
