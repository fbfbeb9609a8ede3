/**
 * The workshop demo behind `npm start`: a real gateway on the embedded default (SQLite, local CA)
 * with seeded users, patients and care teams; a fleet of simulated devices, one of every model, over
 * BLE (the gateway's noble central on the virtual radio) and MQTT over mTLS (through network
 * profiles), streaming end-to-end encrypted readings; a clinician following them live over WSS;
 * therapy commands ordered and refused by the pump's interlock; and attacks that each must visibly
 * fail (protocol-level attacker devices from the testkit). Library form: events go to `onEvent`,
 * the command renders them.
 */
import { DATA_FILES, createGateway, generatePassword, loadConfig, verifyAuditChain, type Gateway, type ReadingJson, type UserRole } from '@medsim/gateway';
import type { Logger } from '@medsim/logging';
import { deviceTopic } from '@medsim/protocol';
import { DeviceClient, DeviceCredentials, bloodPressureReading, glucoseReading, pulseOximeterReading, thermometerReading } from '@medsim/testkit';
import type { VirtualRadio } from '@medsim/ble-radio';
import type { Fleet } from '@medsim/devices';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { callApi, login, openReadingStream, type ReadingStream } from '../bench/gateway/stream-client.js';
import { DEMO_FLEET, demoFleet, demoRadio } from './demo-fleet.js';

/** Something the demo wants shown. */
export type DemoEvent =
  | { readonly kind: 'started'; readonly mqttPort: number; readonly httpPort: number; readonly dataDir: string; readonly caCert: string }
  | { readonly kind: 'account'; readonly username: string; readonly role: UserRole; readonly password: string; readonly totpUri?: string; readonly patients: readonly string[] }
  | { readonly kind: 'device'; readonly deviceId: string; readonly model: string; readonly patient: string; readonly transport: string }
  | { readonly kind: 'reading'; readonly patient: string; readonly reading: ReadingJson }
  | { readonly kind: 'check'; readonly title: string; readonly passed: boolean; readonly detail: string; readonly attack: boolean };

/** Options of runGatewayDemo. */
export interface GatewayDemoOptions {
  readonly dataDir: string;
  readonly mqttPort: number;
  readonly httpPort: number;
  /** The firmware update endpoint's port (0: any free port). */
  readonly firmwarePort: number;
  /** Stop after this long; undefined runs until `signal` aborts. */
  readonly durationMs?: number;
  readonly signal?: AbortSignal;
  readonly logger: Logger;
  readonly onEvent: (event: DemoEvent) => void;
}

/** What the demo did. */
export interface GatewayDemoResult {
  readonly readingsStored: number;
  readonly checks: number;
  readonly passed: number;
}

const PATIENTS = ['Park Ji-woo', 'Lee Min-jun', 'Choi Seo-yeon'] as const;

/** Protocol-level devices the attacks use (real TLS, MQTT and envelopes; no physiology). */
const DEVICES = [
  { id: 'pulse-ox-0001', model: 'pulse-oximeter', patient: 0, reading: pulseOximeterReading },
  { id: 'bp-monitor-0001', model: 'blood-pressure-monitor', patient: 0, reading: bloodPressureReading },
  { id: 'thermometer-0001', model: 'thermometer', patient: 1, reading: thermometerReading },
  { id: 'glucose-meter-0001', model: 'glucose-meter', patient: 2, reading: glucoseReading },
] as const;

/** Seed of the demo fleet's physiology and radio. */
const DEMO_SEED = 2026;

/** Removes a previous demo directory, refusing anything that does not look like one. */
function wipe(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  const entries = readdirSync(dataDir);
  if (entries.length > 0 && !entries.includes(DATA_FILES.database)) throw new Error(`${dataDir} is not a medsim data directory; not removing it`);
  rmSync(dataDir, { recursive: true, force: true });
}

interface LiveDevice {
  readonly spec: (typeof DEVICES)[number];
  readonly credentials: DeviceCredentials;
  client: DeviceClient;
  index: number;
  lastEnvelope?: Uint8Array;
}

