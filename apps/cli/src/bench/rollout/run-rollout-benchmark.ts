/**
 * The rollout benchmark (`medsim bench rollout`, issue 5: "rollout of 1,000 devices: time and
 * bytes moved"). A gateway runs in a child process (gateway-process.ts); this process holds the
 * release team, the operators and the devices:
 *
 * 1. the release is signed offline, its root listing the gateway's online keys (release.ts);
 * 2. N lean update devices are made, enrolled through the gateway's registry with their own keys,
 *    provisioned with the factory image and booted (update-device.ts);
 * 3. a technician publishes the release and creates a campaign over every device, an admin
 *    approves it with a fresh TOTP code, all over the HTTPS API (operators.ts);
 * 4. from the approval, the devices update, at most `concurrency` at once (rollout-scheduler.ts),
 *    until the last one confirmed.
 *
 * Measured: wall time from the approval to the last confirm, devices per minute, time per device,
 * time per stage, bytes moved as the devices counted them (traffic-meter.ts), CPU of both
 * processes. Bytes are counted on the devices' side, so where the gateway runs changes nothing in
 * them; it runs in a process of its own so that its work and the devices' do not share one core
 * (and each process's CPU clock is its own).
 */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MODEL_SLOT_BYTES } from '@medsim/devices';
import { CAMPAIGN_LIMITS, type CampaignStatus } from '@medsim/gateway';
import { RolloutGatewayChild } from './gateway-child.js';
import type { CampaignDeviceView } from './gateway-process.js';
import { publishAndApprove } from './operators.js';
import { signRelease } from './release.js';
import { runRollout, type RolloutRun, type UpdateFailure } from './rollout-scheduler.js';
import { TrafficMeter, type TrafficTotals } from './traffic-meter.js';
import { UpdateDevice } from './update-device.js';

/** Every device of the run is an ultrasound-class device: its slots hold the 64 MiB image. */
const MODEL = 'ultrasound';
const KIB = 1024;
/** Disk a device needs beside its two images: keys, TUF metadata, boot state, fuses, agent state. */
const DEVICE_OVERHEAD_BYTES = 256 * KIB;

/** Limits of the benchmark's settings. */
export const ROLLOUT_LIMITS = {
  /**
   * Each device keeps four flash files open (two slots, boot state, fuses): 4,000 devices (16,000
   * descriptors) and 500 updating ones (at most four connections each: 2,000) stay under this
   * machine's 20,000 descriptors a process.
   */
  maxDevices: 4_000,
  /** Image payload: 64 MiB, the verification benchmark image. */
  maxImageKiB: 64 * KIB,
  /** See maxDevices. */
  maxConcurrency: 500,
} as const;

/** Settings of the rollout benchmark. */
export interface RolloutBenchOptions {
  /** Devices in the campaign (default 1,000). */
  readonly devices?: number;
  /** Image payload size, KiB (default 1,024). */
  readonly imageKiB?: number;
  /** Devices updating at once (default 32). */
  readonly concurrency?: number;
  /** The campaign's stages: increasing percentages ending at 100 (default [100]: one stage). */
  readonly stages?: readonly number[];
  readonly onProgress?: (stage: string) => void;
}

/** One stage of the campaign. */
export interface RolloutStage {
  readonly percent: number;
  /** Devices first offered the update in this stage. */
  readonly devices: number;
  readonly confirmed: number;
  /** From the previous stage's last confirm (the approval for the first) to this one's; null if none confirmed. */
  readonly seconds: number | null;
  /** From the approval to this stage's last confirm. */
  readonly endSeconds: number | null;
}

