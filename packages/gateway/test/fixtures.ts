/**
 * Shared test fixtures: a real gateway on loopback port 0 in a fresh temp data directory, and
 * enrolled protocol-level devices (real TLS, MQTT and envelopes from @medsim/testkit).
 */
import { createLogger } from '@medsim/logging';
import { DeviceClient, DeviceCredentials } from '@medsim/testkit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createGateway, loadConfig, type Gateway, type GatewayOptions } from '../src/index.js';

/** A controllable wall clock. */
export class TestClock {
  nowMs: number;
  constructor(start = Date.now()) {
    this.nowMs = start;
  }
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** Captures everything a logger writes, for canary searches. */
export class LogCapture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }
}

/** A temp data directory removed by cleanup(). */
export function tempDataDir(): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'medsim-gw-'));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Options of startGateway. */
export interface StartOptions extends Omit<GatewayOptions, 'config' | 'sources'> {
  readonly dataDir?: string;
  readonly overrides?: Record<string, unknown>;
  readonly log?: LogCapture;
}

/** Starts a gateway on port 0 in `dataDir` (a new temp dir by default). */
export async function startGateway(options: StartOptions = {}): Promise<Gateway> {
  const config = loadConfig({
    overrides: {
      dataDir: options.dataDir ?? tempDataDir().path,
      'mqtt.port': 0,
      'http.port': 0,
      'firmware.port': 0,
      'auth.scryptCost': 2 ** 14,
      ...options.overrides,
    },
  });
  const logger = createLogger({ level: 'debug', destination: options.log ?? new LogCapture() });
  const gateway = await createGateway({ ...options, config, logger });
  await gateway.listen();
  return gateway;
}

/** Creates credentials for `deviceId` and enrols them through the registry (as the API does). */
export async function enrolDevice(gateway: Gateway, deviceId: string, model = 'pulse-oximeter', patientId: string | null = null): Promise<DeviceCredentials> {
  const credentials = await DeviceCredentials.create(deviceId);
  const { token } = gateway.context.devices.createEnrolmentToken({ deviceId, model, patientId, createdBy: 'test-admin' });
  const answer = await gateway.context.devices.enrol({ ...credentials.enrolmentRequest(token), source: '127.0.0.1' });
  return credentials.enrolled(answer);
}

/** Connects an enrolled device to the gateway's device plane. */
export function connectDevice(gateway: Gateway, credentials: DeviceCredentials, options: { clientId?: string; timeoutMs?: number } = {}): Promise<DeviceClient> {
  return DeviceClient.connect(credentials, { host: '127.0.0.1', port: gateway.addresses.mqttPort, timeoutMs: 5_000, ...options });
}

/** Audit events recorded so far, as `event:code` strings. */
export function auditEvents(gateway: Gateway): string[] {
  return (gateway.context.db.prepare('SELECT event, code FROM audit_log ORDER BY seq').all() as { event: string; code: string | null }[]).map(
    (row) => (row.code === null ? row.event : `${row.event}:${row.code}`),
  );
}

/** Waits until `predicate` holds (polling every 10 ms) or throws after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
