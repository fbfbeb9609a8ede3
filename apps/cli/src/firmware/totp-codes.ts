/**
 * TOTP codes for the CLI's logins and step-ups (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps, as the
 * gateway enrols them), computed from the account's secret as an authenticator app would.
 *
 * The gateway accepts a code once per account and only a code newer than the last one the account
 * used (RFC 6238 §5.2; docs/access-control.md), so the step-up after a login, or a second command
 * within the same 30 s, needs the next time step. The CLI therefore never sends a code for a step
 * it already used: it keeps the last step per account and gateway in `totp-steps.json` in its
 * state directory (0700/0600; step numbers only, never the secret) and, while that step is
 * current, waits for the next one (at most 30 s) instead of sending a code the gateway would
 * refuse and count towards the account's lockout. Two CLI processes for one account at the same
 * moment can still collide; the gateway then refuses the second.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Secret, TOTP } from 'otpauth';
import { UsageError } from '../commands/usage-error.js';
import { progress } from '../ui/terminal.js';

/** The gateway's TOTP time step, ms. */
export const TOTP_STEP_MS = 30_000;

const STATE_FILE = 'totp-steps.json';

/** Options of TotpCodes. */
export interface TotpCodesOptions {
  /** The account's secret, base32 (from the otpauth:// URI shown when the account was created). */
  readonly secret: string;
  /** Who and where, e.g. `tech.lee@gateway:8443`: the key of the last-step record. */
  readonly account: string;
  /** Directory of the last-step record. */
  readonly stateDir: string;
  /** The clock (default the wall clock). */
  readonly now?: () => number;
  /** Waits `ms` (default: a timer, with a progress bar on a TTY). */
  readonly wait?: (ms: number) => Promise<void>;
}

/** Waits `ms`, showing the seconds left on a TTY. */
async function waitForStep(ms: number): Promise<void> {
  const seconds = Math.ceil(ms / 1000);
  const bar = progress('waiting for the next TOTP code', seconds);
  for (let left = ms; left > 0; left -= 1000) {
    await sleep(Math.min(1000, left));
    bar.tick();
  }
  bar.done();
}

/** Codes for one account, each for a time step not used before (see the file comment). */
export class TotpCodes {
  readonly #totp: TOTP;
  readonly #o: TotpCodesOptions;

  constructor(options: TotpCodesOptions) {
    let secret: Secret;
    try {
      secret = Secret.fromBase32(options.secret);
    } catch {
      throw new UsageError('the TOTP secret is not base32 (copy the secret= part of the otpauth:// URI)');
    }
    this.#totp = new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: TOTP_STEP_MS / 1000 });
    this.#o = options;
  }

  /** A code for the first time step after the last one used, waiting for that step if it is still ahead. */
  async next(): Promise<string> {
    const now = this.#o.now ?? Date.now;
    const steps = this.#readSteps();
    const step = Math.max(Math.floor(now() / TOTP_STEP_MS), (steps[this.#o.account] ?? -1) + 1);
    const ahead = step * TOTP_STEP_MS - now();
    if (ahead > 0) await (this.#o.wait ?? waitForStep)(ahead);
    // Recorded before the code is sent: a code that reached the gateway is spent, whatever the answer.
    this.#writeSteps({ ...steps, [this.#o.account]: step });
    return this.#totp.generate({ timestamp: step * TOTP_STEP_MS });
  }

  #readSteps(): Record<string, number> {
    try {
      const parsed = JSON.parse(readFileSync(join(this.#o.stateDir, STATE_FILE), 'utf8')) as unknown;
      if (typeof parsed !== 'object' || parsed === null) return {};
      return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, number] => Number.isSafeInteger(e[1])));
    } catch {
      // No record yet, or a damaged one: the gateway still refuses a reused code, so nothing is unsafe.
      return {};
    }
  }

  #writeSteps(steps: Record<string, number>): void {
    mkdirSync(this.#o.stateDir, { recursive: true, mode: 0o700 });
    const path = join(this.#o.stateDir, STATE_FILE);
    writeFileSync(`${path}.${process.pid}.tmp`, JSON.stringify(steps), { mode: 0o600 });
    renameSync(`${path}.${process.pid}.tmp`, path);
  }
}
