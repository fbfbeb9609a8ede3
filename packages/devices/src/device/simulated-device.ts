/**
 * The firmware runtime every simulated device shares: power, boot, enrolment, the link with its
 * jittered reconnect, the HPKE session, sealing, the store-and-forward queue on simulated flash,
 * the downlink (therapy commands), status reports and the device's own event log. A model (one file
 * per model) adds what it measures or does through `cycle()` and, for controlled devices,
 * `handleCommand()`.
 *
 * Exactly once (issue 4): a produced message is appended to the flash queue before anything is
 * sent, and leaves the queue only after the gateway's durable acknowledgement (PUBACK after commit,
 * BLE `delivered`). A message is sealed once; its sealed bytes are what the queue keeps, so every
 * resend is byte-identical and the gateway stores it once (UNIQUE device, key id, stream, sequence).
 * While the device has no session (offline since boot) a message waits in the queue as plaintext
 * protected at rest by the keystore, and is sealed when a session exists: the sealed copy is
 * appended before the protected one is acknowledged, and carries its origin id, so a power cut
 * between the two never sends it twice (recovery drops the protected copy).
 */
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KeyCache, initiateSession, type PublicJwks, type SecureSession } from '@medsim/crypto';
import { AlarmCode, AlarmPriority, AlarmState, CommandStatus, ContentType, STREAM_IDS, SecurityEventType, Severity, OperatingState, decodeMessage, encodeMessage, type Channel, type MessageFields } from '@medsim/protocol';
import type { Logger } from 'pino';
import { DeviceNotRunningError } from '../errors.js';
import { DeviceFirmware, type DeviceFirmwareOptions } from '../firmware/device-firmware.js';
import type { CheckOutcome, UpdateAgentEvent } from '../firmware/update-agent.js';
import type { DeviceLink } from '../link/device-link.js';
import { ReconnectBackoff } from '../network/backoff.js';
import { Battery } from '../runtime/battery.js';
import { DeviceClock } from '../runtime/device-clock.js';
import { Keystore } from '../runtime/keystore.js';
import { StoreAndForwardQueue } from '../runtime/store-and-forward-queue.js';
import { SeededRandom } from '../physiology/seeded-random.js';
import type { DeviceModelInfo, Produced, UplinkChannel } from './device-model.js';

/** Lifecycle of a device. */
export type DeviceState = 'off' | 'booting' | 'connecting' | 'handshaking' | 'online' | 'offline';

/** What enrolment returns to a device. */
export interface DeviceEnrolment {
  readonly certificatePem: string;
  readonly caCertificatePem: string;
  readonly gatewayIdentity: PublicJwks;
  /** The gateway's therapy-command signing key (controlled devices verify commands with it). */
  readonly commandSigner?: PublicJwks['signing'];
  /** The gateway's firmware director key (devices with firmware updates verify instructions with it). */
  readonly directorKey?: PublicJwks['signing'];
}

/** Enrols a device with a gateway (the fleet uses the gateway's HTTP API and a one-time token). */
export type Provisioner = (request: { deviceId: string; model: string; csrPem: string; identity: PublicJwks }) => Promise<DeviceEnrolment>;

/** Builds the link once the device has its keys (the keystore makes the TLS context). */
export type LinkFactory = (device: { deviceId: string; keystore: Keystore; enrolment: DeviceEnrolment }) => DeviceLink;

/** Events a device emits (the fleet turns them into JSON lines). */
export interface DeviceEvents {
  state: [state: DeviceState];
  produced: [message: Produced, summary: Record<string, unknown>];
  delivered: [count: number];
  dropped: [count: number, reason: string];
  'security-event': [type: SecurityEventType, code: string];
  'operating-state': [state: OperatingState];
  error: [error: Error];
}

/** Options every model takes. */
export interface SimulatedDeviceOptions {
  readonly deviceId: string;
  /** The device's own directory: keystore and flash live here and survive power cycles. */
  readonly dataDir: string;
  readonly seed: number;
  readonly provisioner: Provisioner;
  readonly link: LinkFactory;
  /** Base clock (the fleet's); the device clock drifts from it. */
  readonly now?: () => number;
  /** Crystal drift of the device clock, parts per million. */
  readonly clockDriftPpm?: number;
  readonly logger?: Logger;
  /** Flash capacity, bytes (default 256 KiB). */
  readonly flashBytes?: number;
  /** fsync each flash commit (default true; benchmarks turn it off). */
  readonly durable?: boolean;
  /** Multiplies the model's cycle (tests run models fast). */
  readonly cycleScale?: number;
  /** Reconnect back-off bounds, milliseconds. */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Messages sent and not yet acknowledged at once (MQTT in-flight window). */
  readonly window?: number;
  /** Bootloader, TUF trust and update agent (issue 5); without it the device takes no updates. */
  readonly firmware?: DeviceFirmwareOptions;
}

