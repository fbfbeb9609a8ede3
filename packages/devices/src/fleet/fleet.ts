/**
 * A running fleet: the devices of a spec, their patients, their network paths, and the control
 * surface test harnesses and trainers drive from outside (start, stop, power-cycle, inject anomalies,
 * network faults and clock skew, read state). Every event is also a JSON-serialisable object on the
 * `event` emitter (the CLI prints them as JSON lines).
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AlarmCode, OperatingState, SecurityEventType } from '@medsim/protocol';
import { UnknownFleetDeviceError } from '../errors.js';
import type { DeviceModelName } from '../device/device-model.js';
import type { LinkFactory, Provisioner, SimulatedDevice } from '../device/simulated-device.js';
import { MqttLink } from '../link/mqtt-link.js';
import { FaultProxy } from '../network/fault-proxy.js';
import { NETWORK_PROFILES } from '../network/network-profile.js';
import { Patient } from '../physiology/patient.js';
import { PATIENT_PROFILES } from '../physiology/patient-profile.js';
import type { AnomalyKind } from '../physiology/anomalies.js';
import { createDevice } from './device-factory.js';
import { ControlledDevice } from '../control/controlled-device.js';
import type { LocalClearance } from '../control/command-processor.js';
import { fleetDeviceIds, groupTransport, type FleetGroup, type FleetSpec } from './fleet-spec.js';

/** One line of the fleet's event log. */
export type FleetEvent =
  | { readonly kind: 'fleet'; readonly event: 'started' | 'stopped'; readonly devices: number; readonly atMs: number }
  | { readonly kind: 'state'; readonly deviceId: string; readonly state: string; readonly atMs: number }
  | { readonly kind: 'operating-state'; readonly deviceId: string; readonly state: string; readonly atMs: number }
  | { readonly kind: 'produced'; readonly deviceId: string; readonly channel: string; readonly priority: string; readonly atMs: number }
  | { readonly kind: 'dropped'; readonly deviceId: string; readonly count: number; readonly reason: string; readonly atMs: number }
  | { readonly kind: 'security-event'; readonly deviceId: string; readonly type: string; readonly code: string; readonly atMs: number }
  | { readonly kind: 'control'; readonly action: string; readonly target: string; readonly detail?: Record<string, unknown>; readonly atMs: number };

/** What links the fleet can build. */
export interface FleetLinks {
  /** The gateway's device plane (MQTT over mTLS). */
  readonly mqtt?: { readonly host: string; readonly port: number };
  /** The BLE link factory (the radio the gateway's central listens on). */
  readonly ble?: LinkFactory;
}

/** Options of a fleet. */
export interface FleetOptions {
  readonly spec: FleetSpec;
  /** Each device gets `dataDir/<deviceId>` (keystore and flash). */
  readonly dataDir: string;
  readonly provisioner: Provisioner;
  readonly links: FleetLinks;
  readonly logger?: Logger;
  /** Base clock of every device (devices drift from it). */
  readonly now?: () => number;
  /** When the patients' simulation starts (default: now). The same spec, seed and epoch give the same physiology. */
  readonly epochMs?: number;
  /**
   * Devices on the same body: devices given the same key share one simulated patient (the first
   * one's profile and seed), so a pump's bolus shows on that patient's glucose meter. Default: every
   * device measures a patient of its own.
   */
  readonly bodyOf?: (deviceId: string) => string | undefined;
  /** fsync flash commits (default true). */
  readonly durable?: boolean;
  /** Multiplies every group's cycle (a demo can run the fleet faster). */
  readonly cycleScale?: number;
  /** Reconnect back-off bounds (tests shorten them). */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
}

/** Read-only view of one device, for the control surface. */
export interface DeviceView {
  readonly deviceId: string;
  readonly model: DeviceModelName;
  readonly transport: string;
  readonly network: string | undefined;
  readonly patientProfile: string;
  readonly state: string;
  readonly operatingState: string;
  readonly queued: number;
  readonly batteryPercent: number;
  readonly clockOffsetMs: number;
  readonly counters: SimulatedDevice['counters'];
}

interface Member {
  readonly device: SimulatedDevice;
  readonly group: FleetGroup;
  readonly patient: Patient;
  readonly patientProfile: string;
  readonly network: string | undefined;
  readonly transport: 'mqtt' | 'ble';
}

const defaultProfile = (model: DeviceModelName): string =>
  model === 'insulin-pump' || model === 'glucose-meter' ? 'type-1-diabetes' : model === 'pacemaker' ? 'bradycardia-pacemaker' : 'healthy-adult';

/** A fleet of simulated devices. */
export class Fleet extends EventEmitter<{ event: [FleetEvent] }> {
  readonly #o: FleetOptions;
  readonly #members = new Map<string, Member>();
  readonly #proxies = new Map<string, FaultProxy>();
  #started = false;

