/**
 * The machine's own AES-256-GCM ceiling: `openssl speed -evp aes-256-gcm` (encryption only, one
 * core, no per-message setup). Used as the reference for the batched waveform path.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Bytes per second `openssl speed` reports for one block size, or undefined without openssl. */
export async function opensslAesGcmBytesPerSecond(blockBytes: number, seconds = 1): Promise<number | undefined> {
  try {
    const { stdout } = await run('openssl', ['speed', '-evp', 'aes-256-gcm', '-seconds', String(seconds), '-bytes', String(blockBytes)], {
      timeout: 30_000,
    });
    // Last line: "AES-256-GCM    2085289.98k" (thousands of bytes per second).
    const match = /([\d.]+)k\s*$/u.exec(stdout.trim());
    return match === null ? undefined : Number(match[1]) * 1000;
  } catch {
    return undefined;
  }
}

/** `openssl version`, or undefined. */
export async function opensslVersion(): Promise<string | undefined> {
  try {
    return (await run('openssl', ['version'], { timeout: 5_000 })).stdout.trim();
  } catch {
    return undefined;
  }
}