/**
 * One entry of the device's own event log (maintenance.proto LogEntry): identifiers only. No
 * value, no free text, no patient data: what happened, where, when, and a stable code.
 */
export interface DeviceLogEntry {
  /** Device clock, ms since the epoch. */
  readonly atMs: number;
  readonly severity: Severity;
  /** Firmware component: "power", "enrolment", "link", "session", "flash", "battery", "security", "command", "state", or a model's own. */
  readonly component: string;
  /** Event identifier, "<component>.<what>" (lower-case a-z, 0-9, ".", "-", "_"). */
  readonly event: string;
  /** A stable ERR_ code when the event is a failure; empty otherwise. */
  readonly code: string;
}

/**
 * Entries the event log keeps; the oldest are overwritten. 500 entries of about 100 bytes: 50 KiB
 * of RAM, days of a quiet device, and 2.5 uploads of the protocol's 200 entries.
 */
export const EVENT_LOG_CAPACITY = 500;

/** maintenance.proto's identifier and code rules (the report validator refuses anything else). */
const LOG_IDENTIFIER = /^[a-z0-9][a-z0-9._-]*$/;
const LOG_CODE = /^ERR_[A-Z0-9_]+$/;

/** "SECURITY_EVENT_TYPE_REPLAY_DETECTED" → "replay-detected" (an enum name as a log identifier). */
const enumIdentifier = (name: string | undefined, prefix: string): string => (name ?? 'unknown').replace(prefix, '').toLowerCase().replaceAll('_', '-');

/** At most one STORAGE_DROP report per minute of device time (per reason). */
const DROP_REPORT_INTERVAL_MS = 60_000;

/**
 * Sessions in a row a queued message may fail in before the device gives it up (the bounded retry
 * of a message the gateway refuses for good). A failure is: over MQTT, a session (handshake done)
 * that ended with this message the first one sent and nothing at all delivered (MQTT 3.1.1 has no
 * negative PUBACK: the gateway refuses by closing the connection); over BLE, an explicit `refused`.
 * A gateway that is down, or a link that drops before the session is up, counts nothing.
 */
export const UNDELIVERABLE_AFTER_SESSIONS = 5;

const KIND_SEALED = 1;
const KIND_PROTECTED = 2;
/** Queue item = kind (1 byte) | origin id (8 bytes, BE) | body. */
const ITEM_HEADER = 9;

const itemOf = (kind: number, origin: bigint, body: Uint8Array): Uint8Array => {
  const out = Buffer.allocUnsafe(ITEM_HEADER + body.length);
  out[0] = kind;
  out.writeBigUInt64BE(origin, 1);
  out.set(body, ITEM_HEADER);
  return out;
};

/** The shared firmware runtime; models extend it. */
export abstract class SimulatedDevice extends EventEmitter<DeviceEvents> {
  readonly deviceId: string;
  readonly options: SimulatedDeviceOptions;
  readonly clock: DeviceClock;
  readonly random: SeededRandom;
  readonly battery: Battery;
  #state: DeviceState = 'off';
  #operating: OperatingState = OperatingState.OPERATING_STATE_NORMAL;
  #keystore: Keystore | undefined;
  #queue: StoreAndForwardQueue | undefined;
  #firmware: DeviceFirmware | undefined;
  #updateTimer: NodeJS.Timeout | undefined;
  #enrolment: DeviceEnrolment | undefined;
  #link: DeviceLink | undefined;
  #session: SecureSession | undefined;
  #cycleTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #backoff: ReconnectBackoff;
  #pumping = false;
  #inflight = new Set<number>();
  #bootedAtMs = 0;
  #nextOrigin = 0n;
  #batteryLow = false;
  #unreportedDrops = 0;
  #lastDropReportMs = Number.NEGATIVE_INFINITY;
  #unreportedUndeliverable = 0;
  #lastUndeliverableReportMs = Number.NEGATIVE_INFINITY;
  /** Sessions since power-on (numbers the per-session bookkeeping below). */
  #sessionNumber = 0;
  /** The first message sent in the current session, and whether anything was delivered in it. */
  #sessionHead: number | undefined;
  #sessionDelivered = false;
  /** Messages refused (BLE) in the current session: not resent until the next one. */
  #refusedInSession = new Set<number>();
  /** The message that failed in the latest sessions, and in how many in a row (RAM: a reboot starts over). */
  #failing: { id: number; sessions: number; lastSession: number } | undefined;
  /** The event log ring: `#events[#eventsHead]` is the oldest once the ring is full. */
  #events: DeviceLogEntry[] = [];
  #eventsHead = 0;
  protected readonly log: Logger | undefined;
  /** Counters for status, the fleet and tests. */
  readonly counters = { produced: 0, delivered: 0, dropped: 0, sessions: 0, reconnects: 0, refusedCommands: 0 };

