/**
 * `medsim fleet`: runs a fleet spec (JSON) of simulated devices against a gateway, with the control
 * endpoint test harnesses drive and the fleet's events as JSON lines. Two modes:
 *   --with-gateway      a gateway in this process (fresh data directory), BLE devices included: the
 *                       gateway's noble central and the devices share the virtual radio;
 *   --mqtt/--api/--ca   a running gateway; devices enrol over its HTTPS API with a technician's
 *                       account (password from MEDSIM_FLEET_PASSWORD, TOTP secret from MEDSIM_FLEET_TOTP_SECRET). MQTT devices only: a BLE
 *                       device needs the radio of the gateway's central.
 */
import { VirtualRadio, createNoble } from '@medsim/ble-radio';
import { BleLink, Fleet, FleetSpecError, FleetControlServer, NETWORK_PROFILES, PATIENT_PROFILES, groupTransport, parseFleetSpec, type FleetEvent, type FleetLinks, type Provisioner, type DeviceEnrolment } from '@medsim/devices';
import { createGateway, loadConfig, type Gateway } from '@medsim/gateway';
import { createLogger } from '@medsim/logging';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Secret, TOTP } from 'otpauth';
import { callApi } from '../bench/gateway/stream-client.js';
import { paint, table } from '../ui/terminal.js';
import { UsageError } from './usage-error.js';

/** Usage of `medsim fleet`. */
export const fleetUsage = `medsim fleet --spec FILE (--with-gateway | --mqtt HOST:PORT --api HOST:PORT --ca FILE --user NAME)
             [--data-dir DIR] [--control-port N] [--duration SECONDS] [--json]

Runs the simulated devices of a fleet spec (docs/devices/fleet.md) against a gateway. With
--with-gateway a gateway runs in this process (BLE devices need it: they share its radio);
otherwise devices enrol over the gateway's HTTPS API as technician NAME (password from
MEDSIM_FLEET_PASSWORD, TOTP secret from MEDSIM_FLEET_TOTP_SECRET) and connect over MQTT with mTLS. Keystores and flash live in
--data-dir (./.medsim-fleet), so devices keep their identity across runs. The control endpoint
(loopback; bearer token printed once and written to DIR/control-token) starts, stops and
power-cycles devices and injects anomalies, outages and clock skew. --json prints the fleet's
events as JSON lines. Runs until Ctrl-C, or for --duration seconds.`;

const hostPort = (value: string, flag: string): { host: string; port: number } => {
  const at = value.lastIndexOf(':');
  const port = Number(value.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${flag} must be HOST:PORT`);
  return { host: value.slice(0, at), port };
};

/** Enrols over the gateway's HTTPS API: a one-time token (technician), then the device's CSR. */
function httpsProvisioner(api: { host: string; port: number; caPem: string }, user: string, password: string, totpSecret: string | undefined): Provisioner {
  let token: Promise<string> | undefined;
  return async ({ deviceId, model, csrPem, identity }) => {
    token ??= technicianLogin(api, user, password, totpSecret);
    const created = await callApi(api, 'POST', '/v1/devices/enrolment-tokens', { deviceId, model, patientId: null }, await token);
    if (created.status !== 201) throw new Error(`enrolment token for ${deviceId}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
    const enrolled = await callApi(api, 'POST', '/v1/devices/enrol', { token: (created.body as { token: string }).token, deviceId, csrPem, identity });
    if (enrolled.status !== 201) throw new Error(`enrolment of ${deviceId}: HTTP ${enrolled.status} ${JSON.stringify(enrolled.body)}`);
    return enrolled.body as DeviceEnrolment;
  };
}

/** Logs a technician in: password, then the TOTP code (technicians and admins always have a second factor). */
async function technicianLogin(api: { host: string; port: number; caPem: string }, user: string, password: string, totpSecret: string | undefined): Promise<string> {
  const first = await callApi(api, 'POST', '/v1/session/login', { username: user, password });
  const body = first.body as { accessToken?: string; mfaRequired?: boolean; challenge?: string };
  if (first.status === 200 && typeof body.accessToken === 'string') return body.accessToken;
  if (first.status !== 200 || body.mfaRequired !== true) throw new Error(`login as ${user} failed: HTTP ${first.status}`);
  if (totpSecret === undefined) throw new Error(`${user} needs a second factor: set MEDSIM_FLEET_TOTP_SECRET to the account's TOTP secret (base32)`);
  const code = new TOTP({ secret: Secret.fromBase32(totpSecret) }).generate();
  const second = await callApi(api, 'POST', '/v1/session/mfa', { challenge: body.challenge, code });
  const tokens = second.body as { accessToken?: string };
  if (second.status !== 200 || typeof tokens.accessToken !== 'string') throw new Error(`second factor for ${user} failed: HTTP ${second.status}`);
  return tokens.accessToken;
}

