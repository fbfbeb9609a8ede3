/**
 * One thread's share of the benchmark fleet: a `Fleet` from its spec against the gateway's MQTT
 * port, and samples of what it did and cost (device counters summed, this thread's CPU clock, its
 * V8 heap, its event loop's busy time). The main thread hosts the fleet itself with one worker
 * setting; fleet-worker.ts wraps the same class in a worker thread for more.
 *
 * Flash commits are not fsynced (`durable: false`): the benchmark measures the simulation, not the
 * disk. Every device still writes its flash file; only the fsync per commit is skipped.
 */
import { Fleet, type FleetSpec, type Provisioner } from '@medsim/devices';
import { performance } from 'node:perf_hooks';
import { threadCpu, type ThreadCpuSample } from './thread-cpu.js';

/** Options of one thread's fleet. */
export interface FleetHostOptions {
  readonly spec: FleetSpec;
  /** Each device gets `dataDir/<deviceId>` (keystore and flash). */
  readonly dataDir: string;
  readonly mqttPort: number;
  readonly provisioner: Provisioner;
  /** Devices coming up at once (powered on, enrolling or connecting, not yet online). */
  readonly concurrency: number;
}

/** What one thread's fleet did and cost so far (cumulative values: the caller takes differences). */
export interface HostSample {
  readonly devices: number;
  readonly online: number;
  /** Sums of the devices' counters. */
  readonly produced: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly reconnects: number;
  /** Messages waiting in the devices' flash now. */
  readonly queued: number;
  /** Device 'error' events, and the first one's message. */
  readonly errors: number;
  readonly firstError?: string;
  readonly cpu: ThreadCpuSample;
  /** This thread's V8 heap (per isolate; RSS is per process and measured by the main thread). */
  readonly heapUsedBytes: number;
  /** Event-loop busy and idle milliseconds since the thread started. */
  readonly loopActiveMs: number;
  readonly loopIdleMs: number;
  /**
   * The hosting process's RSS and CPU seconds (user + system): the fleet's own when each worker is
   * a process; shared by every thread of the process otherwise (then the main thread measures them).
   */
  readonly processRssBytes: number;
  readonly processCpuSeconds: number;
}

/**
 * 10 s: how long a device may take to come online before its slot goes to the next device anyway
 * (it keeps retrying with the runtime's back-off).
 */
const ONLINE_WAIT_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One thread's fleet. */
export class FleetHost {
  readonly #o: FleetHostOptions;
  #fleet: Fleet | undefined;
  #errors = 0;
  #firstError: string | undefined;

  constructor(options: FleetHostOptions) {
    this.#o = options;
  }

  /**
   * Builds the fleet and brings it up with at most `concurrency` devices coming up at once: a
   * device holds its slot from power-on (keystore, enrolment) until it is online (TLS, session),
   * or 10 s. Fleet.start() powers devices on without waiting for their links, and on 2 cores that
   * let a thousand TLS handshakes queue at the gateway past mqtt.js's 10 s CONNACK timeout, every
   * retry adding another handshake (measured: 2,600 CONNACK timeouts in 10 s at 1,000 devices
   * over 2 workers). Resolves with the seconds until the last device was powered on.
   */
  async start(): Promise<number> {
    const began = performance.now();
    const fleet = new Fleet({
      spec: this.#o.spec,
      dataDir: this.#o.dataDir,
      provisioner: this.#o.provisioner,
      links: { mqtt: { host: '127.0.0.1', port: this.#o.mqttPort } },
      durable: false,
    });
    this.#fleet = fleet;
    for (const device of fleet.devices) {
      device.on('error', (error) => {
        this.#errors += 1;
        this.#firstError ??= `${device.deviceId}: ${error.message}`;
      });
    }
    await fleet.openNetworks();
    const devices = fleet.devices;
    let next = 0;
    let poweredOn = began;
    const slot = async (): Promise<void> => {
      while (next < devices.length) {
        const device = devices[next]!;
        next += 1;
        await fleet.startDevice(device.deviceId);
        poweredOn = performance.now();
        const until = poweredOn + ONLINE_WAIT_MS;
        while (device.state !== 'online' && performance.now() < until) await sleep(20);
      }
    };
    await Promise.all(Array.from({ length: this.#o.concurrency }, slot));
    return (poweredOn - began) / 1000;
  }

  /** The counters, CPU, heap and loop time now. */
  sample(): HostSample {
    const totals = { devices: 0, online: 0, produced: 0, delivered: 0, dropped: 0, reconnects: 0, queued: 0 };
    for (const device of this.#fleet?.devices ?? []) {
      totals.devices += 1;
      if (device.state === 'online') totals.online += 1;
      totals.produced += device.counters.produced;
      totals.delivered += device.counters.delivered;
      totals.dropped += device.counters.dropped;
      totals.reconnects += device.counters.reconnects;
      totals.queued += device.state === 'off' ? 0 : device.queued;
    }
    const loop = performance.eventLoopUtilization();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      ...totals,
      errors: this.#errors,
      ...(this.#firstError === undefined ? {} : { firstError: this.#firstError }),
      cpu: threadCpu(),
      heapUsedBytes: memory.heapUsed,
      loopActiveMs: loop.active,
      loopIdleMs: loop.idle,
      processRssBytes: memory.rss,
      processCpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  }

  /** Powers every device off (flash and keystores stay in dataDir; the caller removes it). */
  async stop(): Promise<void> {
    await this.#fleet?.stop();
  }
}
