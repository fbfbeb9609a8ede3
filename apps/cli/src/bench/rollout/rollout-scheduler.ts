/**
 * Drives the devices through an approved campaign, at most `concurrency` of them at once, and
 * times each update. A device takes a slot and checks: an instruction leads to download,
 * install, reboot and confirm (or a failure); no instruction means its stage has not opened,
 * so it gives the slot back and waits.
 *
 * Waiting devices check again once the campaign's stage has moved on since they last checked,
 * as if the gateway pushed "check now" when a stage opens (real devices poll on a timer, which
 * adds up to one interval per stage; the benchmark measures the rollout, not the timer). The
 * stage is read from the gateway after devices finish (the last outcome of a stage is what opens
 * the next) and, when everything left is waiting, every LOOK_INTERVAL_MS. A device records the
 * stage it saw before its check, so a stage that opens during the check sends it back once more.
 *
 * The run ends when every device has finished, or when nothing is left but waiting devices and
 * the campaign stopped (paused past its failure threshold, aborted) or did not move for STALL_MS.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { UpdateFailedError } from '@medsim/devices';
import type { CampaignView } from './gateway-process.js';
import type { UpdateDevice } from './update-device.js';

/** While only waiting devices are left, the campaign is read this often. */
const LOOK_INTERVAL_MS = 100;
/** Nothing moved for this long, with only waiting devices left: the run is stuck. */
const STALL_MS = 15_000;

/** One confirmed update, on the benchmark's monotonic clock (ms). */
export interface UpdateTiming {
  readonly deviceId: string;
  /** The check that got the instruction began. */
  readonly startedMs: number;
  /** Downloaded and installed: the reboot began. */
  readonly installedMs: number;
  /** Booted the new image, health-checked, confirmed and reported. */
  readonly confirmedMs: number;
}

/** A device whose update failed, with the refusal's code. */
export interface UpdateFailure {
  readonly deviceId: string;
  readonly code: string;
  readonly message?: string;
}

/** What a run did. */
export interface RolloutRun {
  readonly confirmed: readonly UpdateTiming[];
  readonly failed: readonly UpdateFailure[];
  /** Devices still waiting for their stage when the run ended (0 unless the campaign stopped or stuck). */
  readonly waiting: readonly string[];
  /** Checks that found no instruction (the device's stage had not opened). */
  readonly emptyChecks: number;
  /** How the campaign stood at the end. */
  readonly campaign: CampaignView;
}

/** Options of runRollout. */
export interface RolloutRunOptions {
  readonly concurrency: number;
  /** Reads the campaign at the gateway. */
  readonly campaign: () => Promise<CampaignView>;
  readonly onProgress?: (done: number, updating: number, waiting: number) => void;
}

/** The error's stable code; ERR_UPDATE_FAILED (the update agent's own for the unexpected) without one. */
const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : new UpdateFailedError('unexpected').code;
};

/** Runs the campaign's devices (see the file comment). */
export async function runRollout(devices: readonly UpdateDevice[], options: RolloutRunOptions): Promise<RolloutRun> {
  const queue: UpdateDevice[] = [...devices];
  let waiting: { readonly device: UpdateDevice; readonly stage: number }[] = [];
  const confirmed: UpdateTiming[] = [];
  const failed: UpdateFailure[] = [];
  const running = new Set<Promise<void>>();
  let campaign: CampaignView = { status: 'running', stage: 0 };
  let emptyChecks = 0;
  let finishedSinceLook = false;
  let movedAt = performance.now();

  const fail = (device: UpdateDevice, code: string, message?: string): void => {
    failed.push({ deviceId: device.deviceId, code, ...(message === undefined ? {} : { message }) });
    device.disconnect();
  };
  const update = async (device: UpdateDevice): Promise<void> => {
    const stageSeen = campaign.stage;
    const startedMs = performance.now();
    let finished = true;
    try {
      const outcome = await device.check();
      if (outcome.kind === 'none') {
        finished = false;
        emptyChecks += 1;
        device.disconnect();
        waiting.push({ device, stage: stageSeen });
        return;
      }
      if (outcome.kind === 'refused') return fail(device, outcome.code);
      const installedMs = performance.now();
      const result = await device.reboot();
      if (result.kind === 'confirmed') confirmed.push({ deviceId: device.deviceId, startedMs, installedMs, confirmedMs: performance.now() });
      else fail(device, result.code);
    } catch (error) {
      fail(device, codeOf(error), (error as Error).message);
    } finally {
      if (finished) finishedSinceLook = true;
    }
  };
  const look = async (): Promise<void> => {
    campaign = await options.campaign();
    const { stage } = campaign;
    queue.push(...waiting.filter((w) => w.stage < stage).map((w) => w.device));
    waiting = waiting.filter((w) => w.stage >= stage);
  };

  for (;;) {
    while (running.size < options.concurrency && queue.length > 0) {
      const task: Promise<void> = update(queue.shift()!).finally(() => running.delete(task));
      running.add(task);
    }
    if (running.size > 0) {
      await Promise.race(running);
      movedAt = performance.now();
      options.onProgress?.(confirmed.length + failed.length, running.size, waiting.length);
      if (finishedSinceLook && waiting.length > 0) {
        finishedSinceLook = false;
        await look();
      }
      continue;
    }
    if (waiting.length === 0) break;
    // Only waiting devices are left: look until their stage opens, the campaign stops, or it sticks.
    await look();
    if (queue.length > 0) continue;
    if (campaign.status !== 'running' || performance.now() - movedAt > STALL_MS) break;
    await sleep(LOOK_INTERVAL_MS);
  }
  return { confirmed, failed, waiting: waiting.map((w) => w.device.deviceId), emptyChecks, campaign: await options.campaign() };
}
