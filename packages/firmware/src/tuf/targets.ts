/**
 * Targets metadata, signed offline by the targets key: one entry per firmware image, path
 * `<model>/<model>-<version>.bin`, with its length, SHA-256 and, in `custom`, the model, version and
 * security counter a device checks before it downloads anything (wrong model U2, rollback U3).
 *
 * The release machine extends the previous targets metadata rather than re-typing it. Because that
 * copy may come from the online gateway, its signatures are checked first: otherwise a compromised
 * gateway could slip an entry into the next offline signature. Each image's header must state the
 * same model, version and counter as its entry, so the two can never be mixed and matched.
 */
import { Metadata, MetadataKind, TargetFile, Targets, type Root } from '@tufjs/models';
import { InvalidRepositoryInputError, RepositoryThresholdError } from '../errors.js';
import { MODEL_NAME } from '../image/format.js';
import { parseHeader } from '../image/image.js';
import { parseVersion } from '../image/version.js';
import type { TufSigningKey } from './keys.js';
import { TUF_SPEC_VERSION, expiryFor, firmwareTargetPath, parseMetadata, sha256Hex, signAndEncode, storedTargetPath, type ExpiryOptions, type RepositoryFiles } from './repository.js';

/** What a firmware target's `custom` field says. */
export interface FirmwareCustom {
  readonly model: string;
  readonly version: string;
  readonly securityCounter: number;
}

/** One image to publish. */
export interface FirmwareRelease extends FirmwareCustom {
  /** The signed image (image/image.ts), exactly as devices will download it. */
  readonly image: Uint8Array;
}

/** What to sign. */
export interface SignTargetsInput {
  /** The root the new targets must verify under (the latest, after any rotation). */
  readonly root: Uint8Array;
  /** The targets to extend, and the root they were signed under when it is not `root`. */
  readonly previous?: { readonly targets: Uint8Array; readonly root?: Uint8Array };
  readonly add?: readonly FirmwareRelease[];
  /** Target paths to withdraw (a recalled release). */
  readonly remove?: readonly string[];
  /** Targets keys: at least the targets threshold of `root`. */
  readonly signers: readonly TufSigningKey[];
}

/** Signed targets metadata and the image files it adds, ready for OnlineSigner.publish. */
export interface SignedTargets {
  readonly targetsJson: Uint8Array;
  /** New images at their stored paths (`targets/<model>/<sha256>.<name>`). */
  readonly targetFiles: RepositoryFiles;
}

/** The custom fields of a target entry, or undefined when they are missing or out of range. */
export function readFirmwareCustom(path: string, custom: unknown): FirmwareCustom | undefined {
  if (typeof custom !== 'object' || custom === null) return undefined;
  const { model, version, securityCounter } = custom as Record<string, unknown>;
  if (typeof model !== 'string' || !MODEL_NAME.test(model) || typeof version !== 'string') return undefined;
  if (typeof securityCounter !== 'number' || !Number.isInteger(securityCounter) || securityCounter < 0 || securityCounter > 0xffff_ffff) return undefined;
  try {
    parseVersion(version);
  } catch {
    return undefined;
  }
  return path === firmwareTargetPath(model, version) ? { model, version, securityCounter } : undefined;
}

/** Signs the next targets version: the previous entries, minus `remove`, plus `add`. */
export function signTargets(input: SignTargetsInput, options: ExpiryOptions = {}): SignedTargets {
  const root = parseMetadata(MetadataKind.Root, input.root);
  const entries = new Map<string, TargetFile>();
  let version = 1;
  if (input.previous !== undefined) {
    const previous = parseMetadata(MetadataKind.Targets, input.previous.targets);
    verifyTargets(input.previous.root === undefined ? root : parseMetadata(MetadataKind.Root, input.previous.root), previous, 'the previous targets');
    for (const [path, entry] of Object.entries(previous.signed.targets)) entries.set(path, entry);
    version = previous.signed.version + 1;
  }
  for (const path of input.remove ?? []) {
    if (!entries.delete(path)) throw new InvalidRepositoryInputError(`no target ${JSON.stringify(path)} to remove`, { details: { field: 'remove' } });
  }
  const targetFiles = new Map<string, Uint8Array>();
  for (const release of input.add ?? []) {
    const sha256 = sha256Hex(release.image);
    const entry = targetEntry(release, sha256);
    if (entries.has(entry.path)) throw new InvalidRepositoryInputError(`${entry.path} is already published; release a new version`, { details: { field: 'add' } });
    entries.set(entry.path, entry);
    targetFiles.set(storedTargetPath(entry.path, sha256), new Uint8Array(release.image));
  }
  const md = new Metadata(new Targets({ version, specVersion: TUF_SPEC_VERSION, expires: expiryFor('targets', options), targets: Object.fromEntries(entries) }));
  const targetsJson = signAndEncode(md, input.signers.filter((s) => root.signed.roles.targets?.keyIDs.includes(s.keyId)));
  verifyTargets(root, md, 'the new targets');
  return { targetsJson, targetFiles };
}

/** The entry of one release, after checking its fields against the image header. */
function targetEntry(release: FirmwareRelease, sha256: string): TargetFile {
  const path = firmwareTargetPath(release.model, release.version);
  const custom = { model: release.model, version: release.version, securityCounter: release.securityCounter };
  if (readFirmwareCustom(path, custom) === undefined) throw new InvalidRepositoryInputError('model, version or security counter out of range', { details: { field: 'add' } });
  let header;
  try {
    header = parseHeader(release.image);
  } catch (error) {
    throw new InvalidRepositoryInputError('the image is not a medsim firmware image', { cause: error, details: { field: 'image' } });
  }
  if (header.model !== release.model || header.versionText !== release.version || header.securityCounter !== release.securityCounter) {
    throw new InvalidRepositoryInputError(`the image header says ${header.model} ${header.versionText} counter ${header.securityCounter}`, { details: { field: 'image' } });
  }
  return new TargetFile({ path, length: release.image.length, hashes: { sha256 }, unrecognizedFields: { custom } });
}

/** Throws ERR_FW_REPO_THRESHOLD unless `targets` meets the targets threshold of `root`. */
export function verifyTargets(root: Metadata<Root>, targets: Metadata<Targets>, what: string): void {
  try {
    root.verifyDelegate('targets', targets);
  } catch (error) {
    throw new RepositoryThresholdError(`${what} are not signed by the targets threshold of the root`, { cause: error, details: { role: 'targets' } });
  }
}
