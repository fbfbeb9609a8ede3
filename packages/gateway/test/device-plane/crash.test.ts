/**
 * kill -9 durability (attacks-and-faults F1, §3.7): the gateway runs in a child process and is
 * killed with SIGKILL at seeded random points while devices stream readings at QoS 1, each
 * device keeping every envelope until its PUBACK (store-and-forward). After each kill the
 * gateway restarts on the same data directory, the devices reconnect and resend exactly the
 * sealed bytes they still hold (the gateway resumes their sessions from the store). At the end
 * every reading must be in the database exactly once: 0 lost, 0 duplicated.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceClient, pulseOximeterReading, type DeviceCredentials } from '@medsim/testkit';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Gateway } from '../../src/index.js';
import { enrolDevice, startGateway, tempDataDir, waitFor } from '../fixtures.js';
import { Prng } from './helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE_DIR = join(HERE, '..', '..');
const SEED = Number(process.env.MEDSIM_CRASH_SEED ?? 0x6b696c6c);
/** Readings per device (3 devices: about 1,000 in all, to keep the run near 30 s on 2 cores). */
const READINGS = Number(process.env.MEDSIM_CRASH_READINGS ?? 350);
const KILLS = Number(process.env.MEDSIM_CRASH_KILLS ?? 4);
const DEVICES = 3;
/** Unacknowledged envelopes a device keeps in flight (well inside the 1,024-sequence replay window). */
const WINDOW = 16;
const BASE_TIME = Date.UTC(2026, 10, 28);

interface Child {
  readonly process: ChildProcess;
  readonly port: number;
  readonly exited: Promise<void>;
}