  constructor(options: FleetOptions) {
    super();
    this.#o = options;
    const now = options.now ?? Date.now;
    const bodies = new Map<string, Patient>();
    for (const { deviceId, group, index } of fleetDeviceIds(options.spec)) {
      const patientProfile = group.patientProfile ?? defaultProfile(group.model);
      const profile = PATIENT_PROFILES[patientProfile as keyof typeof PATIENT_PROFILES];
      const seed = (options.spec.seed ^ hash(deviceId)) >>> 0;
      const body = options.bodyOf?.(deviceId);
      const patient = (body === undefined ? undefined : bodies.get(body)) ?? new Patient({ profile, seed, startMs: options.epochMs ?? now() });
      if (body !== undefined) bodies.set(body, patient);
      const transport = groupTransport(group);
      const network = transport === 'mqtt' ? (group.network ?? 'ideal') : undefined;
      const device = createDevice(group.model, {
        deviceId,
        dataDir: join(options.dataDir, deviceId),
        seed,
        patient,
        provisioner: options.provisioner,
        link: (ctx) => this.#link(transport, network, ctx),
        now,
        // ±50 ppm: a cheap crystal (the seed spreads devices over the range).
        clockDriftPpm: ((seed % 101) - 50) * 1,
        ...(options.logger === undefined ? {} : { logger: options.logger }),
        durable: options.durable ?? true,
        cycleScale: (group.cycleScale ?? 1) * (options.cycleScale ?? 1),
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      });
      void index;
      this.#members.set(deviceId, { device, group, patient, patientProfile, network, transport });
      this.#wire(deviceId, device);
    }
  }

