/**
 * The gateway of the fleet benchmark, in a child process (forked with an IPC channel): a fresh
 * temp data directory, MQTT and HTTP on 127.0.0.1 port 0, and enrolment on request.
 *
 * A process, not a worker thread as in the gateway benchmark: resident memory and the process's
 * CPU clock are per process, so with the gateway elsewhere the fleet process's RSS and CPU are the
 * fleet's alone (its TLS sockets, SQLite pages and ingest CPU would otherwise be counted per device).
 *
 * Enrolment takes the device's own CSR and identity (its keystore made them and keeps the keys):
 * the parent forwards each device's Provisioner call as an `enrol` request; the answer is what
 * POST /v1/devices/enrol returns. No patient is assigned: the benchmark measures devices, not PHI.
 */
import { createGateway, loadConfig, type Gateway } from '@medsim/gateway';
import { createLogger } from '@medsim/logging';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceEnrolment, Provisioner } from '@medsim/devices';

/** A device's enrolment request, as the Provisioner receives it. */
export type EnrolmentRequest = Parameters<Provisioner>[0];

/** Messages to the gateway process. */
export type GatewayProcessRequest =
  | { readonly type: 'enrol'; readonly id: number; readonly request: EnrolmentRequest }
  | { readonly type: 'sample'; readonly id: number }
  | { readonly type: 'stop' };

/** What the gateway process measures of itself. */
export interface GatewaySample {
  /** Ingest counters: readings stored (committed), duplicates, refusals, commits (fsyncs). */
  readonly stored: number;
  readonly duplicates: number;
  readonly refused: number;
  readonly commits: number;
  /** CPU seconds of the whole gateway process (user + system). */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

/** Messages from the gateway process. */
export type GatewayProcessReply =
  | { readonly type: 'ready'; readonly mqttPort: number }
  | { readonly type: 'enrolled'; readonly id: number; readonly answer: DeviceEnrolment }
  | { readonly type: 'enrol-failed'; readonly id: number; readonly message: string }
  | { readonly type: 'sample'; readonly id: number; readonly sample: GatewaySample }
  | { readonly type: 'stopped' };

const send = (reply: GatewayProcessReply): void => {
  process.send?.(reply);
};

const dataDir = mkdtempSync(join(tmpdir(), 'medsim-bench-fleet-gw-'));
const config = loadConfig({
  overrides: {
    dataDir,
    'mqtt.port': 0,
    'http.port': 0,
    'firmware.port': 0,
    'log.level': 'silent',
    // Every simulated device connects from 127.0.0.1, up to the fleet's 10,000 devices.
    'mqtt.maxConnections': 20_000,
    'mqtt.maxConnectionsPerAddress': 20_000,
  },
});
const gateway: Gateway = await createGateway({ config, logger: createLogger({ level: 'silent' }) });
const addresses = await gateway.listen();

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
}

process.on('message', (message: GatewayProcessRequest) => {
  if (message.type === 'enrol') {
    void (async () => {
      const { deviceId, model, csrPem, identity } = message.request;
      try {
        const { token } = gateway.context.devices.createEnrolmentToken({ deviceId, model, patientId: null, createdBy: 'bench' });
        const answer = await gateway.context.devices.enrol({ token, deviceId, csrPem, identity, source: '127.0.0.1' });
        send({ type: 'enrolled', id: message.id, answer });
      } catch (error) {
        send({ type: 'enrol-failed', id: message.id, message: (error as Error).message });
      }
    })();
  } else if (message.type === 'sample') {
    const cpu = process.cpuUsage();
    send({ type: 'sample', id: message.id, sample: { ...gateway.ingest.counters, cpuSeconds: (cpu.user + cpu.system) / 1e6, rssBytes: process.memoryUsage().rss } });
  } else {
    // The parent disconnects after 'stopped'; that ends this process (below).
    void stop().then(() => send({ type: 'stopped' }));
  }
});
// The parent went away without saying stop (killed, crashed): do not linger holding ports.
process.once('disconnect', () => void stop().then(() => process.exit(0)));

send({ type: 'ready', mqttPort: addresses.mqttPort });
