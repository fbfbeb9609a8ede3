/**
 * The fleet from a spec, against a real gateway, and its control surface over HTTP: list, power-cycle,
 * anomalies, clock skew, the JSON-lines event stream, and refusals (token, body, unknown device).
 */
import type { Gateway } from '@medsim/gateway';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Fleet, FleetControlServer, FleetSpecError, NETWORK_PROFILES, PATIENT_PROFILES, fleetDeviceIds, parseFleetSpec } from '../../src/index.js';
import { eventually, readingsFor, registryProvisioner, startGateway, tempDir } from '../helpers/gateway-harness.js';

const known = { patientProfiles: Object.keys(PATIENT_PROFILES), networks: Object.keys(NETWORK_PROFILES) };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function call(port: number, method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('fleet spec', () => {
  it('[CTL-09] refuses unknown fields, models, profiles, counts and duplicate prefixes, naming the field', { tags: ['CTL-09'] }, () => {
    const bad: [unknown, string][] = [
      [{ seed: 1, groups: [{ model: 'toaster', count: 1 }] }, 'groups[0].model'],
      [{ seed: 1, groups: [{ model: 'thermometer', count: 0 }] }, 'groups[0].count'],
      [{ seed: -1, groups: [{ model: 'thermometer', count: 1 }] }, 'seed'],
      [{ seed: 1, groups: [{ model: 'thermometer', count: 1, patientProfile: 'vampire' }] }, 'groups[0].patientProfile'],
      [{ seed: 1, groups: [{ model: 'thermometer', count: 1, network: 'carrier-pigeon' }] }, 'groups[0].network'],
      [{ seed: 1, groups: [{ model: 'thermometer', count: 1, transport: 'ble', network: 'lte' }] }, 'groups[0].network'],
      [{ seed: 1, groups: [{ model: 'thermometer', count: 1 }, { model: 'thermometer', count: 1 }] }, 'groups[1].idPrefix'],
      [{ seed: 1, groups: [{ model: 'thermometer', count: 10_001 }] }, 'groups'],
      [{ seed: 1, groups: [], extra: true }, 'extra'],
    ];
    for (const [spec, field] of bad) {
      const error = (() => {
        try {
          parseFleetSpec(spec, known);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, field).toBeInstanceOf(FleetSpecError);
      expect((error as FleetSpecError).details).toMatchObject({ field });
    }
  });

  it('the same spec gives the same device ids', () => {
    const spec = parseFleetSpec({ seed: 3, groups: [{ model: 'pulse-oximeter', count: 2 }, { model: 'insulin-pump', count: 1, idPrefix: 'ip' }] }, known);
    expect(fleetDeviceIds(spec).map((d) => d.deviceId)).toEqual(['spo2-1', 'spo2-2', 'ip-1']);
  });
});

describe('a running fleet and its control endpoint', () => {
  it('[CTL-16] starts devices from a spec, and a harness drives them over the authenticated control endpoint', { tags: ['CTL-16'] }, async () => {
    const gateway: Gateway = await startGateway();
    cleanups.push(() => gateway.close());
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const spec = parseFleetSpec(
      { seed: 11, groups: [{ model: 'pulse-oximeter', count: 2, transport: 'mqtt', cycleScale: 0.05 }, { model: 'thermometer', count: 1, transport: 'mqtt', network: 'hospital-wifi', cycleScale: 0.002 }] },
      known,
    );
    const fleet = new Fleet({ spec, dataDir: dir.path, provisioner: registryProvisioner(gateway), links: { mqtt: { host: '127.0.0.1', port: gateway.addresses.mqttPort } }, durable: false, backoff: { baseMs: 50, maxMs: 500 } });
    await fleet.openNetworks();
    cleanups.push(() => fleet.stop());
    const control = new FleetControlServer({ fleet });
    const port = await control.listen();
    cleanups.push(() => control.close());
    await fleet.start();
    await eventually(() => fleet.views().every((v) => v.state === 'online'), 20_000, 'every device online').catch((e: unknown) => { throw new Error(JSON.stringify(fleet.views().map((v) => [v.deviceId, v.state, v.counters])), { cause: e }); });
    await eventually(() => readingsFor(gateway, 'temp-1').length >= 2, 20_000, 'thermometer readings through the network proxy');

    expect((await call(port, 'GET', '/v1/devices', undefined)).status).toBe(401);
    expect((await call(port, 'GET', '/v1/devices', 'x'.repeat(43))).status).toBe(401);
    const list = await call(port, 'GET', '/v1/devices', control.token);
    expect(list.status).toBe(200);
    expect((list.body['devices'] as { deviceId: string }[]).map((d) => d.deviceId)).toEqual(['spo2-1', 'spo2-2', 'temp-1']);
    expect((await call(port, 'GET', '/v1/devices/nope-9', control.token)).body).toMatchObject({ error: { code: 'ERR_FLEET_UNKNOWN_DEVICE' } });
    expect((await call(port, 'POST', '/v1/devices/spo2-1/anomalies', control.token, '{not json')).body).toMatchObject({ error: { code: 'ERR_CONTROL_INVALID' } });
    expect((await call(port, 'POST', '/v1/devices/spo2-1/anomalies', control.token, { kind: 'werewolf', durationMs: 1000 })).status).toBe(400);
    expect((await call(port, 'POST', '/v1/devices/spo2-1/anomalies', control.token, 'x'.repeat(5000))).status).toBe(413);

    // Hypoxia (9 s, so its onset ramp is 3 s at most): the readings fall below 88 %.
    expect((await call(port, 'POST', '/v1/devices/spo2-1/anomalies', control.token, { kind: 'hypoxia', durationMs: 9_000, severity: 1 })).status).toBe(202);
    const before = readingsFor(gateway, 'spo2-1').length;
    await eventually(() => readingsFor(gateway, 'spo2-1').slice(before + 3).some((r) => (r.observations[0]?.value ?? 100) < 88), 20_000, 'a desaturated reading');

    // Clock skew shows in the view; a power cycle comes back online with the same identity.
    const skewed = await call(port, 'POST', '/v1/devices/spo2-2/clock-skew', control.token, { ms: 120_000 });
    expect(skewed.body['clockOffsetMs']).toBeGreaterThan(110_000);
    const cycled = await call(port, 'POST', '/v1/devices/spo2-2/power-cycle', control.token);
    expect(cycled.status).toBe(200);
    await eventually(() => fleet.view('spo2-2').state === 'online', 20_000, 'spo2-2 online again');
    expect(fleet.view('spo2-2').counters.sessions).toBe(2);
  });
});
