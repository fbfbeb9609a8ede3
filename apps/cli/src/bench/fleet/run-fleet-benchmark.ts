/**
 * The fleet benchmark (`medsim bench fleet`, issue 4: "One process holds at least 1,000 devices;
 * worker threads or processes take it to 10,000. A benchmark prints readings/s generated, CPU and
 * resident memory per device."). A gateway runs in a child process; the fleet runs in this process,
 * in the main thread (one worker, the default) or split over W worker threads, or over W child
 * processes (`isolation: 'process'`), each with its own Fleet against the same gateway. Every device
 * reports once a second over MQTT (or every `reportMs`).
 *
 * Processes are how the fleet reaches 10,000 devices here: a device holds two file descriptors
 * (its flash file, its socket), and this machine's hard limit is 20,000 per process.
 *
 * Timeline: gateway up; fleet threads up and idle (RSS and heap baselines); every device powered
 * on and enrolled (start time), then online (TLS and HPKE session done); a measuring window of
 * `durationS` between two samples; stop. Rates and CPU come from the differences over the window;
 * memory is the growth from the idle baseline to the window's end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { FLEET_MAX_DEVICES, type DeviceModelName } from '@medsim/devices';
import { FleetHost, type HostSample } from './fleet-host.js';
import { MONITORING_MODELS, shares, threadSpec } from './fleet-plan.js';
import { GatewayChild } from './gateway-child.js';
import type { GatewaySample } from './gateway-process.js';
import type { FleetWorkerData, FleetWorkerReply, FleetWorkerRequest } from './fleet-worker.js';
import type { ThreadCpuMethod } from './thread-cpu.js';

/** Settings of the fleet benchmark. */
export interface FleetBenchOptions {
  /** Devices in all (default 1,000; at most FLEET_MAX_DEVICES). */
  readonly devices?: number;
  /** 1: the fleet in the main thread; W > 1: split over W worker threads (default 1). */
  readonly workers?: number;
  /**
   * What a worker is: 'thread' (default) or 'process' (a forked child process, even with one
   * worker: its own RSS, CPU clock and file-descriptor limit).
   */
  readonly isolation?: 'thread' | 'process';
  /** Seconds of the measuring window (default 20). */
  readonly durationS?: number;
  /** Models in equal shares (default: the six monitoring models). */
  readonly models?: readonly DeviceModelName[];
  /** Each device reports every this many ms (default 1,000: every model's cycle is scaled to it). */
  readonly reportMs?: number;
  /** Devices each thread brings up at once, from power-on to online (default 32). */
  readonly concurrency?: number;
  readonly onProgress?: (stage: string) => void;
}

/** One fleet thread over the window. */
export interface FleetThreadResult {
  readonly thread: string;
  readonly devices: number;
  readonly online: number;
  readonly cpuSeconds: number;
  /** Share of the window its event loop was busy, 0..1. */
  readonly loopBusy: number;
  /** V8 heap growth of this thread from idle to the window's end, bytes. */
  readonly heapUsedGrowthBytes: number;
}