  constructor(options: SimulatedDeviceOptions) {
    super();
    this.deviceId = options.deviceId;
    this.options = options;
    this.random = new SeededRandom(options.seed).fork(`device:${options.deviceId}`);
    this.clock = new DeviceClock({ base: options.now ?? Date.now, driftPpm: options.clockDriftPpm ?? 0 });
    this.battery = new Battery(this.batteryProfile());
    this.log = options.logger?.child({ component: 'device', deviceId: options.deviceId });
    const rng = this.random.fork('backoff');
    this.#backoff = new ReconnectBackoff({ baseMs: options.backoff?.baseMs ?? 500, maxMs: options.backoff?.maxMs ?? 30_000, random: () => rng.next() });
  }

  /** What this model is. */
  abstract get info(): DeviceModelInfo;

  /** One measurement or report cycle at device time `nowMs`: what the model produced. */
  protected abstract cycle(nowMs: number): Produced[];

  /** The battery of this model (override for a coin cell or mains power). */
  protected batteryProfile(): ConstructorParameters<typeof Battery>[0] {
    return {};
  }

  /** A therapy command arrived (sealed payload opened); controlled devices override. */
  protected handleCommand(_signedCommand: Uint8Array): Produced[] {
    // Monitoring devices take no commands: refused, reported as a security event.
    return [this.securityEvent(SecurityEventType.SECURITY_EVENT_TYPE_COMMAND_REJECTED, Severity.SEVERITY_MEDIUM, 'ERR_THERAPY_NOT_SUPPORTED')];
  }

  /** Lifecycle state. */
  get state(): DeviceState {
    return this.#state;
  }

  /** Operating state reported in DeviceStatus (normal, safe mode, service, ...). */
  get operatingState(): OperatingState {
    return this.#operating;
  }

  /** Messages waiting in flash for the gateway's acknowledgement. */
  get queued(): number {
    return this.#queue?.size ?? 0;
  }

