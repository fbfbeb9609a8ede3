/**
 * `medsim firmware inspect`: what an image file says about itself (header fields, the hash and key
 * hash of its TLVs) and whether that holds: the structure is parsed strictly, the hash recomputed
 * (a flipped bit anywhere in header or payload shows, U1), and with --keys the signature is
 * checked against the key directory's image keys, as a bootloader would. Exit code 0 when every
 * check made passed, 1 otherwise (with the refusal code of @medsim/firmware).
 */
import { MedsimError } from '@medsim/protocol';
import { formatVersion } from '@medsim/firmware';
import { parseArgs } from 'node:util';
import { UsageError } from '../commands/usage-error.js';
import { mark, paint } from '../ui/terminal.js';
import { checkImage, keyringOf, readImageFile, type ImageReport } from './image-check.js';
import { loadReleaseKeys } from './key-dir.js';
import { printJson, printLines } from './output.js';

/** The fields shown for an image. */
function describe(report: ImageReport): Record<string, string | number | boolean> {
  const { header, keyHash, hash, totalSize } = report.parsed;
  return {
    model: header.model,
    version: formatVersion(header.version),
    securityCounter: header.securityCounter,
    buildTime: new Date(header.buildTimeMs).toISOString(),
    encrypted: header.encrypted,
    flags: header.flags,
    payloadBytes: header.payloadSize,
    bytes: totalSize,
    sha256: report.fileSha256,
    imageHash: Buffer.from(hash).toString('hex'),
    keyHash,
  };
}

/** Runs `inspect`; returns the exit code. */
export async function inspect(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: { keys: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (positionals.length !== 1) throw new UsageError('say inspect FILE');
  const file = positionals[0]!;
  const keyring = values.keys === undefined ? undefined : keyringOf(loadReleaseKeys(values.keys).image);
  const bytes = await readImageFile(file);
  let report: ImageReport;
  try {
    // Without keys the hash is still compared; with keys checkSignature refuses a mismatch itself.
    report = checkImage(bytes, keyring, 'checking');
  } catch (error) {
    if (!(error instanceof MedsimError)) throw error;
    if (values.json) printJson({ file, valid: false, error: { code: error.code, message: error.message } });
    else printLines([`${mark(false)} ${file}: ${paint('red', `${error.code}: ${error.message}`)}`]);
    return 1;
  }
  const fields = describe(report);
  const valid = report.hashMatches;
  if (values.json) {
    printJson({ file, valid, ...fields, hashMatches: report.hashMatches, signature: report.signature, ...(valid ? {} : { error: { code: 'ERR_FW_IMAGE_HASH_MISMATCH', message: 'the image hash does not match its SHA256 TLV' } }) });
  } else {
    printLines([
      file,
      ...Object.entries(fields).map(([k, v]) => `  ${k.padEnd(16)} ${String(v)}`),
      `${mark(report.hashMatches)} hash ${report.hashMatches ? 'matches the hash TLV' : paint('red', `does not match the hash TLV (computed ${report.computedHash}): the image was altered after signing`)}`,
      report.signature === 'verified' ? `${mark(true)} signature verified under image key ${report.parsed.keyHash}` : `  signature not checked (give --keys DIR)`,
    ]);
  }
  return valid ? 0 : 1;
}