/** Runs `medsim fleet`; returns the exit code. */
export async function fleet(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      spec: { type: 'string' },
      'with-gateway': { type: 'boolean', default: false },
      mqtt: { type: 'string' },
      api: { type: 'string' },
      ca: { type: 'string' },
      user: { type: 'string' },
      'data-dir': { type: 'string', default: './.medsim-fleet' },
      'control-port': { type: 'string', default: '0' },
      duration: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.spec === undefined) throw new UsageError('--spec is required');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(values.spec, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read the spec ${values.spec}: ${(error as Error).message}`);
  }
  let spec;
  try {
    spec = parseFleetSpec(raw, { patientProfiles: Object.keys(PATIENT_PROFILES), networks: Object.keys(NETWORK_PROFILES) });
  } catch (error) {
    if (error instanceof FleetSpecError) throw new UsageError(error.message);
    throw error;
  }
  const durationS = values.duration === undefined ? undefined : Number(values.duration);
  if (durationS !== undefined && !(Number.isFinite(durationS) && durationS >= 1)) throw new UsageError('--duration must be at least 1 second');
  const usesBle = spec.groups.some((g) => groupTransport(g) === 'ble');
  const dataDir = resolve(values['data-dir']);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  let gateway: Gateway | undefined;
  let radio: VirtualRadio | undefined;
  let provisioner: Provisioner;
  let links: FleetLinks;
  if (values['with-gateway']) {
    radio = new VirtualRadio({ seed: spec.seed });
    const config = loadConfig({ env: process.env, overrides: { dataDir: join(dataDir, 'gateway'), 'mqtt.port': 0, 'http.port': 0, 'firmware.port': 0 } });
    gateway = await createGateway({ config, logger: createLogger({ level: 'silent' }), ble: { noble: createNoble(radio) } });
    await gateway.ensureFirstAdmin();
    const addresses = await gateway.listen();
    const gw = gateway;
    provisioner = async ({ deviceId, model, csrPem, identity }) => {
      const { token } = gw.context.devices.createEnrolmentToken({ deviceId, model, patientId: null, createdBy: 'medsim fleet' });
      return gw.context.devices.enrol({ token, deviceId, csrPem, identity, source: '127.0.0.1' });
    };
    const bleLinks = new Map<string, BleLink>();
    const r = radio;
    links = {
      mqtt: { host: '127.0.0.1', port: addresses.mqttPort },
      ble: (ctx) => {
        let link = bleLinks.get(ctx.deviceId);
        if (link === undefined) {
          const n = bleLinks.size + 1;
          link = new BleLink({ deviceId: ctx.deviceId, radio: r, address: `c0:ff:ee:${((n >> 16) & 0xff).toString(16).padStart(2, '0')}:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`, localName: `medsim ${ctx.deviceId}`.slice(0, 29), device: running.device(ctx.deviceId) });
          bleLinks.set(ctx.deviceId, link);
        }
        return link;
      },
    };
  } else {
    if (values.mqtt === undefined || values.api === undefined || values.ca === undefined || values.user === undefined) {
      throw new UsageError('give --with-gateway, or --mqtt, --api, --ca and --user for a running gateway');
    }
    if (usesBle) throw new UsageError('BLE devices need the gateway\'s radio: run them with --with-gateway, or set "transport": "mqtt" in the spec');
    const password = process.env['MEDSIM_FLEET_PASSWORD'];
    if (password === undefined || password === '') throw new UsageError('set MEDSIM_FLEET_PASSWORD to the technician\'s password');
    const api = { ...hostPort(values.api, '--api'), caPem: readFileSync(values.ca, 'utf8') };
    provisioner = httpsProvisioner(api, values.user, password, process.env['MEDSIM_FLEET_TOTP_SECRET']);
    links = { mqtt: hostPort(values.mqtt, '--mqtt') };
  }

  const running: Fleet = new Fleet({ spec, dataDir: join(dataDir, 'devices'), provisioner, links });
  const control = new FleetControlServer({ fleet: running });
  const controlPort = await control.listen(Number(values['control-port']));
  writeFileSync(join(dataDir, 'control-token'), `${control.token}\n`, { mode: 0o600 });
  const print = (event: FleetEvent | Record<string, unknown>): void => {
    process.stdout.write(`${JSON.stringify(event)}\n`);
  };
  if (values.json) {
    running.on('event', print);
    print({ kind: 'control-endpoint', url: `http://127.0.0.1:${controlPort}/v1`, tokenFile: join(dataDir, 'control-token') });
  } else {
    process.stdout.write(
      `${paint('bold', `medsim fleet: ${running.devices.length} devices (seed ${spec.seed})`)}\n` +
        `  control endpoint  http://127.0.0.1:${controlPort}/v1   (Authorization: Bearer ${control.token})\n` +
        (gateway === undefined ? '' : `  gateway           mqtts://127.0.0.1:${gateway.addresses.mqttPort}  https://127.0.0.1:${gateway.addresses.httpPort}\n`),
    );
  }
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  let code = 0;
  try {
    await running.start();
    const deadline = durationS === undefined ? undefined : Date.now() + durationS * 1000;
    let lastDraw = 0;
    while (!abort.signal.aborted && (deadline === undefined || Date.now() < deadline)) {
      await sleep(200);
      if (!values.json && Date.now() - lastDraw >= 5000) {
        lastDraw = Date.now();
        const views = running.views();
        const online = views.filter((v) => v.state === 'online').length;
        const produced = views.reduce((n, v) => n + v.counters.produced, 0);
        const delivered = views.reduce((n, v) => n + v.counters.delivered, 0);
        const queued = views.reduce((n, v) => n + v.queued, 0);
        process.stdout.write(`${table(['online', 'produced', 'delivered', 'queued in flash'], [[`${online}/${views.length}`, String(produced), String(delivered), String(queued)]])}\n`);
      }
    }
  } catch (error) {
    process.stderr.write(`medsim fleet: ${(error as Error).message}\n`);
    code = 1;
  } finally {
    const views = running.views();
    await running.stop();
    await control.close();
    await gateway?.close();
    radio?.close();
    if (values.json) print({ kind: 'summary', devices: views.length, produced: views.reduce((n, v) => n + v.counters.produced, 0), delivered: views.reduce((n, v) => n + v.counters.delivered, 0) });
  }
  return code;
}