  /** The keystore (only after power-on). */
  get keystore(): Keystore {
    if (this.#keystore === undefined) throw new DeviceNotRunningError(`${this.deviceId} is off`);
    return this.#keystore;
  }

  /** The enrolment (after the first boot). */
  get enrolment(): DeviceEnrolment {
    if (this.#enrolment === undefined) throw new DeviceNotRunningError(`${this.deviceId} is not enrolled`);
    return this.#enrolment;
  }

  /**
   * The device's event log, oldest first: entries at or after `sinceMs` (device clock), the newest
   * `max` of them. Identifiers only (DeviceLogEntry), frozen. The log lives in RAM: a power cycle
   * starts a new one (a power cut would lose it), and it holds at most EVENT_LOG_CAPACITY entries.
   */
  eventLog(sinceMs = 0, max = EVENT_LOG_CAPACITY): readonly DeviceLogEntry[] {
    const ordered = [...this.#events.slice(this.#eventsHead), ...this.#events.slice(0, this.#eventsHead)];
    const since = ordered.filter((entry) => entry.atMs >= sinceMs);
    const count = Math.floor(max);
    return count > 0 ? since.slice(-count) : [];
  }

  /**
   * Records one event in the log. Components and events are the firmware's fixed identifiers; an
   * identifier that does not fit maintenance.proto's rule is not recorded (the log never holds
   * free text), and a code that is not a stable ERR_ code is recorded empty.
   */
  protected recordEvent(severity: Severity, component: string, event: string, code = ''): void {
    if (!LOG_IDENTIFIER.test(component) || component.length > 32 || !LOG_IDENTIFIER.test(event) || event.length > 64) {
      this.log?.debug({ component, event }, 'event not logged: not an identifier');
      return;
    }
    const entry: DeviceLogEntry = Object.freeze({ atMs: this.clock.now(), severity, component, event, code: LOG_CODE.test(code) && code.length <= 64 ? code : '' });
    if (this.#events.length < EVENT_LOG_CAPACITY) {
      this.#events.push(entry);
      return;
    }
    this.#events[this.#eventsHead] = entry;
    this.#eventsHead = (this.#eventsHead + 1) % EVENT_LOG_CAPACITY;
  }

  /** Powers on: opens keystore and flash, enrols on first boot, starts cycles and the link. */
  async powerOn(): Promise<void> {
    if (this.#state !== 'off') return;
    this.#setState('booting');
    // RAM: a new log per power-on.
    this.#events = [];
    this.#eventsHead = 0;
    this.recordEvent(Severity.SEVERITY_INFO, 'power', 'power.on');
    mkdirSync(this.options.dataDir, { recursive: true, mode: 0o700 });
    this.#keystore = await Keystore.openOrCreate(join(this.options.dataDir, 'keystore'), this.deviceId);
    this.#queue = StoreAndForwardQueue.open(join(this.options.dataDir, 'flash'), {
      capacityBytes: this.options.flashBytes ?? 256 * 1024,
      durability: this.options.durable === false ? 'none' : 'fsync',
    });
    this.#queue.on('dropped', (count: number, reason: string) => {
      this.counters.dropped += count;
      this.emit('dropped', count, reason);
      // Reported to the gateway by the next cycle, at most once a minute (a report on a full flash
      // is itself an append that may drop: reporting each drop at once could feed itself).
      // Logged once per report period (the STORAGE_DROP report is logged as a security event).
      if (this.#unreportedDrops === 0) this.recordEvent(Severity.SEVERITY_MEDIUM, 'flash', 'queue.dropped', 'ERR_QUEUE_DROPPED');
      this.#unreportedDrops += count;
    });
    this.#recoverQueue();
    this.#enrolment = this.#keystore.enrolment() ?? (await this.#enrol());
    this.#bootedAtMs = this.clock.now();
    if (this.options.firmware !== undefined && (await this.#bootFirmware(this.options.firmware))) {
      // A trial image failed its health check and was reverted: boot again into the old one.
      setImmediate(() => void this.powerCycle().catch((error: unknown) => this.emit('error', error as Error)));
      return;
    }
    await this.onBoot();
    this.recordEvent(Severity.SEVERITY_INFO, 'power', 'boot.completed');
    const period = Math.max(10, this.info.cycleMs * (this.options.cycleScale ?? 1));
    this.#cycleTimer = setInterval(() => this.runCycle(), period);
    this.#cycleTimer.unref();
    void this.#connect();
  }

  /** Powers off at once, as a power cut would: timers stop, the link drops, flash keeps what it has. */
  async powerOff(): Promise<void> {
    if (this.#state === 'off') return;
    clearInterval(this.#updateTimer);
    this.#updateTimer = undefined;
    this.#firmware?.close();
    this.#firmware = undefined;
    clearInterval(this.#cycleTimer);
    clearTimeout(this.#reconnectTimer);
    this.#cycleTimer = undefined;
    this.#reconnectTimer = undefined;
    const link = this.#link;
    this.#link = undefined;
    this.#session = undefined;
    this.#inflight.clear();
    this.#setState('off');
    await (link?.powerOff?.() ?? link?.close());
    this.#queue?.close();
    this.#queue = undefined;
    this.onPowerOff();
  }

  /** Power cycle (the fleet's control surface). */
  async powerCycle(): Promise<void> {
    await this.powerOff();
    await this.powerOn();
  }

  /** Runs one cycle now (tests, and the timer). */
  runCycle(): void {
    if (this.#state === 'off') return;
    try {
      const now = this.clock.now();
      this.battery.consume({ measurements: 1, idleMs: this.info.cycleMs });
      if (this.battery.low !== this.#batteryLow) {
        this.#batteryLow = this.battery.low;
        this.recordEvent(this.#batteryLow ? Severity.SEVERITY_MEDIUM : Severity.SEVERITY_INFO, 'battery', this.#batteryLow ? 'battery.low' : 'battery.ok');
        this.produce(
          this.alarmMessage({ code: AlarmCode.ALARM_CODE_BATTERY_LOW, priority: AlarmPriority.ALARM_PRIORITY_MEDIUM, state: this.#batteryLow ? AlarmState.ALARM_STATE_ACTIVE : AlarmState.ALARM_STATE_CLEARED, atMs: now }),
        );
      }
      for (const message of this.cycle(now)) this.produce(message);
      if (this.#unreportedDrops > 0 && now - this.#lastDropReportMs >= DROP_REPORT_INTERVAL_MS) {
        // The full-flash policy dropped readings: the gateway is told (alarm priority, so it is kept).
        const count = this.#unreportedDrops;
        this.#unreportedDrops = 0;
        this.#lastDropReportMs = now;
        this.produce(this.securityEvent(SecurityEventType.SECURITY_EVENT_TYPE_STORAGE_DROP, Severity.SEVERITY_MEDIUM, 'ERR_QUEUE_DROPPED', `${count} dropped`));
      }
      if (this.#unreportedUndeliverable > 0 && now - this.#lastUndeliverableReportMs >= DROP_REPORT_INTERVAL_MS) {
        // Messages the gateway refused for good were given up: the gateway is told why they are missing.
        const count = this.#unreportedUndeliverable;
        this.#unreportedUndeliverable = 0;
        this.#lastUndeliverableReportMs = now;
        this.produce(this.securityEvent(SecurityEventType.SECURITY_EVENT_TYPE_STORAGE_DROP, Severity.SEVERITY_MEDIUM, 'ERR_QUEUE_UNDELIVERABLE', `${count} undeliverable`));
      }
      this.#link?.afterCycle?.();
    } catch (error) {
      this.emit('error', error as Error);
    }
  }

  /** The version that runs: the booted image's with firmware updates, else the model's. */
  get firmwareVersion(): string {
    return this.#firmware?.runningVersion ?? this.info.firmwareVersion;
  }

  /** The OTP security counter (undefined without firmware updates). */
  get securityCounter(): number | undefined {
    return this.#firmware?.securityCounter;
  }

  /**
   * Checks for an update now (the timer does it every `firmware.checkIntervalMs`). An installed
   * update reboots the device into its trial before this resolves.
   */
  async checkForUpdate(): Promise<CheckOutcome> {
    const firmware = this.#firmware;
    if (firmware === undefined) return { kind: 'none' };
    const outcome = await firmware.check();
    if (outcome.kind === 'installed' && this.#firmware === firmware) await this.powerCycle();
    return outcome;
  }

  /**
   * Opens the bootloader and boots (secure boot), reports what the boot met, and settles a trial.
   * True when the device must reboot (a reverted trial).
   */
  async #bootFirmware(options: DeviceFirmwareOptions): Promise<boolean> {
    const firmware = await DeviceFirmware.open(options, {
      deviceId: this.deviceId,
      model: this.info.model,
      dataDir: this.options.dataDir,
      secureContext: this.keystore.tlsSecureContext(),
      directorKey: this.enrolment.directorKey,
      now: () => this.clock.now(),
      onEvent: (event) => this.#onUpdateEvent(event),
    });
    this.#firmware = firmware;
    for (const event of firmware.boot.events) {
      if (event.kind === 'slot-refused') this.produce(this.securityEvent(SecurityEventType.SECURITY_EVENT_TYPE_FIRMWARE_REJECTED, Severity.SEVERITY_HIGH, event.code));
    }
    if (firmware.boot.mode === 'safe') {
      // No image passed secure boot: no application runs; the device says so and waits for service.
      this.setOperatingState(OperatingState.OPERATING_STATE_SAFE_MODE);
      this.produce(this.securityEvent(SecurityEventType.SECURITY_EVENT_TYPE_SAFE_MODE_ENTERED, Severity.SEVERITY_CRITICAL, firmware.boot.error.code));
      return false;
    }
    if (await firmware.settle(() => this.postUpdateSelfTest())) return true;
    const interval = options.checkIntervalMs ?? 3_600_000;
    if (interval > 0) {
      this.#updateTimer = setInterval(() => void this.checkForUpdate().catch((error: unknown) => this.emit('error', error as Error)), interval);
      this.#updateTimer.unref();
    }
    return false;
  }

  #onUpdateEvent(event: UpdateAgentEvent): void {
    switch (event.kind) {
      case 'refused':
        this.recordEvent(Severity.SEVERITY_MEDIUM, 'firmware', 'update.refused', event.code);
        this.produce(this.securityEvent(SecurityEventType.SECURITY_EVENT_TYPE_FIRMWARE_REJECTED, Severity.SEVERITY_HIGH, event.code, event.stage));
        break;
      case 'installed':
        this.recordEvent(Severity.SEVERITY_INFO, 'firmware', 'update.installed');
        break;
      case 'confirmed':
        this.recordEvent(Severity.SEVERITY_INFO, 'firmware', 'update.confirmed');
        break;
      case 'reverted':
        this.recordEvent(Severity.SEVERITY_MEDIUM, 'firmware', 'update.reverted', event.code);
        break;
    }
  }

  /**
   * Hook: the model's own checks after a firmware update's trial boot (its hardware, as the new
   * firmware drives it); false fails the health check and the update reverts. Default: passes.
   */
  protected postUpdateSelfTest(): boolean {
    return true;
  }

  /** Hook: after boot and enrolment (models open their own state). */
  protected onBoot(): void | Promise<void> {}

  /** Hook: at power-off. */
  protected onPowerOff(): void {}

  /** Changes the reported operating state (safe mode, service, suspended ...). */
  protected setOperatingState(state: OperatingState): void {
    if (this.#operating === state) return;
    this.#operating = state;
    this.recordEvent(Severity.SEVERITY_INFO, 'state', `state.${enumIdentifier(OperatingState[state], 'OPERATING_STATE_')}`);
    this.emit('operating-state', state);
  }

  /** Hands produced messages to the queue (models that act outside their cycle, e.g. on a local button). */
  protected produceAll(messages: readonly Produced[]): void {
    for (const message of messages) this.produce(message);
  }

  /** Hands one produced message to the queue (sealed now when a session can seal). */
  protected produce(message: Produced, summary: Record<string, unknown> = {}): void {
    const queue = this.#queue;
    if (queue === undefined) return;
    this.counters.produced += 1;
    const origin = this.#origin();
    const session = this.#usableSession();
    const item =
      session === undefined
        ? itemOf(KIND_PROTECTED, origin, this.#protect(message, origin))
        : itemOf(KIND_SEALED, origin, session.seal(message.contentType, message.payload, { streamId: message.streamId }));
    queue.append({ channel: message.channel, priority: message.priority, bytes: item });
    if (message.contentType === ContentType.CONTENT_TYPE_THERAPY_COMMAND_ACK) this.#recordDecision(message.payload);
    this.emit('produced', message, summary);
    this.#pump();
  }

  /** A SecurityEvent message (events stream, alarm priority). */
  protected securityEvent(type: SecurityEventType, severity: Severity, code: string, subject = ''): Produced {
    this.recordEvent(severity, 'security', `security.${enumIdentifier(SecurityEventType[type], 'SECURITY_EVENT_TYPE_')}`, code);
    this.emit('security-event', type, code);
    this.log?.warn({ type: SecurityEventType[type], code }, 'security event');
    return {
      channel: 'events',
      contentType: ContentType.CONTENT_TYPE_SECURITY_EVENT,
      streamId: STREAM_IDS.events,
      payload: encodeMessage('SecurityEvent', { type, severity, errorCode: code, atMs: this.clock.now(), subject }),
      priority: 'alarm',
    };
  }

  /** A DeviceStatus message (control stream). */
  protected statusMessage(rssiDbm = 0): Produced {
    const now = this.clock.now();
    const status: MessageFields['DeviceStatus'] = {
      model: this.info.model,
      firmwareVersion: this.firmwareVersion,
      state: this.#operating,
      batteryPercent: Math.round(this.battery.percent),
      uptimeS: Math.max(0, Math.floor((now - this.#bootedAtMs) / 1000)),
      clockOffsetMs: Math.round(now - (this.options.now ?? Date.now)()),
      queuedReadings: this.queued,
      rssiDbm,
    };
    return { channel: 'status', contentType: ContentType.CONTENT_TYPE_DEVICE_STATUS, streamId: STREAM_IDS.control, payload: encodeMessage('DeviceStatus', status), priority: 'normal' };
  }

  /** A reading message (numerics stream). */
  protected readingMessage(reading: MessageFields['VitalSignReading']): Produced {
    return {
      channel: 'telemetry',
      contentType: ContentType.CONTENT_TYPE_VITAL_SIGN_READING,
      streamId: STREAM_IDS.numerics,
      payload: encodeMessage('VitalSignReading', reading),
      priority: 'normal',
    };
  }

  /** An Alarm message (events stream, alarm priority). */
  protected alarmMessage(alarm: MessageFields['Alarm']): Produced {
    return { channel: 'status', contentType: ContentType.CONTENT_TYPE_ALARM, streamId: STREAM_IDS.events, payload: encodeMessage('Alarm', alarm), priority: 'alarm' };
  }

  #setState(state: DeviceState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }

  /** Logs the decision a command acknowledgement carries: its status and reason code (not its action or values). */
  #recordDecision(signedAck: Uint8Array): void {
    try {
      const ack = decodeMessage('TherapyCommandAck', decodeMessage('SignedTherapyCommandAck', signedAck).ack);
      const executed = ack.status === CommandStatus.COMMAND_STATUS_EXECUTED;
      this.recordEvent(executed ? Severity.SEVERITY_INFO : Severity.SEVERITY_MEDIUM, 'command', `command.${enumIdentifier(CommandStatus[ack.status], 'COMMAND_STATUS_')}`, ack.reasonCode);
    } catch {
      // The device's own ack: it always decodes; a log entry is not worth a failure here.
    }
  }

  #origin(): bigint {
    this.#nextOrigin += 1n;
    return this.#nextOrigin;
  }

  async #enrol(): Promise<DeviceEnrolment> {
    const keystore = this.keystore;
    const enrolment = await this.options.provisioner({ deviceId: this.deviceId, model: this.info.model, csrPem: keystore.csrPem, identity: keystore.publicIdentity() });
    await keystore.saveEnrolment(enrolment);
    this.recordEvent(Severity.SEVERITY_INFO, 'enrolment', 'enrolment.completed');
    return enrolment;
  }

  /** A session that may still seal (not past its age or message limit). */
  #usableSession(): SecureSession | undefined {
    const session = this.#session;
    if (session === undefined || session.needsRekey()) return undefined;
    return session;
  }

  /** Plaintext kept until a session exists: channel, content type, stream, payload, under the keystore's at-rest key. */
  #protect(message: Produced, origin: bigint): Uint8Array {
    const channel = Buffer.from(message.channel, 'utf8');
    const plain = Buffer.concat([Buffer.of(channel.length), channel, Buffer.of(message.contentType, message.streamId), message.payload]);
    return this.keystore.protect(plain, `queue:${origin}`);
  }

  #unprotect(body: Uint8Array, origin: bigint): { channel: UplinkChannel; contentType: ContentType; streamId: number; payload: Uint8Array } {
    const plain = this.keystore.unprotect(body, `queue:${origin}`);
    const length = plain[0]!;
    return {
      channel: plain.subarray(1, 1 + length).toString('utf8') as UplinkChannel,
      contentType: plain[1 + length] as ContentType,
      streamId: plain[2 + length]!,
      payload: plain.subarray(3 + length),
    };
  }

  /** After a power cut: a protected copy whose sealed copy exists is dropped (never sent twice). */
  #recoverQueue(): void {
    const queue = this.#queue!;
    const items = queue.peek(Number.MAX_SAFE_INTEGER);
    const sealedOrigins = new Set<bigint>();
    for (const item of items) {
      const origin = Buffer.from(item.bytes).readBigUInt64BE(1);
      if (origin > this.#nextOrigin) this.#nextOrigin = origin;
      if (item.bytes[0] === KIND_SEALED) sealedOrigins.add(origin);
    }
    for (const item of items) {
      if (item.bytes[0] === KIND_PROTECTED && sealedOrigins.has(Buffer.from(item.bytes).readBigUInt64BE(1))) queue.ack(item.id);
    }
  }

  async #connect(): Promise<void> {
    if (this.#state === 'off' || this.#link !== undefined) return;
    this.#setState('connecting');
    let link: DeviceLink;
    try {
      link = this.options.link({ deviceId: this.deviceId, keystore: this.keystore, enrolment: this.enrolment });
    } catch (error) {
      // No way to build a link (e.g. no radio for a BLE device): report it and stay offline.
      this.recordEvent(Severity.SEVERITY_MEDIUM, 'link', 'link.unavailable', (error as { code?: string } | null)?.code);
      this.#setState('offline');
      this.emit('error', error as Error);
      return;
    }
    this.#link = link;
    link.on('message', (channel, bytes) => this.#onDownlink(channel, bytes));
    link.once('down', (reason) => this.#linkDown(link, reason));
    try {
      await link.open();
      if (this.#link !== link) return;
      this.recordEvent(Severity.SEVERITY_INFO, 'link', 'link.up');
      this.#setState('handshaking');
      this.#session = await this.#handshake(link);
      this.counters.sessions += 1;
      this.recordEvent(Severity.SEVERITY_INFO, 'session', 'session.opened');
      this.#backoff.reset();
      this.#sessionNumber += 1;
      this.#sessionHead = undefined;
      this.#sessionDelivered = false;
      this.#refusedInSession.clear();
      this.#setState('online');
      this.produce(this.statusMessage());
      this.#pump();
    } catch (error) {
      this.log?.debug({ err: error }, 'connection attempt failed');
      this.#linkDown(link, (error as Error).message);
    }
  }

  #linkDown(link: DeviceLink, reason: string): void {
    if (this.#link !== link) return;
    // A session that came up, sent, and delivered nothing: its first message may be what the
    // gateway refuses (it closes the connection on a refusal). Counted once per session.
    if (this.#state === 'online' && !this.#sessionDelivered && this.#sessionHead !== undefined) this.#failedInSession(this.#sessionHead);
    this.#link = undefined;
    this.#inflight.clear();
    link.removeAllListeners('message');
    link.removeAllListeners('down');
    link.removeAllListeners('up');
    void link.close().catch(() => undefined);
    if (this.#state === 'off') return;
    // The reason is free text (a socket error message): the log keeps the fact, not the text.
    this.recordEvent(Severity.SEVERITY_LOW, 'link', 'link.down', 'ERR_LINK_DOWN');
    this.#setState('offline');
    this.log?.debug({ reason }, 'link down');
    this.counters.reconnects += 1;
    this.#reconnectTimer = setTimeout(() => void this.#connect(), this.#backoff.next());
    this.#reconnectTimer.unref();
  }

  async #handshake(link: DeviceLink): Promise<SecureSession> {
    const gateway = await new KeyCache().importPublicIdentity(this.enrolment.gatewayIdentity);
    const pending = initiateSession({ device: this.keystore.sessionIdentity(), deviceId: this.deviceId, gateway, now: () => this.clock.now() });
    const accept = new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        link.off('message', onMessage);
        reject(new Error('no SessionAccept in time'));
      }, 15_000);
      const onMessage = (channel: Channel, bytes: Uint8Array): void => {
        if (channel !== 'sessionAccept') return;
        clearTimeout(timer);
        link.off('message', onMessage);
        resolve(bytes);
      };
      link.on('message', onMessage);
      link.once('down', () => {
        clearTimeout(timer);
        link.off('message', onMessage);
        reject(new Error('link down during the handshake'));
      });
    });
    accept.catch(() => undefined);
    await link.send('session', pending.message);
    return pending.complete(await accept);
  }

  #onDownlink(channel: Channel, bytes: Uint8Array): void {
    if (channel !== 'commands') return;
    const session = this.#session;
    if (session === undefined) return;
    let opened;
    try {
      opened = session.open(bytes);
    } catch (error) {
      // Not from the gateway's session (or replayed at the envelope layer): nothing is executed.
      this.produce(this.securityEvent(SecurityEventType.SECURITY_EVENT_TYPE_INTEGRITY_FAILURE, Severity.SEVERITY_HIGH, (error as { code?: string }).code ?? 'ERR_CRYPTO'));
      return;
    }
    if (opened.header.contentType !== ContentType.CONTENT_TYPE_THERAPY_COMMAND) return;
    for (const message of this.handleCommand(opened.plaintext)) this.produce(message);
  }

  /** Sends queued messages while the link is up, within the in-flight window. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      const link = this.#link;
      const queue = this.#queue;
      if (link === undefined || queue === undefined || this.#state !== 'online' || this.#session === undefined) return;
      const window = this.options.window ?? 16;
      if (this.#inflight.size >= window) return;
      for (const item of queue.peek(window + this.#inflight.size)) {
        if (this.#inflight.size >= window) break;
        if (this.#inflight.has(item.id) || this.#refusedInSession.has(item.id)) continue;
        let bytes: Uint8Array = item.bytes;
        let id = item.id;
        if (bytes[0] === KIND_PROTECTED) {
          // Seal now; the sealed copy is durable before the protected one goes.
          const origin = Buffer.from(bytes).readBigUInt64BE(1);
          const message = this.#unprotect(bytes.subarray(ITEM_HEADER), origin);
          const sealed = itemOf(KIND_SEALED, origin, this.#session.seal(message.contentType, message.payload, { streamId: message.streamId }));
          const sealedId = queue.append({ channel: item.channel, priority: item.priority, bytes: sealed });
          // Refused only when the flash is full of alarms and this is a reading: dropped, reported.
          queue.ack(item.id);
          if (sealedId === undefined) continue;
          id = sealedId;
          bytes = sealed;
        }
        this.#inflight.add(id);
        this.#sessionHead ??= id;
        const envelope = bytes.subarray(ITEM_HEADER);
        this.battery.consume({ radioTxBytes: envelope.length });
        link.send(item.channel as Channel, envelope).then(
          () => {
            this.#inflight.delete(id);
            if (this.#queue !== queue) return;
            queue.ack(id);
            this.#sessionDelivered = true;
            if (this.#failing?.id === id) this.#failing = undefined;
            this.counters.delivered += 1;
            this.emit('delivered', 1);
            this.#pump();
          },
          (error: unknown) => {
            // The link is down (or the gateway refused): the item stays queued for the next link.
            this.#inflight.delete(id);
            if ((error as { code?: string } | null)?.code === 'ERR_LINK_REFUSED' && this.#queue === queue) {
              // An explicit refusal (BLE): not resent in this session; the link stays up for the rest.
              this.#refusedInSession.add(id);
              this.#failedInSession(id);
            }
          },
        );
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Message `id` failed in the current session. After UNDELIVERABLE_AFTER_SESSIONS sessions in a
   * row it is given up: acknowledged on the flash (so the messages behind it flow), counted as
   * dropped ('undeliverable'), logged, and reported to the gateway as STORAGE_DROP.
   */
  #failedInSession(id: number): void {
    const failing = this.#failing;
    if (failing?.id === id && failing.lastSession === this.#sessionNumber) return;
    const sessions = failing?.id === id ? failing.sessions + 1 : 1;
    this.#failing = { id, sessions, lastSession: this.#sessionNumber };
    if (sessions < UNDELIVERABLE_AFTER_SESSIONS) return;
    this.#failing = undefined;
    const queue = this.#queue;
    if (queue === undefined) return;
    queue.ack(id);
    this.counters.dropped += 1;
    this.emit('dropped', 1, 'undeliverable');
    this.recordEvent(Severity.SEVERITY_MEDIUM, 'flash', 'queue.undeliverable', 'ERR_QUEUE_UNDELIVERABLE');
    this.#unreportedUndeliverable += 1;
  }
}