/** Runs the demo; resolves when the duration is over or the signal aborted. */
export async function runGatewayDemo(options: GatewayDemoOptions): Promise<GatewayDemoResult> {
  wipe(options.dataDir);
  const config = loadConfig({ env: process.env, overrides: { dataDir: options.dataDir, 'mqtt.port': options.mqttPort, 'http.port': options.httpPort, 'firmware.port': options.firmwarePort } });
  const { radio, noble } = demoRadio(DEMO_SEED);
  const gateway = await createGateway({ config, logger: options.logger, ble: { noble } });
  const emit = options.onEvent;
  let checks = 0;
  let passed = 0;
  const check = (title: string, ok: boolean, detail: string, attack = true): void => {
    checks += 1;
    if (ok) passed += 1;
    emit({ kind: 'check', title, passed: ok, detail, attack });
  };
  let fleet: Fleet | undefined;
  try {
    const admin = await gateway.ensureFirstAdmin();
    const addresses = await gateway.listen();
    emit({ kind: 'started', mqttPort: addresses.mqttPort, httpPort: addresses.httpPort, dataDir: gateway.state.dataDir.path, caCert: gateway.state.dataDir.file(DATA_FILES.caCert) });
    const api = { port: addresses.httpPort, caPem: gateway.context.tls.caPem };
    const patients = PATIENTS.map((name) => gateway.users.createPatient(name).id);
    const patientName = new Map(patients.map((id, i) => [id, PATIENTS[i]!]));
    if (admin !== undefined) emit({ kind: 'account', username: admin.username, role: 'admin', password: admin.password, totpUri: admin.totpUri, patients: [] });
    const accounts = await seedAccounts(gateway, patients, emit);

    fleet = demoFleet({ gateway, radio, patients, dataDir: options.dataDir, seed: DEMO_SEED, logger: options.logger });
    await fleet.start();
    for (const view of fleet.views()) {
      const patient = DEMO_FLEET.find((d) => `${d.idPrefix}-1` === view.deviceId)?.patient;
      emit({ kind: 'device', deviceId: view.deviceId, model: view.model, patient: patient === undefined ? '(no patient)' : PATIENTS[patient], transport: view.network === undefined ? view.transport : `${view.transport} over ${view.network}` });
    }

    const devices: LiveDevice[] = [];
    for (const spec of DEVICES) {
      const credentials = await enrol(gateway, spec.id, spec.model, patients[spec.patient]!);
      const client = await connect(credentials, addresses.mqttPort);
      devices.push({ spec, credentials, client, index: 0 });
    }

    const follow = (): Promise<ReadingStream> =>
      openReadingStream({ ...api, username: 'dr.kim', password: accounts.get('dr.kim')!, patients: [patients[0]!, patients[1]!] }, (reading) =>
        emit({ kind: 'reading', patient: patientName.get(reading.patientId ?? '') ?? '?', reading }),
      );
    let stream = await follow();

    const send = async (device: LiveDevice): Promise<void> => {
      const envelope = device.client.sealReading(device.spec.reading(device.index, Date.now() - device.index * 1000));
      device.index += 1;
      device.lastEnvelope = envelope;
      await device.client.publish('telemetry', envelope);
    };
    // The attacker devices send one reading each (the replay attack re-sends one).
    for (const device of devices) await send(device).catch(() => undefined);
    await sleep(3000);
    stream = await runAttacks({ gateway, api, devices, patients, accounts, check, stream, follow, mqttPort: addresses.mqttPort });
    await runTherapyChecks({ gateway, api, accounts, check, fleet });
    checkSniffer(gateway, radio, fleet, check);

    const deadline = options.durationMs === undefined ? undefined : Date.now() + options.durationMs;
    while (!(options.signal?.aborted ?? false) && (deadline === undefined || Date.now() < deadline)) await sleep(200);
    const stored = patients.reduce((n, id) => n + gateway.context.readings.forPatient(id, { limit: 1000 }).length, 0);
    const silent = fleet.views().filter((v) => v.counters.delivered === 0).map((v) => `${v.deviceId} (${v.state})`);
    check(
      'Every acknowledged reading is stored',
      stored >= devices.length && silent.length === 0,
      silent.length === 0 ? `${stored} readings stored, encrypted at rest; every simulated device delivered` : `nothing delivered by ${silent.join(', ')}`,
      false,
    );
    const chain = verifyAuditChain(gateway.context.db);
    check('Audit trail is intact (hash chain)', chain.ok, `${chain.entries} entries verified`, false);
    await stream.close();
    await Promise.all(devices.map((d) => d.client.close().catch(() => undefined)));
    return { readingsStored: stored, checks, passed };
  } finally {
    await fleet?.stop();
    await gateway.close();
    radio.close();
  }
}

/** The BLE sniffer saw the radio traffic, and no biometric value in it (ADR 0005). */
function checkSniffer(gateway: Gateway, radio: VirtualRadio, fleet: Fleet, check: (title: string, ok: boolean, detail: string, attack?: boolean) => void): void {
  const ble = fleet.views().filter((v) => v.transport === 'ble').map((v) => v.deviceId);
  const payloads = ble.flatMap((id) => gateway.context.readings.payloadsForDevice(id).map((p) => p.payload));
  const heard = radio.sniffer.pdus.filter((pdu) => pdu.kind === 'ATT').length;
  const found = payloads.filter((payload) => radio.sniffer.containsBytes(payload)).length;
  check('Eavesdropper on the BLE radio', heard > 0 && payloads.length > 0 && found === 0, `sniffer captured ${heard} ATT packets from ${ble.length} BLE devices; 0 of ${payloads.length} stored payloads appear on the air`);
}

