/**
 * A real gateway for device tests: loopback port 0, a fresh temp data directory, real TLS, MQTT and
 * SQLite; a provisioner that enrols devices through the gateway's registry as the HTTP API does; and
 * helpers to read what the gateway stored.
 */
import { createLogger } from '@medsim/logging';
import { createGateway, loadConfig, type Gateway, type GatewayOptions } from '@medsim/gateway';
import { decodeMessage, ContentType } from '@medsim/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Provisioner } from '../../src/index.js';

/** A temp directory removed by cleanup(). */
export function tempDir(prefix = 'medsim-dev-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

class Sink extends Writable {
  override _write(_chunk: Buffer, _encoding: string, callback: () => void): void {
    callback();
  }
}

/** Starts a gateway on port 0. */
export async function startGateway(options: Omit<GatewayOptions, 'config' | 'sources'> & { dataDir?: string; overrides?: Record<string, unknown> } = {}): Promise<Gateway> {
  const config = loadConfig({
    overrides: { dataDir: options.dataDir ?? tempDir('medsim-gw-').path, 'mqtt.port': 0, 'http.port': 0, 'firmware.port': 0, 'auth.scryptCost': 2 ** 14, ...options.overrides },
  });
  const gateway = await createGateway({ ...options, config, logger: createLogger({ level: 'warn', destination: new Sink() }) });
  await gateway.listen();
  return gateway;
}

/** Enrols devices straight through the gateway's registry (what POST /v1/devices/enrol does). */
export function registryProvisioner(gateway: Gateway, patientId: string | null = null): Provisioner {
  return async ({ deviceId, model, csrPem, identity }) => {
    const { token } = gateway.context.devices.createEnrolmentToken({ deviceId, model, patientId, createdBy: 'test' });
    return gateway.context.devices.enrol({ token, deviceId, csrPem, identity, source: '127.0.0.1' });
  };
}

/** What the gateway stored for a device: content type and decoded payload, in commit order. */
export function storedFor(gateway: Gateway, deviceId: string): ReturnType<Gateway['context']['readings']['payloadsForDevice']> {
  return gateway.context.readings.payloadsForDevice(deviceId);
}

/** Decoded VitalSignReadings a gateway stored for a device. */
export function readingsFor(gateway: Gateway, deviceId: string): ReturnType<typeof decodeMessage<'VitalSignReading'>>[] {
  return storedFor(gateway, deviceId)
    .filter((r) => r.contentType === ContentType.CONTENT_TYPE_VITAL_SIGN_READING)
    .map((r) => decodeMessage('VitalSignReading', r.payload));
}

/** Resolves when `check` holds (polled every 20 ms), rejects after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
