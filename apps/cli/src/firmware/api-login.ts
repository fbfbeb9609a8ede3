/**
 * How a `medsim firmware` action reaches a running gateway: `--api HOST:PORT --ca FILE --user NAME`,
 * the password from MEDSIM_PASSWORD and the TOTP secret from MEDSIM_TOTP_SECRET (never flags: a
 * command line is visible to every user of the machine in the process list), and the last TOTP
 * step used per account under MEDSIM_STATE_DIR (default $XDG_STATE_HOME/medsim, else
 * ~/.local/state/medsim; totp-codes.ts).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../commands/usage-error.js';
import { ApiSession, parseHostPort } from './gateway-api.js';
import { TotpCodes } from './totp-codes.js';

/** parseArgs options of the gateway flags. */
export const API_OPTIONS = {
  api: { type: 'string' },
  ca: { type: 'string' },
  user: { type: 'string' },
} as const;

/** The environment variables read. */
export const API_ENV = {
  password: 'MEDSIM_PASSWORD',
  totpSecret: 'MEDSIM_TOTP_SECRET',
  stateDir: 'MEDSIM_STATE_DIR',
} as const;

/** The gateway flags as parsed. */
export interface ApiFlags {
  readonly api?: string | undefined;
  readonly ca?: string | undefined;
  readonly user?: string | undefined;
}

/** Where the CLI keeps its state: MEDSIM_STATE_DIR, else the XDG state directory. */
function stateDir(env: NodeJS.ProcessEnv): string {
  const configured = env[API_ENV.stateDir];
  if (configured !== undefined && configured !== '') return configured;
  return join(env['XDG_STATE_HOME'] || join(homedir(), '.local', 'state'), 'medsim');
}

/** Logs in with the flags and the environment, runs `work`, and logs out whatever happens. */
export async function withSession<T>(flags: ApiFlags, work: (session: ApiSession) => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  if (flags.api === undefined || flags.ca === undefined || flags.user === undefined) throw new UsageError('--api HOST:PORT, --ca FILE and --user NAME are required');
  const { host, port } = parseHostPort(flags.api, '--api');
  let caPem: string;
  try {
    caPem = readFileSync(flags.ca, 'utf8');
  } catch {
    throw new UsageError(`--ca ${flags.ca}: cannot read the gateway's CA certificate`);
  }
  const password = env[API_ENV.password];
  if (password === undefined || password === '') throw new UsageError(`set ${API_ENV.password} to the password of ${flags.user}`);
  const secret = env[API_ENV.totpSecret];
  const totp =
    secret === undefined || secret === ''
      ? undefined
      : new TotpCodes({ secret, account: `${flags.user}@${host}:${port}`, stateDir: stateDir(env) });
  const session = await ApiSession.open({ host, port, caPem }, { user: flags.user, password, totp });
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}
