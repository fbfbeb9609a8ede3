/**
 * `medsim fleet` against a running gateway: devices enrol over the HTTPS API as a technician (password
 * and TOTP second factor) and stream over MQTT with mTLS.
 */
import { createGateway, loadConfig } from '@medsim/gateway';
import { createLogger } from '@medsim/logging';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { URI, type TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin/medsim.js', import.meta.url));

describe('medsim fleet against a running gateway', () => {
  it('[CTL-05] enrols over HTTPS as a technician with a second factor and streams over mTLS', { tags: ['CTL-05'] }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medsim-fleet-remote-'));
    const gateway = await createGateway({
      config: loadConfig({ overrides: { dataDir: join(dir, 'gateway'), 'mqtt.port': 0, 'http.port': 0, 'firmware.port': 0, 'auth.scryptCost': 2 ** 14 } }),
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const { mqttPort, httpPort } = await gateway.listen();
      const password = 'Correct-horse-battery-staple-42';
      const created = await gateway.users.createUser({ username: 'tech.fleet', role: 'technician', password });
      const secret = (URI.parse(created.totpUri!) as TOTP).secret.base32;
      writeFileSync(join(dir, 'ca.pem'), gateway.context.tls.caPem);
      writeFileSync(join(dir, 'spec.json'), JSON.stringify({ seed: 5, groups: [{ model: 'pulse-oximeter', count: 2, transport: 'mqtt', cycleScale: 0.2 }, { model: 'thermometer', count: 1, transport: 'mqtt', network: 'lte', cycleScale: 0.01 }] }));
      const run = promisify(execFile)(
        process.execPath,
        [bin, 'fleet', '--spec', join(dir, 'spec.json'), '--mqtt', `127.0.0.1:${mqttPort}`, '--api', `127.0.0.1:${httpPort}`, '--ca', join(dir, 'ca.pem'), '--user', 'tech.fleet', '--duration', '5', '--json', '--data-dir', join(dir, 'fleet')],
        { timeout: 90_000, env: { ...process.env, MEDSIM_FLEET_PASSWORD: password, MEDSIM_FLEET_TOTP_SECRET: secret } },
      );
      const { stdout } = await run;
      const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { kind: string; devices: number; delivered: number };
      expect(summary).toMatchObject({ kind: 'summary', devices: 3 });
      expect(summary.delivered).toBeGreaterThan(3);
      expect(gateway.context.devices.list().map((d) => d.id).sort()).toEqual(['spo2-1', 'spo2-2', 'temp-1']);
      expect(gateway.context.readings.countForDevice('temp-1')).toBeGreaterThan(0);
    } finally {
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
