/**
 * Generates the CycloneDX SBOM of an npm project with @cyclonedx/cyclonedx-npm 6.0.1, offline
 * (reference/hpke-tuf-totp-sbom.md §4). The tool runs `npm ls --json --long --all` and reads
 * node_modules and the lock file: nothing is fetched, and npm is told so (npm_config_offline).
 *
 * The command is `cyclonedx-npm [--omit dev] --spec-version 1.6 --output-format JSON
 * --output-reproducible --validate --output-file -`: CycloneDX 1.6, validated against its JSON
 * schema by the tool, no serial number or timestamp (two runs over one tree give the same bytes).
 * The tool is the one this package depends on (resolved from here, not from the project), run by the
 * current Node binary, in its own process group so a timeout also stops the `npm ls` it started.
 *
 * The BOM has no component hashes on machines whose lock files omit registry URLs; addLockfileHashes
 * adds them from the lock file's integrity values.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InvalidSbomError, SbomTimeoutError, SbomToolFailedError, SbomTooLargeError } from '../errors.js';
import { parseBom, type CycloneDxBom } from './cyclonedx.js';

/** Options of generateSbom. */
export interface GenerateSbomOptions {
  /** The project directory: its package.json, package-lock.json and node_modules are read. */
  readonly cwd: string;
  /** Leave out dev-only dependencies, for the SBOM of what ships. Default true. */
  readonly omitDev?: boolean;
  /** Time limit in ms; the tool takes about 2 s on this repository. Default 60,000 (a noisy 2-core machine). */
  readonly timeoutMs?: number;
  /** Output limit in bytes; this repository's SBOM is under 1 MiB. Default 64 MiB. */
  readonly maxOutputBytes?: number;
}

/** Defaults of generateSbom. */
export const SBOM_DEFAULTS = { timeoutMs: 60_000, maxOutputBytes: 64 * 1024 * 1024 } as const;

/** The last 500 characters of the tool's stderr are kept for the error's details. */
const STDERR_TAIL_CHARS = 500;

const TOOL = '@cyclonedx/cyclonedx-npm';

/** The tool's CLI script, from the package this one depends on (its `bin` entry). */
async function toolScript(): Promise<string> {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve(TOOL));
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: unknown; bin?: Record<string, unknown> };
    const bin = manifest.bin?.['cyclonedx-npm'];
    if (manifest.name !== TOOL || typeof bin !== 'string') throw new Error(`${dir}/package.json names no cyclonedx-npm bin`);
    return join(dir, bin);
  } catch (error) {
    throw new SbomToolFailedError(`${TOOL} is not installed where @medsim/compliance can resolve it`, { cause: error });
  }
}

/** The tool's arguments (see the file header). */
export function sbomToolArguments(omitDev: boolean): string[] {
  return [
    ...(omitDev ? ['--omit', 'dev'] : []),
    '--spec-version',
    '1.6',
    '--output-format',
    'JSON',
    '--output-reproducible',
    '--validate',
    '--output-file',
    '-',
  ];
}

/** Runs the tool and resolves with its stdout. */
function run(script: string, args: readonly string[], cwd: string, timeoutMs: number, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd,
      env: { ...process.env, npm_config_offline: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so stop() reaches the npm ls it spawns.
      detached: true,
    });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let failure: Error | undefined;
    const stop = (error: Error): void => {
      failure ??= error;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    };
    const timer = setTimeout(() => {
      stop(new SbomTimeoutError(`cyclonedx-npm did not finish within ${timeoutMs} ms`, { details: { timeoutMs } }));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        stop(new SbomTooLargeError(`cyclonedx-npm wrote more than ${maxBytes} bytes`, { details: { limit: maxBytes } }));
      } else if (failure === undefined) chunks.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_TAIL_CHARS);
    });
    const settle = (error: Error | undefined): void => {
      clearTimeout(timer);
      if (error === undefined) resolve(Buffer.concat(chunks));
      else reject(error);
    };
    child.on('error', (error) => {
      const failed = new SbomToolFailedError('cyclonedx-npm could not be started', { details: { cwd }, cause: error });
      stop(failed);
      // A process that never started is settled now; a 'close' may or may not follow and changes nothing.
      if (child.pid === undefined) settle(failed);
    });
    child.on('close', (exitCode, signal) => {
      if (failure !== undefined || exitCode === 0) {
        settle(failure);
        return;
      }
      settle(
        new SbomToolFailedError(`cyclonedx-npm failed (exit ${exitCode ?? signal ?? 'unknown'})`, {
          details: { exitCode: exitCode ?? -1, signal: signal ?? '', stderr: stderr.trim() },
        }),
      );
    });
  });
}

/**
 * Generates the project's SBOM (CycloneDX 1.6 JSON, validated by the tool, reproducible).
 * @throws SbomToolFailedError when the tool is missing, fails or is killed.
 * @throws SbomTimeoutError when it runs past timeoutMs.
 * @throws SbomTooLargeError when it writes more than maxOutputBytes.
 * @throws InvalidSbomError when its output is not a CycloneDX JSON BOM.
 */
export async function generateSbom(options: GenerateSbomOptions): Promise<CycloneDxBom> {
  const script = await toolScript();
  const output = await run(
    script,
    sbomToolArguments(options.omitDev ?? true),
    options.cwd,
    options.timeoutMs ?? SBOM_DEFAULTS.timeoutMs,
    options.maxOutputBytes ?? SBOM_DEFAULTS.maxOutputBytes,
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(output.toString('utf8'));
  } catch (error) {
    throw new InvalidSbomError('cyclonedx-npm wrote something other than JSON', { cause: error });
  }
  return parseBom(parsed);
}
