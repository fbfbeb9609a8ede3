/**
 * The device's update agent: the client half of issue 5's update system, between the gateway's
 * director, the TUF image repository and the bootloader. One update check:
 *
 * 1. ask the director for an instruction, sending a fresh check nonce; none: nothing to do;
 * 2. verify the instruction (director key from enrolment, typ, crit, this device, not expired,
 *    not acted on, answering this check); record its nonce as acted on before anything else;
 * 3. refresh the TUF metadata (a refused refresh keeps the old metadata);
 * 4. download the image the instruction names, but only if it is exactly the verified TUF entry
 *    (path, length, SHA-256, model, version, counter: Uptane's director/repository agreement) and
 *    newer than what runs (version up, security counter not down), into the inactive slot, in
 *    chunks, resuming after interruptions (and after a reboot, from what the slot holds);
 * 5. finish the install (the bootloader re-verifies the whole slot from flash): the next boot is
 *    the image's one trial. The device reboots.
 *
 * After that boot, `afterBoot` runs the health check of a trial image and confirms it or reverts
 * (then the device reboots again into the old image), and reports the outcome. Every step is
 * reported to the director (downloading %, installed, trial, confirmed, reverted, failed with the
 * refusal's code), and every refusal is an event for the device's log and a FIRMWARE_REJECTED
 * security event: an update that fails changes neither the running version nor the security counter.
 */
import { randomBytes } from 'node:crypto';
import { KeyCache, type PublicJwks } from '@medsim/crypto';
import { DownloadCheckpoint, isResumable, verifyDirectorInstruction, type DirectorInstruction, type DownloadSink, type FirmwareTarget, type UpdateClient } from '@medsim/firmware';
import { UpdateFailedError, UpdateHealthCheckFailedError, UpdateNotConfirmedError } from '../errors.js';
import { JsonFileState } from '../control/persistent-state.js';
import type { BootResult, Bootloader } from './bootloader.js';

/** Update states a device reports (the gateway's campaign states). */
export type UpdateState = 'downloading' | 'installed' | 'trial' | 'confirmed' | 'reverted' | 'failed';

/** One report to the director, about the instruction `jti` of `campaign`. */
export interface UpdateReport {
  readonly campaign: string;
  readonly jti: string;
  readonly state: UpdateState;
  /** Whole percent, with `downloading`. */
  readonly progress?: number;
  /** The refusal's stable code, with `failed` (and `reverted` when there is one). */
  readonly errorCode?: string;
}

/** How the agent reaches the director (HTTPS over mTLS to the gateway's delivery endpoint). */
export interface DirectorChannel {
  /** The current signed instruction for this device (compact JWS), or undefined when there is none. */
  instruction(checkNonce: string): Promise<string | undefined>;
  report(report: UpdateReport): Promise<void>;
}

/** What the agent tells the device (its log, and security events for refusals). */
export type UpdateAgentEvent =
  | { readonly kind: 'refused'; readonly code: string; readonly stage: 'instruction' | 'metadata' | 'download' | 'install' }
  | { readonly kind: 'installed'; readonly version: string }
  | { readonly kind: 'confirmed'; readonly version: string; readonly securityCounter: number }
  | { readonly kind: 'reverted'; readonly version: string; readonly code: string };

/** The outcome of one check. */
export type CheckOutcome =
  | { readonly kind: 'none' }
  | { readonly kind: 'refused'; readonly code: string }
  | { readonly kind: 'installed'; readonly version: string };

/** Options of UpdateAgent. */
export interface UpdateAgentOptions {
  readonly deviceId: string;
  readonly model: string;
  /** Opened and booted this power cycle. */
  readonly bootloader: Bootloader;
  readonly client: UpdateClient;
  readonly channel: DirectorChannel;
  /** The director's public signing key (from enrolment). */
  readonly directorKey: PublicJwks['signing'];
  /** The device clock, ms. */
  readonly now: () => number;
  /** The agent's own state file (nonces acted on, the update awaiting its trial). */
  readonly stateFile: string;
  /** Download attempts per check that may resume after an interruption (default 5). */
  readonly maxAttempts?: number;
  readonly onEvent?: (event: UpdateAgentEvent) => void;
}