/** The benchmark's result (also what `--json` prints). */
export interface RolloutBenchResult {
  readonly settings: {
    readonly devices: number;
    readonly imageKiB: number;
    /** Bytes of the whole update image (header, payload, TLVs). */
    readonly imageBytes: number;
    readonly concurrency: number;
    readonly stages: readonly number[];
    readonly model: string;
    /** Always false: simulated flash is not fsynced (see update-device.ts). */
    readonly flashFsync: false;
  };
  readonly machine: { readonly node: string; readonly cores: number; readonly cpu: string };
  /** Making, enrolling, provisioning and booting every device, before the campaign. */
  readonly setup: { readonly seconds: number };
  readonly rollout: {
    /** From the approval to the last confirm (to the end of the run when none confirmed). */
    readonly seconds: number;
    readonly devicesPerMinute: number;
    readonly confirmed: number;
    readonly failed: number;
    /** Devices never offered an update before the run ended (0 unless the campaign stopped). */
    readonly waiting: number;
    /** Checks that found no instruction because the device's stage had not opened. */
    readonly emptyChecks: number;
    /** Devices whose bootloader runs the new version with the raised security counter afterwards. */
    readonly runningNewVersion: number;
    readonly campaignStatus: CampaignStatus;
    readonly firstFailure?: UpdateFailure;
  };
  /** Seconds per device: from the check that got the instruction to the confirm. */
  readonly perDevice: {
    readonly p50Seconds: number;
    readonly p95Seconds: number;
    readonly maxSeconds: number;
    /** Median of the check (instruction, metadata, download, install). */
    readonly downloadInstallP50Seconds: number;
    /** Median of the reboot, trial boot, health check and confirm. */
    readonly rebootConfirmP50Seconds: number;
  };
  readonly stages: readonly RolloutStage[];
  readonly bytes: TrafficTotals & {
    /** Image, metadata, instructions and reports, per device. */
    readonly payloadPerDevice: number;
    /** TCP bytes both ways, per device. */
    readonly wirePerDevice: number;
    /** payloadPerDevice / imageBytes. */
    readonly payloadOverhead: number;
    /** wirePerDevice / imageBytes. */
    readonly wireOverhead: number;
  };
  readonly cpu: {
    /** CPU seconds of this process (the devices) from the approval to the end. */
    readonly devicesSeconds: number;
    /** Share of that time this process's event loop was busy, 0..1. */
    readonly devicesLoopBusy: number;
    /** CPU seconds of the gateway process over the same span. */
    readonly gatewaySeconds: number;
    readonly gatewayRssBytes: number;
  };
  readonly notes: readonly string[];
}

