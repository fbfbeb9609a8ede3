/**
 * `medsim firmware`: the release side of signed firmware updates and rollout control (issue 5;
 * docs/firmware/release.md has the ceremonies). Offline: make the release keys, build and inspect
 * images, sign targets, rotate and revoke keys, all in one key directory. Online, through a
 * gateway's HTTPS API: publish a release, and create, approve, pause, resume, advance, abort and
 * follow rollout campaigns. One module per action under src/firmware/.
 */
import { MedsimError } from '@medsim/protocol';
import { API_ENV } from '../firmware/api-login.js';
import { build } from '../firmware/build.js';
import { campaign } from '../firmware/campaign.js';
import { CommandError } from '../firmware/command-error.js';
import { inspect } from '../firmware/inspect.js';
import { keysInit } from '../firmware/keys-init.js';
import { onlineKeys } from '../firmware/online-keys.js';
import { publish } from '../firmware/publish.js';
import { release } from '../firmware/release.js';
import { revoke } from '../firmware/revoke.js';
import { rotate } from '../firmware/rotate.js';
import { UsageError } from './usage-error.js';

/** Usage of `medsim firmware`. */
export const firmwareUsage = `medsim firmware keys|online-keys|build|inspect|release|publish|rotate|revoke|campaign [options]

Offline (the release machine; DIR is the key directory, its repository in DIR/repository):
  keys init --dir DIR --online-keys FILE     3 root keys (threshold 2), a targets key, an image key;
                                             root v1 listing the gateway's online keys from FILE
  build --model M --version V --security-counter N --keys DIR --out FILE
        [--size BYTES] [--self-test pass|fail] [--build-time ISO]
                                             a reproducible signed image (build time: --build-time,
                                             else SOURCE_DATE_EPOCH, else now)
  inspect FILE [--keys DIR]                  header, hashes, key hash; the signature with --keys
  release --keys DIR (--image FILE... | --remove PATH...)
                                             the next targets version: earlier images kept unless removed
  rotate --keys DIR --role root|targets [--replace KEYID]
                                             a new key for the role; new root (and re-signed targets)
  revoke --keys DIR --key KEYID              a new root without the key
On the gateway host:
  online-keys [--data-dir DIR]               the gateway's snapshot and timestamp public keys (JSON)
Through the gateway's API (--api HOST:PORT --ca FILE --user NAME; the password from
${API_ENV.password}, the TOTP secret from ${API_ENV.totpSecret}; the last TOTP step used per account is
kept in ${API_ENV.stateDir}, default ~/.local/state/medsim):
  publish --keys DIR                         root history, the latest targets and the images the
                                             gateway lacks; it signs snapshot and timestamp (technician)
  campaign create --model M --version V [--devices a,b] [--stages 10,50,100] [--threshold P] [--min-sample N]
  campaign approve|resume|advance ID         admin, not the creator; sends a fresh TOTP code
  campaign pause|abort ID
  campaign status ID                         devices, statuses, confirmed/total
  campaign list [--limit N]

KEYID: a key id or its first 8 or more hex digits. --json prints one JSON document. Key files are
0600 in a 0700 directory; a retired key is renamed *.retired, never deleted. Exit codes: 0 done,
1 refused (the reason on stderr), 2 bad command line.`;

const ACTIONS: Readonly<Record<string, (argv: readonly string[]) => Promise<number>>> = {
  keys: keysInit,
  'online-keys': onlineKeys,
  build,
  inspect,
  release,
  publish,
  rotate,
  revoke,
  campaign,
};

/** Runs `medsim firmware`; returns the exit code. */
export async function firmware(argv: readonly string[]): Promise<number> {
  const [action, ...rest] = argv;
  const run = action === undefined ? undefined : ACTIONS[action];
  if (run === undefined) throw new UsageError(action === undefined ? 'say which action' : `unknown action "${action}"`);
  try {
    return await run(rest);
  } catch (error) {
    if (error instanceof CommandError || error instanceof MedsimError) {
      process.stderr.write(`medsim firmware ${action}: ${error instanceof MedsimError ? `${error.code}: ` : ''}${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
