/**
 * `medsim firmware build`: a simulated firmware image for a device model and version (the
 * deterministic payload and header of @medsim/firmware), signed with the key directory's image
 * key. Builds are reproducible: the same inputs and key give the same bytes (Ed25519 signatures
 * are deterministic), so the build time is an input: --build-time, else SOURCE_DATE_EPOCH
 * (reproducible-builds.org), else now (printed, so the build can be repeated). The file is written
 * through a temporary file and a rename, then read back and verified as a bootloader would
 * before it is reported.
 */
import { InvalidImageSpecError, buildImage, formatVersion, type ImageSpec } from '@medsim/firmware';
import { rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { UsageError } from '../commands/usage-error.js';
import { CommandError } from './command-error.js';
import { wholeNumber } from './flags.js';
import { checkImage, keyringOf, readImageFile } from './image-check.js';
import { loadReleaseKeys } from './key-dir.js';
import { printJson, printLines } from './output.js';

/** Payload size when --size is not given: 256 KiB. */
export const DEFAULT_PAYLOAD_BYTES = 256 * 1024;

/** The build time: --build-time (ISO 8601), else SOURCE_DATE_EPOCH (seconds), else now. */
function buildTime(flag: string | undefined, env: NodeJS.ProcessEnv): number {
  if (flag !== undefined) {
    const ms = Date.parse(flag);
    if (!/^\d{4}-\d{2}-\d{2}T/u.test(flag) || Number.isNaN(ms) || ms < 0) throw new UsageError('--build-time must be an ISO 8601 date and time, e.g. 2026-11-01T00:00:00Z');
    return ms;
  }
  const epoch = env['SOURCE_DATE_EPOCH'];
  if (epoch !== undefined && epoch !== '') return wholeNumber(epoch, 'SOURCE_DATE_EPOCH', 0, 253_402_300_799) * 1000;
  return Date.now();
}

/** Runs `build`; returns the exit code. */
export async function build(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      model: { type: 'string' },
      version: { type: 'string' },
      'security-counter': { type: 'string' },
      size: { type: 'string' },
      'self-test': { type: 'string', default: 'pass' },
      'build-time': { type: 'string' },
      keys: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const { model, version, keys: keysDir, out } = values;
  if (model === undefined || version === undefined || values['security-counter'] === undefined || keysDir === undefined || out === undefined) {
    throw new UsageError('--model, --version, --security-counter, --keys and --out are required');
  }
  const selfTest = values['self-test'];
  if (selfTest !== 'pass' && selfTest !== 'fail') throw new UsageError('--self-test must be pass or fail');
  const spec: ImageSpec = {
    model,
    version,
    securityCounter: wholeNumber(values['security-counter'], '--security-counter', 0, 0xffff_ffff),
    buildTimeMs: buildTime(values['build-time'], process.env),
    payloadSize: values.size === undefined ? DEFAULT_PAYLOAD_BYTES : wholeNumber(values.size, '--size', 1, Number.MAX_SAFE_INTEGER),
    selfTest,
  };
  const keys = loadReleaseKeys(keysDir);
  const imageKey = keys.image[0];
  if (imageKey === undefined || keys.image.length > 1) throw new CommandError(`${keysDir} must hold exactly one image key in service (it holds ${keys.image.length})`);

  let image: Uint8Array;
  try {
    image = buildImage(spec, imageKey.key);
  } catch (error) {
    if (error instanceof InvalidImageSpecError) throw new UsageError(error.message);
    throw error;
  }
  await writeFile(`${out}.tmp`, image);
  await rename(`${out}.tmp`, out);
  const report = checkImage(await readImageFile(out), keyringOf(keys.image), 'verifying');
  const header = report.parsed.header;
  const summary = {
    file: out,
    model: header.model,
    version: formatVersion(header.version),
    securityCounter: header.securityCounter,
    buildTime: new Date(header.buildTimeMs).toISOString(),
    selfTest,
    payloadBytes: header.payloadSize,
    bytes: report.parsed.totalSize,
    sha256: report.fileSha256,
    keyHash: report.parsed.keyHash,
  };
  if (values.json) printJson(summary);
  else {
    printLines([
      `built ${summary.file}: ${summary.model} ${summary.version}, security counter ${summary.securityCounter}, ${summary.bytes} bytes`,
      `  build time  ${summary.buildTime} (--build-time repeats the build byte for byte)`,
      `  sha256      ${summary.sha256}`,
      `  signed by   image key ${summary.keyHash} (verified)`,
    ]);
  }
  return 0;
}