/** Nonces remembered as acted on: far more than instructions a device sees between reboots. */
const SEEN_NONCES = 256;

interface AgentState {
  readonly seen: readonly string[];
  /** The installed update whose trial boot is next (reported after it). */
  readonly pending?: { readonly campaign: string; readonly jti: string; readonly version: string };
}

function parseAgentState(value: unknown): AgentState {
  const v = value as Partial<AgentState> | null;
  if (typeof v !== 'object' || v === null || !Array.isArray(v.seen) || !v.seen.every((s) => typeof s === 'string')) throw new Error('not an update agent state');
  const p = v.pending;
  if (p !== undefined && (typeof p.campaign !== 'string' || typeof p.jti !== 'string' || typeof p.version !== 'string')) throw new Error('bad pending update');
  return { seen: v.seen, ...(p === undefined ? {} : { pending: p }) };
}

const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^ERR_[A-Z0-9_]{1,60}$/.test(code) ? code : new UpdateFailedError('unexpected').code;
};

/** The device's update agent (see the file comment). */
export class UpdateAgent {
  readonly #o: UpdateAgentOptions;
  readonly #state: JsonFileState<AgentState>;
  #busy = false;
  /** Reports go one at a time, in order: the gateway takes a device's states forward only. */
  #reports: Promise<void> = Promise.resolve();

  constructor(options: UpdateAgentOptions) {
    this.#o = options;
    this.#state = new JsonFileState(options.stateFile, { parse: parseAgentState });
  }