/** A clinician's bolus is executed; one past the pump's interlock is refused by the pump itself. */
async function runTherapyChecks(c: { gateway: Gateway; api: { port: number; caPem: string }; accounts: Map<string, string>; check: (title: string, ok: boolean, detail: string, attack?: boolean) => void; fleet: Fleet }): Promise<void> {
  const password = c.accounts.get('dr.lee')!;
  const token = await login(c.api, 'dr.lee', password);
  const order = async (amountMilliunits: number): Promise<string> => {
    const ordered = await callApi(c.api, 'POST', '/v1/devices/pump-1/therapy-commands', { action: { kind: 'insulin-bolus', amountMilliunits } }, token);
    const commandId = String((ordered.body as { commandId?: string }).commandId);
    await callApi(c.api, 'POST', `/v1/therapy-commands/${commandId}/confirm`, { password }, token);
    for (let i = 0; i < 100; i += 1) {
      const status = String(((await callApi(c.api, 'GET', `/v1/therapy-commands/${commandId}`, undefined, token)).body as { status?: string }).status);
      if (status !== 'sent' && status !== 'signed') return status;
      await sleep(100);
    }
    return 'no answer';
  };
  const ok = await order(1_500);
  c.check('Clinician orders a 1.5 U bolus (confirmed, signed, sent)', ok === 'executed', `pump answered "${ok}" with a signed acknowledgement`, false);
  const tooMuch = await order(20_000);
  c.check('A 20 U bolus, past the pump\'s 10 U interlock', tooMuch === 'rejected', `the pump refused it ("${tooMuch}"), whoever signed; therapy unchanged`);
}

async function seedAccounts(gateway: Gateway, patients: readonly string[], emit: GatewayDemoOptions['onEvent']): Promise<Map<string, string>> {
  const passwords = new Map<string, string>();
  const seed: { username: string; role: UserRole; patientId?: string; careTeam?: readonly string[] }[] = [
    { username: 'dr.kim', role: 'clinician', careTeam: [patients[0]!, patients[1]!] },
    { username: 'dr.lee', role: 'clinician', careTeam: [patients[2]!] },
    { username: 'tech.choi', role: 'technician' },
    { username: 'auditor.han', role: 'auditor' },
    { username: 'patient.park', role: 'patient', patientId: patients[0]! },
  ];
  for (const account of seed) {
    const password = generatePassword();
    const { id, totpUri } = await gateway.users.createUser({ username: account.username, role: account.role, password, ...(account.patientId === undefined ? {} : { patientId: account.patientId }) });
    gateway.context.audit.record({ event: 'user.create', outcome: 'success', severity: 'medium', actor: 'demo', role: 'admin', object: id });
    for (const patientId of account.careTeam ?? []) gateway.users.assignCareTeam(id, patientId, 'demo');
    passwords.set(account.username, password);
    emit({ kind: 'account', username: account.username, role: account.role, password, ...(totpUri === undefined ? {} : { totpUri }), patients: account.careTeam ?? (account.patientId === undefined ? [] : [account.patientId]) });
  }
  return passwords;
}

async function enrol(gateway: Gateway, deviceId: string, model: string, patientId: string): Promise<DeviceCredentials> {
  const credentials = await DeviceCredentials.create(deviceId);
  const { token } = gateway.context.devices.createEnrolmentToken({ deviceId, model, patientId, createdBy: 'demo' });
  return credentials.enrolled(await gateway.context.devices.enrol({ ...credentials.enrolmentRequest(token), source: '127.0.0.1' }));
}

async function connect(credentials: DeviceCredentials, mqttPort: number): Promise<DeviceClient> {
  const client = await DeviceClient.connect(credentials, { host: '127.0.0.1', port: mqttPort, timeoutMs: 10_000 });
  await client.openSession();
  return client;
}

interface AttackContext {
  readonly gateway: Gateway;
  readonly api: { port: number; caPem: string };
  readonly devices: LiveDevice[];
  readonly patients: readonly string[];
  readonly accounts: Map<string, string>;
  readonly check: (title: string, ok: boolean, detail: string) => void;
  readonly stream: ReadingStream;
  readonly follow: () => Promise<ReadingStream>;
  readonly mqttPort: number;
}