/** Runs `work(0..count-1)`, `concurrency` at a time; rejects with the first error once all settled. */
async function inPool(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < count) {
      const index = next;
      next += 1;
      try {
        await work(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure !== undefined) throw failure.error;
}

/** The nearest-rank `q` quantile of `values` (0 when empty). */
function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** The settings with their defaults. */
export type RolloutSettings = Required<Omit<RolloutBenchOptions, 'onProgress'>>;

/**
 * Applies the defaults and checks the settings against ROLLOUT_LIMITS, the gateway's stage rule
 * and the free disk in the temp directory (every device keeps two images); throws RangeError.
 */
export function rolloutSettings(options: RolloutBenchOptions): RolloutSettings {
  const s = { devices: options.devices ?? 1000, imageKiB: options.imageKiB ?? 1024, concurrency: options.concurrency ?? 32, stages: options.stages ?? [100] };
  const whole = (value: number, max: number): boolean => Number.isInteger(value) && value >= 1 && value <= max;
  if (!whole(s.devices, ROLLOUT_LIMITS.maxDevices)) throw new RangeError(`devices must be a whole number from 1 to ${ROLLOUT_LIMITS.maxDevices}`);
  if (!whole(s.imageKiB, ROLLOUT_LIMITS.maxImageKiB)) throw new RangeError(`image KiB must be a whole number from 1 to ${ROLLOUT_LIMITS.maxImageKiB}`);
  if (!whole(s.concurrency, ROLLOUT_LIMITS.maxConcurrency)) throw new RangeError(`concurrency must be a whole number from 1 to ${ROLLOUT_LIMITS.maxConcurrency}`);
  // The gateway's own rule (campaign-rules.ts checkStages), checked before anything starts.
  const stagesOk =
    s.stages.length >= 1 &&
    s.stages.length <= CAMPAIGN_LIMITS.maxStages &&
    s.stages.every((p, i) => Number.isInteger(p) && p >= 1 && p <= 100 && (i === 0 || p > s.stages[i - 1]!)) &&
    s.stages.at(-1) === 100;
  if (!stagesOk) throw new RangeError(`stages must be 1 to ${CAMPAIGN_LIMITS.maxStages} increasing whole percentages ending at 100`);
  const needed = s.devices * (2 * s.imageKiB * KIB + DEVICE_OVERHEAD_BYTES);
  const disk = statfsSync(tmpdir());
  const free = disk.bavail * disk.bsize;
  if (needed > free) throw new RangeError(`the devices need ${(needed / 2 ** 30).toFixed(1)} GiB in ${tmpdir()}, which has ${(free / 2 ** 30).toFixed(1)} GiB free`);
  return s;
}

/** Runs the rollout benchmark (see the file comment). */
export async function runRolloutBenchmark(options: RolloutBenchOptions = {}): Promise<RolloutBenchResult> {
  const { devices: devicesWanted, imageKiB, concurrency, stages } = rolloutSettings(options);
  const progress = options.onProgress ?? ((): void => undefined);

  progress('starting the gateway (child process)');
  const gateway = await RolloutGatewayChild.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'medsim-bench-rollout-'));
  const devices: UpdateDevice[] = [];
  try {
    progress('signing the release');
    const release = signRelease(MODEL, imageKiB * KIB, gateway.info.onlineKeys);
    const meter = new TrafficMeter();
    const factory = {
      model: MODEL,
      keyring: release.keyring,
      factoryImage: release.factory.image,
      trustedRoot: release.root,
      slotBytes: MODEL_SLOT_BYTES[MODEL],
      endpoint: { host: '127.0.0.1', port: gateway.info.firmwarePort },
      provisioner: gateway.enrol.bind(gateway),
      meter,
    };
    const setupBegan = performance.now();
    await inPool(devicesWanted, concurrency, async (index) => {
      const deviceId = `rollout-${String(index + 1).padStart(5, '0')}`;
      devices.push(await UpdateDevice.manufacture(deviceId, join(dataDir, deviceId), factory));
      progress(`making and enrolling devices: ${devices.length}/${devicesWanted}`);
    });
    const setupSeconds = (performance.now() - setupBegan) / 1000;

    progress('publishing the release; a technician creates the campaign, an admin approves it');
    const campaignId = await publishAndApprove(gateway.info, release, stages);
    const approvedMs = performance.now();
    const cpuBefore = process.cpuUsage();
    const loopBefore = performance.eventLoopUtilization();
    const gatewayBefore = gateway.sample();
    const run = await runRollout(devices, {
      concurrency,
      campaign: () => gateway.campaign(campaignId),
      onProgress: (done, updating, waiting) => progress(`updating: ${done}/${devicesWanted} finished, ${updating} updating, ${waiting} waiting for their stage`),
    });
    const endMs = performance.now();
    const cpu = process.cpuUsage(cpuBefore);
    const loop = performance.eventLoopUtilization(loopBefore);
    const gatewayStart = await gatewayBefore;
    const gatewayEnd = await gateway.sample();
    const offered = await gateway.campaignDevices(campaignId);
    const runningNew = devices.filter((d) => d.running.version === release.update.version && d.running.securityCounter === release.update.securityCounter).length;
    return result({
      settings: { devices: devicesWanted, imageKiB, imageBytes: release.update.image.length, concurrency, stages, model: MODEL, flashFsync: false },
      setupSeconds,
      approvedMs,
      endMs,
      run,
      offered,
      runningNew,
      traffic: meter.totals(),
      cpu: {
        devicesSeconds: (cpu.user + cpu.system) / 1e6,
        devicesLoopBusy: loop.utilization,
        gatewaySeconds: gatewayEnd.cpuSeconds - gatewayStart.cpuSeconds,
        gatewayRssBytes: gatewayEnd.rssBytes,
      },
    });
  } finally {
    progress('closing');
    for (const device of devices) device.close();
    await gateway.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Measured {
  readonly settings: RolloutBenchResult['settings'];
  readonly setupSeconds: number;
  readonly approvedMs: number;
  readonly endMs: number;
  readonly run: RolloutRun;
  readonly offered: readonly CampaignDeviceView[];
  readonly runningNew: number;
  readonly traffic: TrafficTotals;
  readonly cpu: RolloutBenchResult['cpu'];
}

function result(m: Measured): RolloutBenchResult {
  const { settings, run, traffic } = m;
  const seconds = (ms: number): number => ms / 1000;
  const lastConfirmMs = run.confirmed.length === 0 ? m.endMs : Math.max(...run.confirmed.map((t) => t.confirmedMs));
  const wallSeconds = seconds(lastConfirmMs - m.approvedMs);
  const totals = run.confirmed.map((t) => seconds(t.confirmedMs - t.startedMs));
  const confirmedAt = new Map(run.confirmed.map((t) => [t.deviceId, t.confirmedMs]));
  let previousEndMs = m.approvedMs;
  const stages = settings.stages.map((percent, index): RolloutStage => {
    const inStage = m.offered.filter((d) => d.stage === index);
    const ends = inStage.flatMap((d) => confirmedAt.get(d.deviceId) ?? []);
    if (ends.length === 0) return { percent, devices: inStage.length, confirmed: 0, seconds: null, endSeconds: null };
    const endMs = Math.max(...ends);
    const stage = { percent, devices: inStage.length, confirmed: ends.length, seconds: seconds(endMs - previousEndMs), endSeconds: seconds(endMs - m.approvedMs) };
    previousEndMs = endMs;
    return stage;
  });
  const payload = traffic.image.bytes + traffic.metadata.bytes + traffic.instructions.bytes + traffic.reports.bytes;
  const wire = traffic.wire.bytesIn + traffic.wire.bytesOut;
  const firstFailure = run.failed[0];
  return {
    settings,
    machine: { node: process.version, cores: cpus().length, cpu: cpus()[0]?.model.trim() ?? 'unknown' },
    setup: { seconds: m.setupSeconds },
    rollout: {
      seconds: wallSeconds,
      devicesPerMinute: wallSeconds > 0 ? run.confirmed.length / (wallSeconds / 60) : 0,
      confirmed: run.confirmed.length,
      failed: run.failed.length,
      waiting: run.waiting.length,
      emptyChecks: run.emptyChecks,
      runningNewVersion: m.runningNew,
      campaignStatus: run.campaign.status,
      ...(firstFailure === undefined ? {} : { firstFailure }),
    },
    perDevice: {
      p50Seconds: quantile(totals, 0.5),
      p95Seconds: quantile(totals, 0.95),
      maxSeconds: quantile(totals, 1),
      downloadInstallP50Seconds: quantile(run.confirmed.map((t) => seconds(t.installedMs - t.startedMs)), 0.5),
      rebootConfirmP50Seconds: quantile(run.confirmed.map((t) => seconds(t.confirmedMs - t.installedMs)), 0.5),
    },
    stages,
    bytes: {
      ...traffic,
      payloadPerDevice: payload / settings.devices,
      wirePerDevice: wire / settings.devices,
      payloadOverhead: payload / settings.devices / settings.imageBytes,
      wireOverhead: wire / settings.devices / settings.imageBytes,
    },
    cpu: m.cpu,
    notes: [
      'each device is a real update stack (keystore and mTLS certificate from enrolment, bootloader on files, TUF client over HTTPS, update agent, director channel) without MQTT or physiology',
      'time per device runs from the check that got the instruction to the confirm; every updating device shares this process\'s one event loop, so it includes waiting for it',
      'devices whose stage has not opened check again when it opens (as on a push); real devices poll on a timer, which adds up to one interval per stage',
      'bytes are counted by the devices: payload where the update stack consumes it, wire as the TCP bytes of the update connections both ways (TLS and HTTP included); enrolment and the operators\' API calls are not counted',
      'flash fsync off: every simulated device\'s flash is a file on this machine\'s one disk, written from one thread; the update agent\'s state file is still fsynced',
      'the gateway runs in its own process (its CPU is measured apart); its store commits and audits every report',
    ],
  };
}