  #load(): AgentState {
    return this.#state.load() ?? { seen: [] };
  }

  /** One update check (see the file comment). Never throws for a refused update: it reports it. */
  async check(): Promise<CheckOutcome> {
    if (this.#busy) return { kind: 'none' };
    this.#busy = true;
    try {
      return await this.#check();
    } finally {
      this.#busy = false;
    }
  }

  async #check(): Promise<CheckOutcome> {
    const running = this.#o.bootloader.status().running;
    // A trial is decided at boot (afterBoot); nothing installs over an unconfirmed image.
    if (running === undefined || running.trial) return { kind: 'none' };
    const checkNonce = randomBytes(16).toString('base64url');
    const jws = await this.#o.channel.instruction(checkNonce);
    if (jws === undefined) return { kind: 'none' };
    let instruction: DirectorInstruction;
    try {
      const directorKey = await new KeyCache().importPublicJwk(this.#o.directorKey, 'Ed25519');
      const state = this.#load();
      instruction = await verifyDirectorInstruction(jws, { directorKey, deviceId: this.#o.deviceId, nowMs: this.#o.now(), seen: (jti) => state.seen.includes(jti), checkNonce });
    } catch (error) {
      // Nothing about an unverified instruction is trusted, not even its campaign: no report.
      return this.#refused(codeOf(error), 'instruction');
    }
    const state = this.#load();
    this.#state.save({ ...state, seen: [...state.seen, instruction.jti].slice(-SEEN_NONCES) });
    const about = { campaign: instruction.campaign, jti: instruction.jti };
    const report = (r: Omit<UpdateReport, 'campaign' | 'jti'>): Promise<void> => this.#report({ ...about, ...r });
    const fail = async (error: unknown, stage: 'metadata' | 'download' | 'install'): Promise<CheckOutcome> => {
      const code = codeOf(error);
      await report({ state: 'failed', errorCode: code });
      return this.#refused(code, stage);
    };

    try {
      await this.#o.client.refresh();
    } catch (error) {
      return fail(error, 'metadata');
    }
    const installed = { model: this.#o.model, version: running.image.version, securityCounter: Math.max(running.image.securityCounter, this.#o.bootloader.securityCounter) };
    let target: FirmwareTarget;
    try {
      // Director and repository must agree, and the image must be newer, before a byte is written:
      // beginInstall gives up the inactive slot's old image.
      target = await this.#o.client.verify(instruction.target, installed);
    } catch (error) {
      return fail(error, 'metadata');
    }
    let writer;
    try {
      writer = this.#o.bootloader.beginInstall({ size: target.length, model: target.model, version: target.version, securityCounter: target.securityCounter });
    } catch (error) {
      return fail(error, 'install');
    }
    // Resuming an install cut by a reboot: the checkpoint continues the hash over what the slot holds.
    const checkpoint = writer.written > 0 ? DownloadCheckpoint.fromWritten(target, writer.writtenChunks()) : new DownloadCheckpoint(target);
    let reported = -1;
    const sink: DownloadSink = {
      write: (chunk, offset) => {
        writer.write(offset, chunk);
        const percent = Math.floor((100 * (offset + chunk.length)) / target.length);
        if (percent >= reported + 25 || percent === 100) {
          reported = percent;
          void report({ state: 'downloading', progress: percent });
        }
      },
      complete: () => undefined,
    };
    const attempts = this.#o.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.#o.client.download(target, sink, { installed, checkpoint });
        break;
      } catch (error) {
        if (!isResumable(error) || attempt >= attempts) return fail(error, 'download');
      }
    }
    try {
      writer.finish();
    } catch (error) {
      return fail(error, 'install');
    }
    this.#state.save({ ...this.#load(), pending: { ...about, version: target.version } });
    await report({ state: 'installed' });
    this.#o.onEvent?.({ kind: 'installed', version: target.version });
    return { kind: 'installed', version: target.version };
  }

  /**
   * After `bootloader.boot()`: a trial image gets its health check (the image's own self-test,
   * then `deviceCheck`, the model's post-boot checks of its hardware), then confirm (the security
   * counter rises) or revert. Returns true when the device must reboot (after a revert).
   */
  async afterBoot(boot: BootResult, deviceCheck: () => boolean = () => true): Promise<boolean> {
    const { pending } = this.#load();
    if (pending === undefined) return false;
    const about = { campaign: pending.campaign, jti: pending.jti };
    const report = (r: Omit<UpdateReport, 'campaign' | 'jti'>): Promise<void> => this.#report({ ...about, ...r });
    const done = (): void => this.#state.save({ seen: this.#load().seen });
    if (boot.mode === 'application' && boot.trial && boot.image.version === pending.version) {
      await report({ state: 'trial' });
      const image = this.#o.bootloader.healthCheck();
      const health = image.healthy && !deviceCheck() ? { healthy: false, reason: 'device-self-test-failed' } : image;
      if (health.healthy) {
        const confirmed = this.#o.bootloader.confirm();
        done();
        await report({ state: 'confirmed' });
        this.#o.onEvent?.({ kind: 'confirmed', version: confirmed.image.version, securityCounter: confirmed.securityCounter });
        return false;
      }
      const code = new UpdateHealthCheckFailedError(`health check failed: ${health.reason ?? 'unknown'}`).code;
      this.#o.bootloader.revert();
      done();
      await report({ state: 'reverted', errorCode: code });
      this.#o.onEvent?.({ kind: 'reverted', version: pending.version, code });
      this.#o.onEvent?.({ kind: 'refused', code, stage: 'install' });
      return true;
    }
    // The trial never ran to its health check (power lost, crash): the bootloader reverted it.
    const refused = boot.events.find((e) => e.kind === 'slot-refused');
    const code = refused?.kind === 'slot-refused' ? refused.code : new UpdateNotConfirmedError('trial not confirmed').code;
    done();
    await report({ state: 'reverted', errorCode: code });
    this.#o.onEvent?.({ kind: 'reverted', version: pending.version, code });
    return false;
  }

  /**
   * Queues a report behind the ones before it; resolves when it was sent (or failed: a lost report
   * costs the campaign's view of this device, never the update).
   */
  #report(report: UpdateReport): Promise<void> {
    this.#reports = this.#reports.then(() => this.#o.channel.report(report)).catch(() => undefined);
    return this.#reports;
  }

  #refused(code: string, stage: 'instruction' | 'metadata' | 'download' | 'install'): CheckOutcome {
    this.#o.onEvent?.({ kind: 'refused', code, stage });
    return { kind: 'refused', code };
  }
}
