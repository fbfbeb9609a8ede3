/**
 * The gateway's online TUF keys (snapshot and timestamp) as the release side needs them: public
 * keys only. `medsim firmware online-keys --data-dir DIR` runs on the gateway host and prints
 * `{ "snapshot": { keyId, publicKeyHex }, "timestamp": { … } }` (OnlineKeys.publicKeys of
 * @medsim/gateway); that file travels to the offline machine, where `keys init --online-keys FILE`
 * puts the keys into root.json. The offline machine never reads the gateway's data directory,
 * which holds the private keys; both commands print the key ids for the officers to compare.
 */
import { tufPublicKey } from '@medsim/firmware';
import { DATA_FILES, DataDir, OnlineKeys, loadConfig } from '@medsim/gateway';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../commands/usage-error.js';
import { CommandError } from './command-error.js';
import { printJson } from './output.js';

/** A TUF public key (the Key class of @tufjs/models, which the CLI does not depend on directly). */
export type TufKey = ReturnType<typeof tufPublicKey>;

/** The online public keys the root lists. */
export interface OnlinePublicKeys {
  readonly snapshot: TufKey;
  readonly timestamp: TufKey;
}

const HEX64 = /^[0-9a-f]{64}$/u;

/** Parses the JSON `online-keys` prints; each key id must be the id of its public key. */
export function parseOnlinePublicKeys(text: string, source: string): OnlinePublicKeys {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`${source} is not JSON (make it with medsim firmware online-keys on the gateway host)`);
  }
  const key = (role: 'snapshot' | 'timestamp'): TufKey => {
    const entry = (parsed as Record<string, { keyId?: unknown; publicKeyHex?: unknown } | undefined> | null)?.[role];
    if (typeof entry?.keyId !== 'string' || typeof entry.publicKeyHex !== 'string' || !HEX64.test(entry.keyId) || !HEX64.test(entry.publicKeyHex)) {
      throw new UsageError(`${source}: ${role} must be { "keyId": 64 hex, "publicKeyHex": 64 hex }`);
    }
    const publicKey = tufPublicKey(Buffer.from(entry.publicKeyHex, 'hex'));
    if (publicKey.keyID !== entry.keyId) throw new UsageError(`${source}: the ${role} key id is not the id of its public key (file damaged or edited)`);
    return publicKey;
  };
  return { snapshot: key('snapshot'), timestamp: key('timestamp') };
}

/** `medsim firmware online-keys`: prints the gateway's online public keys as JSON. */
export function onlineKeys(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { 'data-dir': { type: 'string' } } });
  const config = loadConfig({ env: process.env, overrides: { dataDir: values['data-dir'] } });
  // Checked first: DataDir.open would create a missing directory.
  if (!existsSync(join(config.dataDir, DATA_FILES.firmwareOnlineKeys))) {
    throw new CommandError(`${config.dataDir} holds no ${DATA_FILES.firmwareOnlineKeys}: start the gateway once with this data directory to create its online keys`);
  }
  const keys = OnlineKeys.parse(DataDir.open(config.dataDir).readSecret(DATA_FILES.firmwareOnlineKeys).toString('utf8'));
  printJson(keys.publicKeys);
  return Promise.resolve(0);
}