/** The benchmark's result (also what `--json` prints). */
export interface FleetBenchResult {
  readonly settings: {
    readonly devices: number;
    readonly workers: number;
    readonly isolation: 'thread' | 'process';
    readonly durationS: number;
    readonly models: readonly DeviceModelName[];
    readonly reportMs: number;
    readonly concurrency: number;
    readonly transport: 'mqtt';
    /** Always false: flash commits are not fsynced (the simulation is measured, not the disk). */
    readonly flashFsync: false;
  };
  readonly machine: { readonly node: string; readonly cores: number; readonly cpu: string };
  readonly start: {
    readonly devices: number;
    /** Devices online (TLS and session up) when the window opened. */
    readonly online: number;
    /** Seconds until every device was powered on and enrolled. */
    readonly startSeconds: number;
    /** Seconds until every device was online (null: not all were, within the timeout). */
    readonly onlineSeconds: number | null;
  };
  readonly window: { readonly seconds: number };
  readonly readings: {
    /** Messages the devices produced in the window (counters.produced: readings, waveform frames, status, alarms). */
    readonly produced: number;
    /** Messages the gateway acknowledged after its durable commit (counters.delivered). */
    readonly delivered: number;
    readonly producedPerSecond: number;
    readonly deliveredPerSecond: number;
    readonly dropped: number;
    readonly reconnects: number;
    /** Messages waiting in the devices' flash at the window's end. */
    readonly queuedAtEnd: number;
    readonly deviceErrors: number;
    readonly firstDeviceError?: string;
  };
  readonly cpu: {
    readonly method: ThreadCpuMethod;
    /** CPU seconds of the fleet threads (main thread with one worker, else the workers) in the window. */
    readonly fleetThreadsSeconds: number;
    /**
     * CPU seconds of the whole fleet process (fleet threads, main thread, GC and libuv helper
     * threads); with worker processes, of all of them together.
     */
    readonly processSeconds: number;
    readonly fleetThreadsSecondsPerDevicePerMinute: number;
    readonly processSecondsPerDevicePerMinute: number;
  };
  readonly memory: {
    /**
     * RSS of the fleet process with its threads up and idle, before any device existed (with
     * worker processes: their RSS summed, here and at the end).
     */
    readonly rssIdleBytes: number;
    readonly rssEndBytes: number;
    readonly rssPerDeviceBytes: number;
    /** V8 heap growth summed over the fleet threads, per device. */
    readonly heapUsedPerDeviceBytes: number;
    /**
     * RSS the idle worker threads added (0 with one worker in the main thread); with worker
     * processes, their idle RSS summed (each a whole Node.js process).
     */
    readonly workerThreadsIdleBytes: number;
  };
  readonly gateway: {
    /** Readings the gateway committed in the window, and in all. */
    readonly storedInWindow: number;
    readonly storedPerSecond: number;
    readonly storedTotal: number;
    readonly duplicates: number;
    readonly refused: number;
    readonly commits: number;
    /** CPU seconds of the gateway process in the window. */
    readonly cpuSeconds: number;
    readonly rssBytes: number;
  };
  readonly threads: readonly FleetThreadResult[];
  readonly notes: readonly string[];
}