const audited = (gateway: Gateway, event: string): number =>
  (gateway.context.db.prepare('SELECT count(*) AS n FROM audit_log WHERE event = ?').get(event) as { n: number }).n;

/** Each attack must fail; the devices it disturbed reconnect afterwards. Returns the live stream. */
async function runAttacks(c: AttackContext): Promise<ReadingStream> {
  const [pulseOx, bpMonitor, thermometer, glucose] = c.devices as [LiveDevice, LiveDevice, LiveDevice, LiveDevice];

  // A cloned device: the same certificate and key connect a second time.
  const clone = await DeviceClient.connect(pulseOx.credentials, { host: '127.0.0.1', port: c.mqttPort, timeoutMs: 5000 }).then(
    async (client) => (await client.close(), 'connected'),
    (error: Error) => error.message,
  );
  c.check('Cloned device connects a second time', clone !== 'connected' && pulseOx.client.mqtt.connected, `refused (${clone}); possible-clone alert raised, original stays online`);

  // A device publishes on another device's topic.
  const closedGlucose = glucose.client.closed();
  glucose.client.mqtt.publish(deviceTopic('pulse-ox-0001', 'telemetry'), Buffer.from(glucose.client.sealReading(glucoseReading(99))), { qos: 1 });
  await Promise.race([closedGlucose, sleep(3000)]);
  c.check('Device publishes as another device', !glucose.client.mqtt.connected, 'connection closed by the broker ACL; nothing stored');
  glucose.client = await connect(glucose.credentials, c.mqttPort);

  // A tampered envelope (one bit flipped in transit).
  const tampered = Buffer.from(thermometer.client.sealReading(thermometerReading(99)));
  tampered[tampered.length - 5]! ^= 0x10;
  const closedThermo = thermometer.client.closed();
  thermometer.client.publish('telemetry', tampered).catch(() => undefined);
  await Promise.race([closedThermo, sleep(3000)]);
  c.check('Tampered envelope (1 bit flipped)', !thermometer.client.mqtt.connected, 'AES-GCM tag failed: refused, audited, connection closed');
  thermometer.client = await connect(thermometer.credentials, c.mqttPort);

  // A replayed envelope.
  const before = c.gateway.context.readings.countForDevice('bp-monitor-0001');
  if (bpMonitor.lastEnvelope !== undefined) await bpMonitor.client.publish('telemetry', bpMonitor.lastEnvelope);
  const after = c.gateway.context.readings.countForDevice('bp-monitor-0001');
  c.check('Replayed reading', bpMonitor.lastEnvelope !== undefined && after === before, 'acknowledged again, stored once (sequence already seen)');

  // Object-level access: a clinician asks for a patient outside the care team.
  const token = await login(c.api, 'dr.lee', c.accounts.get('dr.lee')!);
  const outside = await callApi(c.api, 'GET', `/v1/patients/${c.patients[0]!}/readings`, undefined, token);
  c.check('Clinician reads a patient outside the care team', outside.status === 403, `HTTP ${outside.status} ${(outside.body as { code?: string }).code ?? ''}`);

  // A forged token (alg none, role admin).
  const forged = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', role: 'admin' })).toString('base64url')}.`;
  const me = await callApi(c.api, 'GET', '/v1/session/me', undefined, forged);
  c.check('Forged access token (alg none, role admin)', me.status === 401, `HTTP ${me.status} ${(me.body as { code?: string }).code ?? ''}`);

  // Single session (MFDS 1.2): dr.kim logs in again; the live view's session is superseded.
  const closed = new Promise<string>((resolve) => c.stream.socket.once('close', (code, reason) => resolve(`${code} ${reason.toString()}`)));
  const started = Date.now();
  await login(c.api, 'dr.kim', c.accounts.get('dr.kim')!);
  const reason = await Promise.race([closed, sleep(3000).then(() => 'still open')]);
  c.check('Second login by the same clinician', reason.includes('ERR_SESSION_SUPERSEDED'), `old session ended, its WebSocket closed in ${Date.now() - started} ms (${reason})`);

  // Brute force: repeated wrong passwords lock the account.
  let locked = 0;
  for (let i = 0; i < 6; i += 1) {
    const answer = await callApi(c.api, 'POST', '/v1/session/login', { username: 'tech.choi', password: `wrong-password-${i}-xx` });
    if ((answer.body as { code?: string }).code === 'ERR_AUTH_LOCKED') locked += 1;
  }
  c.check('Password guessing', locked > 0 && audited(c.gateway, 'auth.lockout') > 0, 'account locked after 5 failures, lockout audited');

  return c.follow();
}