  /** Every device, in spec order. */
  get devices(): readonly SimulatedDevice[] {
    return [...this.#members.values()].map((m) => m.device);
  }

  /** One device; throws UnknownFleetDeviceError. */
  device(deviceId: string): SimulatedDevice {
    return this.#member(deviceId).device;
  }

  /** The patient a device measures. */
  patientOf(deviceId: string): Patient {
    return this.#member(deviceId).patient;
  }

  /**
   * Starts the network paths and powers every device on (enrolling on first boot), ramping: at most
   * `concurrency` devices are between power-on and online at once (each gets `settleMs` to come
   * online before the next starts), so a large fleet does not storm the gateway with TLS handshakes
   * and enrolments that time out and retry.
   */
  async start(options: { concurrency?: number; settleMs?: number } = {}): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.openNetworks();
    const members = [...this.#members.values()];
    const concurrency = options.concurrency ?? 32;
    const settleMs = options.settleMs ?? 10_000;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < members.length) {
        const device = members[next++]!.device;
        await device.powerOn();
        const until = Date.now() + settleMs;
        while (device.state !== 'online' && device.state !== 'off' && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, members.length) }, lane));
    this.#emit({ kind: 'fleet', event: 'started', devices: members.length, atMs: Date.now() });
  }

  /** Powers every device off and closes the network paths. */
  async stop(): Promise<void> {
    await Promise.all([...this.#members.values()].map((m) => m.device.powerOff()));
    await Promise.all([...this.#proxies.values()].map((p) => p.close()));
    this.#proxies.clear();
    this.#started = false;
    this.#emit({ kind: 'fleet', event: 'stopped', devices: this.#members.size, atMs: Date.now() });
  }

  /** Powers one device on. */
  async startDevice(deviceId: string): Promise<void> {
    this.#control('start', deviceId);
    await this.#member(deviceId).device.powerOn();
  }

  /** Powers one device off. */
  async stopDevice(deviceId: string): Promise<void> {
    this.#control('stop', deviceId);
    await this.#member(deviceId).device.powerOff();
  }

  /** Power-cycles one device (flash and keystore survive). */
  async powerCycle(deviceId: string): Promise<void> {
    this.#control('power-cycle', deviceId);
    await this.#member(deviceId).device.powerCycle();
  }

  /** Injects a physiological anomaly into a device's patient. */
  injectAnomaly(deviceId: string, anomaly: { kind: AnomalyKind; durationMs: number; severity?: number }): void {
    const m = this.#member(deviceId);
    this.#control('anomaly', deviceId, anomaly);
    m.patient.injectAnomaly({ kind: anomaly.kind, startMs: m.device.clock.now(), durationMs: anomaly.durationMs, severity: anomaly.severity ?? 1 });
  }

  /** Skews a device's clock by `ms` (positive: ahead). */
  skewClock(deviceId: string, ms: number): void {
    this.#control('clock-skew', deviceId, { ms });
    this.#member(deviceId).device.clock.skew(ms);
  }

  /** Starts a network outage on one network profile's path (every MQTT device using it). */
  networkOutage(network: string, outage: { durationMs: number; mode: 'blackhole' | 'reset' | 'refuse' }): void {
    const proxy = this.#proxies.get(network);
    if (proxy === undefined) throw new UnknownFleetDeviceError(`no device uses network ${network}`);
    this.#control('network-outage', network, outage);
    // Settles when the outage ends; the caller does not wait for that.
    void proxy.outage(outage);
  }

  /** The state of one device, or of all. */
  view(deviceId: string): DeviceView {
    const m = this.#member(deviceId);
    const d = m.device;
    return {
      deviceId,
      model: m.group.model,
      transport: m.transport,
      network: m.network,
      patientProfile: m.patientProfile,
      state: d.state,
      operatingState: OperatingState[d.operatingState].replace('OPERATING_STATE_', '').toLowerCase(),
      queued: d.state === 'off' ? 0 : d.queued,
      batteryPercent: Math.round(d.battery.percent),
      clockOffsetMs: Math.round(d.clock.now() - (this.#o.now ?? Date.now)()),
      counters: { ...d.counters },
    };
  }

  /** Every device's state. */
  views(): DeviceView[] {
    return [...this.#members.keys()].map((id) => this.view(id));
  }

  #member(deviceId: string): Member {
    const m = this.#members.get(deviceId);
    if (m === undefined) throw new UnknownFleetDeviceError(`no device ${deviceId} in this fleet`, { details: { deviceId } });
    return m;
  }

  #link(transport: 'mqtt' | 'ble', network: string | undefined, ctx: Parameters<LinkFactory>[0]): ReturnType<LinkFactory> {
    if (transport === 'ble') {
      if (this.#o.links.ble === undefined) throw new UnknownFleetDeviceError('this fleet has no BLE radio (run it beside a gateway with a BLE central)');
      return this.#o.links.ble(ctx);
    }
    const target = this.#o.links.mqtt;
    if (target === undefined) throw new UnknownFleetDeviceError('this fleet has no MQTT gateway address');
    const proxy = network === undefined || network === 'ideal' ? undefined : this.#proxies.get(network);
    const port = proxy?.port ?? target.port;
    return new MqttLink({ deviceId: ctx.deviceId, host: target.host, port, secureContext: ctx.keystore.tlsSecureContext(ctx.enrolment) });
  }

  /** Clears a controlled device's safe mode: the local action (device button, clinic programmer). */
  clearSafeMode(deviceId: string, source: LocalClearance['source']): void {
    const device = this.#member(deviceId).device;
    if (!(device instanceof ControlledDevice)) throw new UnknownFleetDeviceError(`${deviceId} is not a controlled device`, { details: { deviceId } });
    this.#control('clear-safe-mode', deviceId, { source });
    device.clearSafeMode({ source });
  }

  /** Opens the fault proxies of the networks the spec uses (start() calls it). */
  async openNetworks(): Promise<void> {
    const target = this.#o.links.mqtt;
    if (target === undefined) return;
    for (const m of this.#members.values()) {
      if (this.#proxies.has(m.network ?? '')) continue;
      if (m.network === undefined || m.network === 'ideal' || this.#proxies.has(m.network)) continue;
      const profile = NETWORK_PROFILES[m.network as keyof typeof NETWORK_PROFILES];
      const proxy = new FaultProxy({ target, profile, seed: this.#o.spec.seed });
      await proxy.listen(0, '127.0.0.1');
      this.#proxies.set(m.network, proxy);
    }
  }

  #wire(deviceId: string, device: SimulatedDevice): void {
    device.on('state', (state) => this.#emit({ kind: 'state', deviceId, state, atMs: Date.now() }));
    device.on('operating-state', (state) => this.#emit({ kind: 'operating-state', deviceId, state: OperatingState[state], atMs: Date.now() }));
    device.on('produced', (message) => {
      if (message.priority === 'alarm') this.#emit({ kind: 'produced', deviceId, channel: message.channel, priority: message.priority, atMs: Date.now() });
    });
    device.on('dropped', (count, reason) => this.#emit({ kind: 'dropped', deviceId, count, reason, atMs: Date.now() }));
    device.on('security-event', (type, code) => this.#emit({ kind: 'security-event', deviceId, type: SecurityEventType[type], code, atMs: Date.now() }));
    device.on('error', (error) => this.#o.logger?.warn({ deviceId, err: error }, 'device error'));
    void AlarmCode;
  }

  #control(action: string, target: string, detail?: object): void {
    this.#emit({ kind: 'control', action, target, ...(detail === undefined ? {} : { detail: { ...detail } }), atMs: Date.now() });
  }

  #emit(event: FleetEvent): void {
    this.emit('event', event);
  }
}

/** FNV-1a 32-bit of a string (stable seed spreading; not for security). */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