/** A fleet thread as the main thread drives it. */
interface HostHandle {
  readonly name: string;
  start(): Promise<number>;
  sample(): Promise<HostSample>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

function localHost(host: FleetHost): HostHandle {
  return { name: 'main', start: () => host.start(), sample: () => Promise.resolve(host.sample()), stop: () => host.stop(), close: () => Promise.resolve() };
}

/** A fleet worker of either kind, as workerHost talks to it. */
interface WorkerEnd {
  post(message: FleetWorkerRequest): void;
  onMessage(listener: (reply: FleetWorkerReply) => void): void;
  onError(listener: (error: Error) => void): void;
  onExit(listener: (code: number | null) => void): void;
  /** Ends the worker without firing the 'exit' listeners. */
  end(): Promise<void>;
}

function threadWorker(data: FleetWorkerData): WorkerEnd {
  const worker = new Worker(new URL('./fleet-worker.js', import.meta.url), { workerData: data });
  return {
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => void worker.on('message', listener),
    onError: (listener) => void worker.on('error', listener),
    onExit: (listener) => void worker.on('exit', listener),
    end: async () => {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}

function processWorker(data: FleetWorkerData): WorkerEnd {
  // Advanced (structured-clone) serialisation: enrolment answers carry nested JWK objects.
  const child = fork(fileURLToPath(new URL('./fleet-worker.js', import.meta.url)), [JSON.stringify(data)], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return {
    post: (message) => void child.send(message),
    onMessage: (listener) => void child.on('message', listener),
    onError: (listener) => void child.on('error', listener),
    onExit: (listener) => void child.on('exit', listener),
    end: async () => {
      child.removeAllListeners('exit');
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // The worker exits when its IPC channel closes; SIGKILL if it has not within 10 s.
      if (child.connected) child.disconnect();
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Spawns a fleet worker (a thread or a process); its enrolment requests go to `gateway`. */
async function workerHost(name: string, data: FleetWorkerData, isolation: 'thread' | 'process', gateway: GatewayChild): Promise<HostHandle> {
  const worker = isolation === 'thread' ? threadWorker(data) : processWorker(data);
  let waiting: { type: FleetWorkerReply['type']; resolve: (reply: FleetWorkerReply) => void; reject: (error: Error) => void } | undefined;
  let failure: Error | undefined;
  const fail = (error: Error): void => {
    failure ??= error;
    waiting?.reject(error);
    waiting = undefined;
  };
  const send = (message: FleetWorkerRequest): void => worker.post(message);
  worker.onError(fail);
  worker.onExit((code) => fail(new Error(`fleet worker ${name} exited (code ${code})`)));
  worker.onMessage((reply) => {
    if (reply.type === 'enrol') {
      gateway.enrol(reply.request).then(
        (answer) => send({ type: 'enrolled', id: reply.id, answer }),
        (error: unknown) => send({ type: 'enrol-failed', id: reply.id, message: (error as Error).message }),
      );
    } else if (reply.type === 'failed') {
      fail(new Error(`fleet worker ${name}: ${reply.message}`));
    } else if (waiting?.type === reply.type) {
      const w = waiting;
      waiting = undefined;
      w.resolve(reply);
    }
  });
  // One request at a time per worker: the main thread awaits each answer before the next.
  const ask = (message: FleetWorkerRequest | undefined, answer: FleetWorkerReply['type']): Promise<FleetWorkerReply> => {
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      waiting = { type: answer, resolve, reject };
      if (message !== undefined) send(message);
    });
  };
  await ask(undefined, 'ready');
  return {
    name,
    start: async () => ((await ask({ type: 'start' }, 'started')) as Extract<FleetWorkerReply, { type: 'started' }>).seconds,
    sample: async () => ((await ask({ type: 'sample' }, 'sample')) as Extract<FleetWorkerReply, { type: 'sample' }>).sample,
    stop: async () => void (await ask({ type: 'stop' }, 'stopped')),
    close: () => worker.end(),
  };
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Runs the fleet benchmark. */
export async function runFleetBenchmark(options: FleetBenchOptions = {}): Promise<FleetBenchResult> {
  const settings = {
    devices: options.devices ?? 1000,
    workers: options.workers ?? 1,
    isolation: options.isolation ?? 'thread',
    durationS: options.durationS ?? 20,
    models: options.models ?? MONITORING_MODELS,
    reportMs: options.reportMs ?? 1000,
    concurrency: options.concurrency ?? 32,
    transport: 'mqtt' as const,
    flashFsync: false as const,
  };
  if (!(Number.isInteger(settings.devices) && settings.devices >= 1 && settings.devices <= FLEET_MAX_DEVICES)) {
    throw new RangeError(`devices must be a whole number from 1 to ${FLEET_MAX_DEVICES}`);
  }
  if (!(Number.isInteger(settings.workers) && settings.workers >= 1 && settings.workers <= settings.devices)) throw new RangeError('workers must be a whole number from 1 to the number of devices');
  const progress = options.onProgress ?? ((): void => undefined);

  progress('starting the gateway (child process)');
  const gateway = await GatewayChild.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'medsim-bench-fleet-'));
  const hosts: HostHandle[] = [];
  try {
    const rssBeforeThreads = process.memoryUsage().rss;
    const split = shares(settings.devices, settings.workers);
    if (settings.workers === 1 && settings.isolation === 'thread') {
      const spec = threadSpec(settings.models, settings.devices, 0, settings.reportMs);
      hosts.push(localHost(new FleetHost({ spec, dataDir, mqttPort: gateway.mqttPort, concurrency: settings.concurrency, provisioner: (request) => gateway.enrol(request) })));
    } else {
      progress(`starting ${settings.workers} fleet worker ${settings.isolation === 'thread' ? 'threads' : 'processes'}`);
      hosts.push(
        ...(await Promise.all(
          split.map((devices, i) =>
            workerHost(
              `${settings.isolation === 'thread' ? 'thread' : 'process'} ${i + 1}`,
              { spec: threadSpec(settings.models, devices, i, settings.reportMs), dataDir, mqttPort: gateway.mqttPort, concurrency: settings.concurrency },
              settings.isolation,
              gateway,
            ),
          ),
        )),
      );
    }
    const idle = await Promise.all(hosts.map((h) => h.sample()));
    const rssIdle = process.memoryUsage().rss;

    progress(`powering on and enrolling ${settings.devices} devices`);
    const began = performance.now();
    const startSeconds = Math.max(...(await Promise.all(hosts.map((h) => h.start()))));
    // Online = TLS up and the HPKE session accepted; allow 30 ms a device beyond a minute.
    progress(`waiting for ${settings.devices} devices to come online`);
    const onlineBy = performance.now() + 60_000 + 30 * settings.devices;
    let onlineSeconds: number | null = null;
    for (;;) {
      const online = sum((await Promise.all(hosts.map((h) => h.sample()))).map((s) => s.online));
      if (online === settings.devices) {
        onlineSeconds = (performance.now() - began) / 1000;
        break;
      }
      if (performance.now() > onlineBy) break;
      progress(`waiting for devices to come online: ${online}/${settings.devices}`);
      await sleep(250);
    }

    const first = await Promise.all(hosts.map((h) => h.sample()));
    const gatewayFirst = await gateway.sample();
    const cpuFirst = process.cpuUsage();
    const windowBegan = performance.now();
    for (let s = 0; s < settings.durationS; s += 1) {
      progress(`measuring: ${s}/${settings.durationS} s`);
      await sleep(Math.max(0, windowBegan + (s + 1) * 1000 - performance.now()));
    }
    const last = await Promise.all(hosts.map((h) => h.sample()));
    const cpuLast = process.cpuUsage();
    const windowSeconds = (performance.now() - windowBegan) / 1000;
    const gatewayLast = await gateway.sample();
    const rssEnd = process.memoryUsage().rss;

    progress('stopping the fleet');
    await Promise.all(hosts.map((h) => h.stop()));
    return result(settings, { startSeconds, onlineSeconds, windowSeconds, idle, first, last, gatewayFirst, gatewayLast, rssBeforeThreads, rssIdle, rssEnd, cpuFirst, cpuLast, names: hosts.map((h) => h.name) });
  } finally {
    progress('closing');
    await Promise.all(hosts.map((h) => h.close()));
    await gateway.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Measured {
  readonly startSeconds: number;
  readonly onlineSeconds: number | null;
  readonly windowSeconds: number;
  readonly idle: readonly HostSample[];
  readonly first: readonly HostSample[];
  readonly last: readonly HostSample[];
  readonly gatewayFirst: GatewaySample;
  readonly gatewayLast: GatewaySample;
  readonly rssBeforeThreads: number;
  readonly rssIdle: number;
  readonly rssEnd: number;
  readonly cpuFirst: NodeJS.CpuUsage;
  readonly cpuLast: NodeJS.CpuUsage;
  readonly names: readonly string[];
}

function result(settings: FleetBenchResult['settings'], m: Measured): FleetBenchResult {
  const devices = settings.devices;
  const delta = (pick: (s: HostSample) => number): number => sum(m.last.map(pick)) - sum(m.first.map(pick));
  const minutes = m.windowSeconds / 60;
  const fleetCpu = sum(m.last.map((s, i) => s.cpu.seconds - m.first[i]!.cpu.seconds));
  const processes = settings.isolation === 'process';
  // With worker processes, the fleet's process figures are theirs, summed (the main thread only
  // relays enrolments, before the window).
  const processCpu = processes
    ? sum(m.last.map((s, i) => s.processCpuSeconds - m.first[i]!.processCpuSeconds))
    : (m.cpuLast.user + m.cpuLast.system - m.cpuFirst.user - m.cpuFirst.system) / 1e6;
  const rssIdle = processes ? sum(m.idle.map((s) => s.processRssBytes)) : m.rssIdle;
  const rssEnd = processes ? sum(m.last.map((s) => s.processRssBytes)) : m.rssEnd;
  const heapGrowth = sum(m.last.map((s, i) => s.heapUsedBytes - m.idle[i]!.heapUsedBytes));
  const firstError = m.last.find((s) => s.firstError !== undefined)?.firstError;
  const method = m.last[0]!.cpu.method;
  const notes = [
    'readings = every message a device produced (vital-sign readings, the patient monitor\'s ECG frames, status reports, alarms), each sealed and queued in its flash',
    'flash fsync off (durable: false): the benchmark measures the simulation, not the disk; every device still writes its flash file, without an fsync per commit',
    'MQTT only: BLE devices need the gateway\'s virtual radio in the gateway\'s own process, and here the gateway runs in a child process',
    processes
      ? 'the gateway and each fleet worker run in their own processes: the fleet\'s RSS and CPU are the workers\' own, summed'
      : 'the gateway runs in its own process, so the fleet process\'s RSS and CPU are the fleet\'s alone',
    method === 'event-loop'
      ? 'thread CPU estimated from event-loop busy time (no per-thread CPU clock on this platform; Node 20 process.cpuUsage() is per process)'
      : `thread CPU from /proc/thread-self/${method} (Node 20 process.cpuUsage() is per process, also inside a worker)`,
  ];
  return {
    settings,
    machine: { node: process.version, cores: cpus().length, cpu: cpus()[0]?.model.trim() ?? 'unknown' },
    start: { devices: sum(m.last.map((s) => s.devices)), online: sum(m.first.map((s) => s.online)), startSeconds: m.startSeconds, onlineSeconds: m.onlineSeconds },
    window: { seconds: m.windowSeconds },
    readings: {
      produced: delta((s) => s.produced),
      delivered: delta((s) => s.delivered),
      producedPerSecond: delta((s) => s.produced) / m.windowSeconds,
      deliveredPerSecond: delta((s) => s.delivered) / m.windowSeconds,
      dropped: delta((s) => s.dropped),
      reconnects: delta((s) => s.reconnects),
      queuedAtEnd: sum(m.last.map((s) => s.queued)),
      deviceErrors: sum(m.last.map((s) => s.errors)),
      ...(firstError === undefined ? {} : { firstDeviceError: firstError }),
    },
    cpu: {
      method,
      fleetThreadsSeconds: fleetCpu,
      processSeconds: processCpu,
      fleetThreadsSecondsPerDevicePerMinute: fleetCpu / devices / minutes,
      processSecondsPerDevicePerMinute: processCpu / devices / minutes,
    },
    memory: {
      rssIdleBytes: rssIdle,
      rssEndBytes: rssEnd,
      rssPerDeviceBytes: (rssEnd - rssIdle) / devices,
      heapUsedPerDeviceBytes: heapGrowth / devices,
      workerThreadsIdleBytes: processes ? rssIdle : settings.workers === 1 ? 0 : m.rssIdle - m.rssBeforeThreads,
    },
    gateway: {
      storedInWindow: m.gatewayLast.stored - m.gatewayFirst.stored,
      storedPerSecond: (m.gatewayLast.stored - m.gatewayFirst.stored) / m.windowSeconds,
      storedTotal: m.gatewayLast.stored,
      duplicates: m.gatewayLast.duplicates,
      refused: m.gatewayLast.refused,
      commits: m.gatewayLast.commits,
      cpuSeconds: m.gatewayLast.cpuSeconds - m.gatewayFirst.cpuSeconds,
      rssBytes: m.gatewayLast.rssBytes,
    },
    threads: m.last.map((s, i) => {
      const f = m.first[i]!;
      const active = s.loopActiveMs - f.loopActiveMs;
      const idle = s.loopIdleMs - f.loopIdleMs;
      return {
        thread: m.names[i]!,
        devices: s.devices,
        online: f.online,
        cpuSeconds: s.cpu.seconds - f.cpu.seconds,
        loopBusy: active + idle > 0 ? active / (active + idle) : 0,
        heapUsedGrowthBytes: s.heapUsedBytes - m.idle[i]!.heapUsedBytes,
      };
    }),
    notes,
  };
}
