/**
 * Root metadata, the offline top of trust: which keys may sign each top-level role, and how many of
 * them must (e.g. root 2 of 3). Built, rotated and revoked on the release team's offline machine.
 *
 * Rotation (TUF spec 5.3.4): root N+1 must carry a threshold of signatures from the keys root N
 * trusts AND a threshold from the keys it names itself, so neither a stolen old key set nor a
 * freshly invented one can move a device's trust. Revocation is a rotation to a root without the
 * key; devices walk every root version in order, so a device that was offline still passes through
 * the revocation. The builder refuses roots a device would refuse, and a key shared between an
 * offline role (root, targets) and an online one (snapshot, timestamp), which would put an offline
 * key on the gateway.
 */
import { Metadata, MetadataKind, Root, type Key } from '@tufjs/models';
import { InvalidRepositoryInputError, RepositoryThresholdError } from '../errors.js';
import { TUF_KEY_SCHEME, tufKeyId, type TufSigningKey } from './keys.js';
import { TUF_SPEC_VERSION, expiryFor, parseMetadata, signAndEncode, type ExpiryOptions, type TopLevelRole } from './repository.js';

/** The keys of one role and how many of them must sign. */
export interface RoleKeys {
  readonly keys: readonly Key[];
  readonly threshold: number;
}

/** The key sets of the four top-level roles: what a root says. */
export type RootSpec = Readonly<Record<TopLevelRole, RoleKeys>>;

const ROLES: readonly TopLevelRole[] = ['root', 'targets', 'snapshot', 'timestamp'];
const ONLINE: ReadonlySet<TopLevelRole> = new Set(['snapshot', 'timestamp']);

/** Root version 1, signed by `signers` (at least the root threshold of the spec's root keys). */
export function createRoot(spec: RootSpec, signers: readonly TufSigningKey[], options: ExpiryOptions = {}): Uint8Array {
  const root = buildRoot(spec, 1, options);
  const bytes = signAndEncode(root, signers.filter((s) => root.signed.roles.root?.keyIDs.includes(s.keyId)));
  verifyRoot('root', root, root);
  return bytes;
}

/**
 * The next root version with the key sets of `spec`, signed by `signers`: they must meet the root
 * threshold of the previous root and of the new one. Also how a root is re-signed before it expires.
 */
export function rotateRoot(previous: Uint8Array, spec: RootSpec, signers: readonly TufSigningKey[], options: ExpiryOptions = {}): Uint8Array {
  const before = parseMetadata(MetadataKind.Root, previous);
  const next = buildRoot(spec, before.signed.version + 1, options);
  const trusted = new Set([...(before.signed.roles.root?.keyIDs ?? []), ...(next.signed.roles.root?.keyIDs ?? [])]);
  const bytes = signAndEncode(next, signers.filter((s) => trusted.has(s.keyId)));
  verifyRoot('previous root', before, next);
  verifyRoot('new root', next, next);
  return bytes;
}

/** The key sets a root names. */
export function rootSpecOf(root: Uint8Array): RootSpec {
  const signed = parseMetadata(MetadataKind.Root, root).signed;
  const role = (name: TopLevelRole): RoleKeys => {
    const r = signed.roles[name];
    if (r === undefined) throw new InvalidRepositoryInputError(`the root has no ${name} role`, { details: { field: name } });
    return { keys: r.keyIDs.map((id) => signed.keys[id]).filter((k): k is Key => k !== undefined), threshold: r.threshold };
  };
  return { root: role('root'), targets: role('targets'), snapshot: role('snapshot'), timestamp: role('timestamp') };
}

/**
 * `spec` without the key `keyId` in any role, and with `replacement` in the roles that had it.
 * Throws ERR_FW_REPO_INVALID when the key is not in the spec or a role would fall below its threshold.
 */
export function revokeKey(spec: RootSpec, keyId: string, replacement?: Key): RootSpec {
  if (!ROLES.some((role) => spec[role].keys.some((k) => k.keyID === keyId))) throw new InvalidRepositoryInputError('the key to revoke is not in the root', { details: { field: 'keyId' } });
  const revoked = (set: RoleKeys): RoleKeys => {
    if (!set.keys.some((k) => k.keyID === keyId)) return set;
    const keys = [...set.keys.filter((k) => k.keyID !== keyId), ...(replacement === undefined ? [] : [replacement])];
    return { keys, threshold: set.threshold };
  };
  return { root: revoked(spec.root), targets: revoked(spec.targets), snapshot: revoked(spec.snapshot), timestamp: revoked(spec.timestamp) };
}

/** Root metadata (unsigned) for `spec`; every check a device would make on the key sets. */
function buildRoot(spec: RootSpec, version: number, options: ExpiryOptions): Metadata<Root> {
  const keys: Record<string, unknown> = {};
  const roles: Record<string, unknown> = {};
  const roleOf = new Map<string, TopLevelRole>();
  for (const role of ROLES) {
    const { keys: roleKeys, threshold } = spec[role];
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > roleKeys.length) {
      throw new InvalidRepositoryInputError(`the ${role} threshold must be 1 to the number of its keys (${roleKeys.length})`, { details: { field: role } });
    }
    const ids = new Set<string>();
    for (const key of roleKeys) {
      if (key.keyType !== TUF_KEY_SCHEME || key.scheme !== TUF_KEY_SCHEME || !/^[0-9a-f]{64}$/.test(key.keyVal.public ?? '') || key.keyID !== tufKeyId(key)) {
        throw new InvalidRepositoryInputError(`a ${role} key is not an Ed25519 TUF key under its own key id`, { details: { field: role } });
      }
      if (ids.has(key.keyID)) throw new InvalidRepositoryInputError(`a key is listed twice in the ${role} role`, { details: { field: role } });
      const other = roleOf.get(key.keyID);
      if (other !== undefined && ONLINE.has(other) !== ONLINE.has(role)) {
        throw new InvalidRepositoryInputError(`the ${other} and ${role} roles share a key: offline and online keys must differ`, { details: { field: role } });
      }
      ids.add(key.keyID);
      roleOf.set(key.keyID, role);
      keys[key.keyID] = key.toJSON();
    }
    roles[role] = { keyids: [...ids], threshold };
  }
  const signed = { _type: 'root', spec_version: TUF_SPEC_VERSION, version, expires: expiryFor('root', options), consistent_snapshot: true, keys, roles };
  return new Metadata(Root.fromJSON(signed as Parameters<typeof Root.fromJSON>[0]));
}

/** Throws ERR_FW_REPO_THRESHOLD unless `root` carries its root threshold under `trusting`. */
function verifyRoot(which: string, trusting: Metadata<Root>, root: Metadata<Root>): void {
  try {
    trusting.verifyDelegate('root', root);
  } catch (error) {
    throw new RepositoryThresholdError(`the root is not signed by the threshold of the ${which} keys`, { cause: error, details: { role: 'root' } });
  }
}