const children: ChildProcess[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Starts crash-gateway.ts on `dataDir`; resolves once it printed its port. */
function spawnGateway(dataDir: string): Promise<Child> {
  const child = spawn(process.execPath, ['--conditions=@medsim/source', '--import', 'tsx', join(HERE, 'crash-gateway.ts'), dataDir], {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`gateway child did not start in time: ${stderr}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) return;
      clearTimeout(timer);
      resolve({ process: child, port: (JSON.parse(line) as { mqttPort: number }).mqttPort, exited });
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`gateway child exited before listening (code ${child.exitCode}): ${stderr}`));
    });
  });
}

/** A device with store-and-forward: every envelope is kept until its PUBACK, and resent after a reconnect. */
class StreamingDevice {
  readonly credentials: DeviceCredentials;
  /** The connection whose session seals everything (sessions outlive connections and restarts). */
  sealer: DeviceClient | undefined;
  transport: DeviceClient | undefined;
  /** Sealed, not yet acknowledged: index → envelope bytes (the same bytes are resent). */
  readonly pending = new Map<number, Uint8Array>();
  readonly acked = new Set<number>();
  next = 0;
  resends = 0;
  #generation = 0;

  constructor(credentials: DeviceCredentials) {
    this.credentials = credentials;
  }

  get done(): boolean {
    return this.next >= READINGS && this.pending.size === 0;
  }

  /** Connects to the (re)started gateway and resends everything unacknowledged, oldest first. */
  async attach(port: number, onAck: () => void): Promise<void> {
    const transport = await DeviceClient.connect(this.credentials, { host: '127.0.0.1', port, timeoutMs: 10_000 });
    this.transport = transport;
    this.#generation += 1;
    if (this.sealer === undefined) {
      await transport.openSession();
      this.sealer = transport;
    }
    for (const index of [...this.pending.keys()].sort((a, b) => a - b)) {
      this.resends += 1;
      this.#send(index, onAck);
    }
    this.pump(onAck);
  }

  /** Drops the connection (the gateway died); unacknowledged envelopes stay pending. */
  detach(): void {
    this.#generation += 1;
    this.transport?.mqtt.end(true);
    this.transport = undefined;
  }

  /** Seals and sends new readings while the in-flight window has room. */
  pump(onAck: () => void): void {
    while (this.transport !== undefined && this.pending.size < WINDOW && this.next < READINGS) {
      const index = this.next;
      this.next += 1;
      this.pending.set(index, this.sealer!.sealReading(pulseOximeterReading(index, BASE_TIME)));
      this.#send(index, onAck);
    }
  }

  #send(index: number, onAck: () => void): void {
    const transport = this.transport!;
    const generation = this.#generation;
    transport.publish('telemetry', this.pending.get(index)!).then(
      () => {
        if (!this.pending.delete(index)) return;
        this.acked.add(index);
        onAck();
        if (generation === this.#generation) this.pump(onAck);
      },
      () => undefined, // the connection died: the envelope stays pending and is resent after reconnecting
    );
  }
}

describe('gateway kill -9 mid-stream (F1)', () => {
  it(`[CTL-16][F1] ${DEVICES} devices stream ${READINGS} readings each at QoS 1 through ${KILLS} SIGKILLs: 0 lost, 0 duplicated`, { tags: ['CTL-16', 'F1'] }, async () => {
    const prng = new Prng(SEED);
    const dir = tempDataDir();
    cleanups.push(dir.cleanup);

    // Enrol the devices (and their patients) in the data directory, then hand it to the child.
    const setup = await startGateway({ dataDir: dir.path });
    const credentials: DeviceCredentials[] = [];
    for (let d = 0; d < DEVICES; d += 1) {
      const patientId = `patient-crash-${d}`;
      setup.context.db
        .prepare('INSERT INTO patients (id, display_name_enc, created_at) VALUES (?, ?, ?)')
        .run(patientId, setup.context.dataKey.sealText('Crash Test', `patient|${patientId}`), Date.now());
      credentials.push(await enrolDevice(setup, `pulse-ox-09${String(d).padStart(2, '0')}`, 'pulse-oximeter', patientId));
    }
    await setup.close();

    const total = READINGS * DEVICES;
    // Kill points: distinct acknowledged-reading counts spread over the stream.
    const killAt = new Set<number>();
    while (killAt.size < KILLS) killAt.add(Math.floor(total * (0.05 + 0.9 * prng.next())));
    const killPoints = [...killAt].sort((a, b) => a - b);

    const devices = credentials.map((c) => new StreamingDevice(c));
    let ackCount = 0;
    let child = await spawnGateway(dir.path);
    let killRequested: (() => void) | undefined;
    const onAck = (): void => {
      ackCount += 1;
      if (killRequested !== undefined && ackCount >= killPoints[0]!) killRequested();
    };
    const restartMs: number[] = [];
    const recoveryMs: number[] = [];
    const inFlightAtKill: number[] = [];
    const startedAt = performance.now();

    await Promise.all(devices.map((d) => d.attach(child.port, onAck)));
    while (killPoints.length > 0) {
      await new Promise<void>((resolve) => {
        killRequested = resolve;
        if (ackCount >= killPoints[0]!) resolve();
      });
      killRequested = undefined;
      killPoints.shift();
      child.process.kill('SIGKILL');
      await child.exited;
      const killedAt = performance.now();
      const backlog = new Map(devices.map((d) => [d, new Set(d.pending.keys())]));
      inFlightAtKill.push([...backlog.values()].reduce((n, s) => n + s.size, 0));
      for (const d of devices) d.detach();
      child = await spawnGateway(dir.path);
      restartMs.push(performance.now() - killedAt);
      await Promise.all(devices.map((d) => d.attach(child.port, onAck)));
      // Recovery: every envelope that was unacknowledged at the kill is acknowledged.
      await waitFor(() => devices.every((d) => [...backlog.get(d)!].every((i) => d.acked.has(i))), 30_000, 'backlog drained');
      recoveryMs.push(performance.now() - killedAt);
    }
    await waitFor(() => devices.every((d) => d.done), 60_000, 'stream finished');
    const streamMs = performance.now() - startedAt;
    for (const d of devices) d.detach();
    child.process.kill('SIGKILL');
    await child.exited;

    // Verify on the data directory the child left behind (after the final SIGKILL too).
    const check: Gateway = await startGateway({ dataDir: dir.path });
    cleanups.push(() => check.close());
    let stored = 0;
    let lost = 0;
    let duplicated = 0;
    let notAcked = 0;
    for (const [d, device] of devices.entries()) {
      const seen = new Map<number, number>();
      let afterId = 0;
      for (;;) {
        const page = check.context.readings.forPatient(`patient-crash-${d}`, { afterId, limit: 1000 });
        if (page.length === 0) break;
        for (const reading of page) {
          const index = (Date.parse(reading.measuredAt) - BASE_TIME) / 1000;
          seen.set(index, (seen.get(index) ?? 0) + 1);
        }
        afterId = page.at(-1)!.id;
      }
      stored += [...seen.values()].reduce((n, c) => n + c, 0);
      duplicated += [...seen.values()].filter((c) => c > 1).length;
      for (let i = 0; i < READINGS; i += 1) {
        if (!seen.has(i)) lost += 1;
        if (!device.acked.has(i)) notAcked += 1;
      }
    }
    const resends = devices.reduce((n, d) => n + d.resends, 0);
    process.stdout.write(
      `FIGURE gateway.crash.kill9 kills=${KILLS} devices=${DEVICES} readings=${total} stored=${stored} lost=${lost} duplicated=${duplicated} ` +
        `in_flight_at_kill=${inFlightAtKill.join('/')} resent=${resends} restart_ms_max=${Math.max(...restartMs).toFixed(0)} ` +
        `recovery_ms_max=${Math.max(...recoveryMs).toFixed(0)} stream_ms=${streamMs.toFixed(0)} seed=0x${SEED.toString(16)}\n`,
    );
    expect(notAcked).toBe(0); // the devices finished: every reading was acknowledged at least once
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(stored).toBe(total);
    // The kills really landed mid-stream: envelopes were in flight each time and had to be resent.
    expect(inFlightAtKill.every((n) => n > 0)).toBe(true);
    expect(resends).toBeGreaterThan(0);
  });
});
