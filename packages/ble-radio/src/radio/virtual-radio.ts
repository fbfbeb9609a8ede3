/**
 * The air: a simulated Bluetooth LE radio on which simulated peripherals advertise and serve GATT,
 * and centrals (noble through `createNoble`) scan, connect, pair and exchange ATT PDUs.
 *
 * What is modelled, and how (the limits are the point: this is a reference design):
 * - Advertising: ADV_IND (ADV_SCAN_IND or ADV_NONCONN_IND when not connectable) every `advertisingIntervalMs` plus the 0–10 ms
 *   pseudo-random advDelay (Bluetooth Core 5.4 Vol 6 Part B §4.4.2.2.1), answered by SCAN_REQ /
 *   SCAN_RSP for active scanners. Advertising events are produced only while some central scans
 *   (so the sniffer sees advertising only then). A connectable peripheral at its connection limit
 *   stops advertising, and resumes when a connection ends.
 * - RSSI: log-distance path loss, RSSI = txPower − 40.05 dB − 10·n·log10(d / 1 m) + N(0, σ²), with
 *   40.05 dB the free-space loss at 1 m and 2.44 GHz, n = 2 by default, σ = 2 dB drawn from the
 *   seeded PRNG, rounded and clamped to the HCI range −127..20 dBm. Reachability uses the noise-free
 *   mean: below the sensitivity (−100 dBm) a peripheral is not heard and its links drop with 0x08.
 * - Connections: CONNECT_IND, then the link layer of radio-link.ts (ordered, acknowledged PDUs at
 *   each connection event; `connectionIntervalMs` 0 = the next turn of the event loop). A peripheral
 *   accepts `maxConnections` (default 1) links. A connection to a peripheral that is not advertising
 *   connectably fails with 0x3E Connection Failed to be Established at the next event (an HCI
 *   initiator would instead wait until cancelled).
 * - Disconnection reasons: the terminating side reports 0x16, the other side the reason carried by
 *   LL_TERMINATE_IND (0x13 by default); power-off, drop-link, out-of-range and interference end links
 *   without LL_TERMINATE_IND, both sides see 0x08 after the supervision timeout.
 * - Faults (`injectFault`): 'drop-link' (one shot), 'out-of-range' (until cleared), 'interference'
 *   (each transmission lost with probability `lossRate`; the LL retransmits at the next event, so
 *   loss costs latency, and `maxConsecutiveLosses` losses in a row end the link with 0x08).
 * - Pairing and encryption: link-security.ts; the sniffer: sniffer.ts.
 * Randomness: a seeded PRNG for everything simulated (same seed, same air); node:crypto for keys.
 */
import { EventEmitter } from 'node:events';
import {
  AttValueTooLongError,
  ConnectionFailedError,
  InvalidRadioDefinitionError,
  LinkDisconnectedError,
  PairingFailedError,
  PeripheralPoweredOffError,
  UnknownAttributeError,
  UnknownPeripheralError,
} from '../errors.js';
import { encodeAdvertisingData, encodeScanResponseData } from './advertising-data.js';
import { ATT_DEFAULT_MTU, ATT_ERROR, ATT_MAX_MTU, type AttPdu, attOpcode, decodeAttPdu, encodeAttPdu, isAttRequest, normalizeUuid } from './att.js';
import { CCCD, type GattConnection, GattServer, type GattServiceDefinition } from './gatt-server.js';
import { HCI_REASON, hciReasonName } from './hci-reason.js';
import {
  type LinkAddress,
  type LinkDirection,
  type PairingMethod,
  type PairingPolicy,
  PairingInitiator,
  PairingResponder,
  SMP_REASON,
  type SmpPdu,
  decodeSmpPdu,
  encodeSmpPdu,
} from './link-security.js';
import { ADVERTISING_ACCESS_ADDRESS, type LinkInterference, type LinkPayload, RadioLink, airAddress } from './radio-link.js';
import { type SeededPrng, createSeededPrng } from './seeded-prng.js';
import { RadioSniffer } from './sniffer.js';

/** Options of a virtual radio. */
export interface VirtualRadioOptions {
  /** Seed of every simulated random choice (RSSI noise, advDelay, loss, addresses); default 'medsim'. */
  readonly seed?: string | number;
  /** Time between connection events, ms; 0 (default) = the next turn of the event loop. */
  readonly connectionIntervalMs?: number;
  /** Supervision timeout, ms: how long a vanished peer takes to be noticed; default 6 connection intervals. */
  readonly supervisionTimeoutMs?: number;
  /** Receiver sensitivity, dBm; default −100. */
  readonly sensitivityDbm?: number;
  /** Path-loss exponent n; default 2 (free space; 2.5–3.5 indoors). */
  readonly pathLossExponent?: number;
  /** Standard deviation of RSSI noise, dB; default 2. */
  readonly rssiNoiseDb?: number;
  /** Sniffer ring buffer size in PDUs; default 10,000. */
  readonly snifferCapacity?: number;
  /** Clock in ms (sniffer timestamps); default Date.now. */
  readonly clock?: () => number;
}

/** A simulated peripheral. */
export interface PeripheralDefinition {
  /** Device address, 'c0:ff:ee:00:00:01' style; the noble id is it in lower case without colons. */
  readonly address: string;
  /** Default 'public'. */
  readonly addressType?: 'public' | 'random';
  /** Complete Local Name, sent in the scan response. */
  readonly localName?: string;
  /** Service UUIDs listed in the advertising data. */
  readonly serviceUuids?: readonly string[];
  /** Service data AD structures (scan response). */
  readonly serviceData?: readonly { readonly uuid: string; readonly data: Uint8Array }[];
  /** Manufacturer specific data, company id first (scan response). */
  readonly manufacturerData?: Uint8Array;
  /** Radiated power, dBm; default 0. */
  readonly txPowerDbm?: number;
  /** Whether the TX Power Level AD structure is advertised; default false. */
  readonly advertiseTxPower?: boolean;
  /** Distance to the centrals, metres; default 1. */
  readonly distanceM?: number;
  /** Advertising interval, 20..10,240 ms (Vol 6 Part B §4.4.2.2); default 100. */
  readonly advertisingIntervalMs?: number;
  /** Largest ATT_MTU the peripheral accepts, 23..247; default 247. */
  readonly maxMtu?: number;
  /** Whether centrals may connect; default true. */
  readonly connectable?: boolean;
  /** Simultaneous connections accepted, 1..16; default 1 (like most medical sensors). */
  readonly maxConnections?: number;
  /** The GATT database. */
  readonly services?: readonly GattServiceDefinition[];
  /** Pairing the peripheral accepts; default 'lesc-just-works'. */
  readonly pairing?: PairingPolicy;
}

/** A fault injected from outside. */
export type RadioFault =
  | {
      /** Every current link of the peripheral is lost (both sides see `reason`, default 0x08). */
      readonly kind: 'drop-link';
      readonly reason?: number;
    }
  | {
      /** The peripheral is out of everyone's range until clearFault: links drop with 0x08, scans miss it. */
      readonly kind: 'out-of-range';
    }
  | {
      /** Each transmission on the peripheral's links is lost with probability lossRate until clearFault. */
      readonly kind: 'interference';
      /** 0..1. */
      readonly lossRate: number;
      /** Consecutive losses that end a link with 0x08; default 8. */
      readonly maxConsecutiveLosses?: number;
    };

/** Default consecutive losses before the supervision timer expires under interference. */
export const DEFAULT_MAX_CONSECUTIVE_LOSSES = 8;

/** A subscription a central made through a CCCD. */
export interface RadioSubscription {
  readonly serviceUuid: string;
  readonly characteristicUuid: string;
  readonly notify: boolean;
  readonly indicate: boolean;
}

/** Events of a simulated peripheral. */
export interface RadioPeripheralEvents {
  connect: [connection: RadioConnection];
  /** `reason` is the HCI code as this side sees it. */
  disconnect: [connection: RadioConnection, reason: number];
  subscribe: [connection: RadioConnection, subscription: RadioSubscription];
  unsubscribe: [connection: RadioConnection, subscription: RadioSubscription];
  mtu: [connection: RadioConnection, mtu: number];
  /** Pairing completed and the link is encrypted. */
  paired: [connection: RadioConnection, method: PairingMethod];
  /** A GATT handler threw something other than AttError (the central got 0x0E Unlikely Error). */
  handlerError: [connection: RadioConnection, error: unknown];
}

/** Events of the radio. */
export interface VirtualRadioEvents {
  connect: [connection: RadioConnection];
  disconnect: [connection: RadioConnection, reasons: { readonly central: number; readonly peripheral: number }];
}

/** What a central receives for each advertising event it hears. */
export interface AdvertisingReport {
  readonly peripheralId: string;
  readonly address: string;
  readonly addressType: 'public' | 'random';
  readonly connectable: boolean;
  readonly scannable: boolean;
  /** The ADV_IND payload (AD structures). */
  readonly advertisingData: Buffer;
  /** The SCAN_RSP payload (AD structures). */
  readonly scanResponseData: Buffer;
  readonly rssi: number;
}

/** What a central attached to the radio hears. */
export interface RadioCentralListener {
  advertisement(report: AdvertisingReport): void;
}

/** Options of a central. */
export interface RadioCentralOptions {
  /** Its address; default a random static address from the seeded PRNG. */
  readonly address?: string;
}

/** Events of a central's connection. */
export interface CentralLinkEvents {
  /** An ATT PDU from the peripheral. */
  att: [pdu: AttPdu];
  /** The link ended; the HCI reason as the central sees it. */
  disconnect: [reason: number];
}

const ADDRESS_PATTERN = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;

/** noble's peripheral id of an address: lower-case hex without colons. */
export function peripheralIdOf(address: string): string {
  return address.toLowerCase().replace(/:/g, '');
}

/** Free-space path loss at 1 m and 2.44 GHz: 20·log10(4π·1 m / 0.1229 m) ≈ 40.05 dB. */
const PATH_LOSS_AT_1M_DB = 40.05;
/** HCI RSSI range, dBm (Vol 4 Part E §7.7.65.2). */
const RSSI_MIN = -127;
const RSSI_MAX = 20;

interface PeripheralRuntime {
  readonly id: string;
  readonly address: string;
  readonly addressType: 'public' | 'random';
  readonly facade: RadioPeripheral;
  readonly server: GattServer;
  readonly advertisingData: Buffer;
  readonly scanResponseData: Buffer;
  readonly serviceUuids: readonly string[];
  readonly connectable: boolean;
  readonly maxConnections: number;
  readonly maxMtu: number;
  readonly txPowerDbm: number;
  readonly advertisingIntervalMs: number;
  readonly pairing: PairingPolicy;
  readonly rssiPrng: SeededPrng;
  readonly advPrng: SeededPrng;
  readonly lossPrng: SeededPrng;
  poweredOn: boolean;
  advertising: boolean;
  distanceM: number;
  outOfRange: boolean;
  interference?: LinkInterference | undefined;
  advertisingTimer?: NodeJS.Timeout | undefined;
  readonly connections: Set<ConnectionState>;
}

interface CentralEndpoint {
  readonly address: string;
  readonly addressType: 'public' | 'random';
  readonly listener: RadioCentralListener;
  scanFilter?: readonly string[] | undefined;
  attached: boolean;
  readonly connections: Set<ConnectionState>;
}

interface ConnectionState {
  readonly id: string;
  readonly link: RadioLink;
  readonly peripheral: PeripheralRuntime;
  readonly central: CentralEndpoint;
  readonly connection: RadioConnection;
  readonly centralLink: CentralLink;
  mtu: number;
  mtuExchanged: boolean;
  open: boolean;
  pairingMethod?: PairingMethod | undefined;
  pendingMethod?: PairingMethod | undefined;
  responder?: PairingResponder | undefined;
  initiator?: PairingInitiator | undefined;
  pairing?: { readonly promise: Promise<PairingMethod>; readonly resolve: (method: PairingMethod) => void; readonly reject: (error: Error) => void } | undefined;
  serverChain: Promise<void>;
  indicationChain: Promise<unknown>;
  readonly confirmations: (() => void)[];
  readonly ended: Promise<void>;
  readonly resolveEnded: () => void;
  /** HCI reason the central saw when the connection ended. */
  endReason: number;
}

/** A connection between a central and a peripheral, as the peripheral (and its GATT handlers) see it. */
export class RadioConnection implements GattConnection {
  /** @param state internal to the radio */
  constructor(
    readonly id: string,
    readonly centralAddress: string,
    readonly peripheralAddress: string,
    private readonly state: () => { mtu: number; encrypted: boolean; open: boolean; pairingMethod: PairingMethod | undefined },
  ) {}

  /** Negotiated ATT_MTU in octets. */
  get mtu(): number {
    return this.state().mtu;
  }

  /** Whether the link is encrypted. */
  get encrypted(): boolean {
    return this.state().encrypted;
  }

  /** Whether the connection is up. */
  get open(): boolean {
    return this.state().open;
  }

  /** How the link was paired, if it was. */
  get pairingMethod(): PairingMethod | undefined {
    return this.state().pairingMethod;
  }
}

/** A central's end of a connection (used by the noble bindings). */
export class CentralLink extends EventEmitter<CentralLinkEvents> {
  /** @param radio internal to the radio */
  constructor(
    readonly id: string,
    readonly peripheralId: string,
    private readonly radio: VirtualRadio,
    private readonly state: () => ConnectionState,
  ) {
    super();
  }

  /** ATT_MTU in force. */
  get mtu(): number {
    return this.state().mtu;
  }

  /** Whether the link is encrypted. */
  get encrypted(): boolean {
    return this.state().link.encrypted;
  }

  /** Whether the link is up. */
  get open(): boolean {
    return this.state().open;
  }

  /** Sends an ATT PDU; resolves on the link-layer acknowledgement. */
  send(pdu: AttPdu): Promise<void> {
    return this.state().link.send('central-to-peripheral', { channel: 'att', bytes: encodeAttPdu(pdu) });
  }

  /** Sends an ATT PDU without waiting. */
  post(pdu: AttPdu): void {
    this.state().link.post('central-to-peripheral', { channel: 'att', bytes: encodeAttPdu(pdu) });
  }

  /** Pairs (Just Works) and starts encryption; resolves with the method used. */
  pair(options: { readonly requireMitm: boolean }): Promise<PairingMethod> {
    return this.radio.pairFromCentral(this.state(), options.requireMitm);
  }

  /** Ends the connection from the central's side (LL_TERMINATE_IND, reason 0x13). */
  disconnect(): void {
    const state = this.state();
    if (state.open) state.link.terminate('central', HCI_REASON.REMOTE_USER_TERMINATED);
  }

  /** A fresh RSSI sample of the peripheral, dBm. */
  readRssi(): number {
    return this.radio.sampleRssi(this.state().peripheral);
  }
}

/** A central attached to the radio (used by the noble bindings). */
export class RadioCentralPort {
  /** @param endpoint internal to the radio */
  constructor(
    private readonly radio: VirtualRadio,
    private readonly endpoint: CentralEndpoint,
  ) {}

  /** This central's address. */
  get address(): string {
    return this.endpoint.address;
  }

  /** Starts hearing advertising events, filtered by service UUIDs (empty: everything). */
  startScanning(serviceUuids: readonly string[]): void {
    this.radio.startScanning(this.endpoint, serviceUuids);
  }

  /** Stops scanning. */
  stopScanning(): void {
    this.radio.stopScanning(this.endpoint);
  }

  /** Connects to a peripheral by noble id; rejects with ConnectionFailedError (0x3E). */
  connect(peripheralId: string): Promise<CentralLink> {
    return this.radio.connectCentral(this.endpoint, peripheralId);
  }

  /** The noble id of an address, or null for an unknown one. */
  idOf(address: string): string | null {
    return this.radio.peripheralById(peripheralIdOf(address)) === undefined ? null : peripheralIdOf(address);
  }

  /** Leaves the radio: stops scanning and ends this central's connections (0x13 to the peripherals). */
  detach(): void {
    this.radio.detachCentral(this.endpoint);
  }
}

/** A simulated peripheral on the radio. */
export class RadioPeripheral extends EventEmitter<RadioPeripheralEvents> {
  /** @param runtime internal to the radio */
  constructor(
    private readonly radio: VirtualRadio,
    private readonly runtime: () => PeripheralRuntime,
  ) {
    super();
  }

  /** Its address. */
  get address(): string {
    return this.runtime().address;
  }

  /** noble's id for it. */
  get id(): string {
    return this.runtime().id;
  }

  /** Whether it is powered on. */
  get poweredOn(): boolean {
    return this.runtime().poweredOn;
  }

  /** Whether it wants to advertise (it is silent while at its connection limit). */
  get advertising(): boolean {
    return this.runtime().advertising;
  }

  /** Its GATT server (attribute table, handles). */
  get gatt(): GattServer {
    return this.runtime().server;
  }

  /** Open connections. */
  get connections(): readonly RadioConnection[] {
    return [...this.runtime().connections].filter((state) => state.open).map((state) => state.connection);
  }

  /** Starts advertising. */
  startAdvertising(): void {
    const runtime = this.runtime();
    if (!runtime.poweredOn) throw new PeripheralPoweredOffError(`${runtime.address} is powered off`);
    runtime.advertising = true;
    this.radio.refreshAdvertising(runtime);
  }

  /** Stops advertising (connections stay). */
  stopAdvertising(): void {
    const runtime = this.runtime();
    runtime.advertising = false;
    this.radio.refreshAdvertising(runtime);
  }

  /**
   * Sends a Handle Value Notification to every connection that enabled notifications (or only to
   * `options.connectionId`). Resolves with how many links acknowledged it: 0 when nobody is
   * subscribed, which is not an error (a sensor measures whether or not someone listens). Rejects
   * with AttValueTooLongError, before sending anything, if the value exceeds ATT_MTU-3 of any
   * target connection; with UnknownAttributeError for a characteristic without 'notify'.
   */
  notify(serviceUuid: string, characteristicUuid: string, value: Uint8Array, options: { readonly connectionId?: string } = {}): Promise<number> {
    return this.radio.sendValue(this.runtime(), serviceUuid, characteristicUuid, Buffer.from(value), 'notify', options.connectionId);
  }

  /**
   * Sends a Handle Value Indication to every connection that enabled indications, one outstanding
   * per connection (Vol 3 Part F §3.4.7.2). Resolves with how many centrals confirmed (0 when
   * nobody is subscribed); a link that ends first is not counted. Same refusals as `notify`.
   */
  indicate(serviceUuid: string, characteristicUuid: string, value: Uint8Array, options: { readonly connectionId?: string } = {}): Promise<number> {
    return this.radio.sendValue(this.runtime(), serviceUuid, characteristicUuid, Buffer.from(value), 'indicate', options.connectionId);
  }

  /** Ends its connections with LL_TERMINATE_IND carrying `reason` (default 0x13); resolves when they are closed. */
  disconnect(reason: number = HCI_REASON.REMOTE_USER_TERMINATED): Promise<void> {
    const states = [...this.runtime().connections].filter((state) => state.open);
    for (const state of states) state.link.terminate('peripheral', reason);
    return Promise.all(states.map((state) => state.ended)).then(() => undefined);
  }

  /** Vanishes from the air: no LL_TERMINATE_IND; centrals see 0x08 after the supervision timeout. */
  powerOff(): void {
    this.radio.powerOff(this.runtime());
  }

  /** Comes back on the air (not advertising until startAdvertising). */
  powerOn(): void {
    this.runtime().poweredOn = true;
  }
}

/** The simulated air. */
export class VirtualRadio extends EventEmitter<VirtualRadioEvents> {
  /** What a passive eavesdropper captures. */
  readonly sniffer: RadioSniffer;
  private readonly seed: string;
  private readonly prng: SeededPrng;
  private readonly intervalMs: number;
  private readonly supervisionMs: number;
  private readonly sensitivityDbm: number;
  private readonly pathLossExponent: number;
  private readonly rssiNoiseDb: number;
  private readonly peripherals = new Map<string, PeripheralRuntime>();
  private readonly centrals = new Set<CentralEndpoint>();
  private connectionCount = 0;
  private closed = false;

  constructor(options: VirtualRadioOptions = {}) {
    super();
    this.seed = String(options.seed ?? 'medsim');
    this.prng = createSeededPrng(`${this.seed}/radio`);
    const nonNegative = (value: number | undefined, fallback: number, field: string): number => {
      const result = value ?? fallback;
      if (!Number.isFinite(result) || result < 0) throw new InvalidRadioDefinitionError(`${field} must be a finite number ≥ 0`, { details: { field } });
      return result;
    };
    this.intervalMs = nonNegative(options.connectionIntervalMs, 0, 'connectionIntervalMs');
    this.supervisionMs = nonNegative(options.supervisionTimeoutMs, 6 * this.intervalMs, 'supervisionTimeoutMs');
    this.sensitivityDbm = options.sensitivityDbm ?? -100;
    this.pathLossExponent = nonNegative(options.pathLossExponent, 2, 'pathLossExponent');
    this.rssiNoiseDb = nonNegative(options.rssiNoiseDb, 2, 'rssiNoiseDb');
    const clock = options.clock ?? Date.now;
    const startedAt = clock();
    this.sniffer = new RadioSniffer({ ...(options.snifferCapacity === undefined ? {} : { capacity: options.snifferCapacity }), elapsedMs: () => clock() - startedAt });
  }

  /** Adds a peripheral (powered on, not advertising). Throws InvalidRadioDefinitionError. */
  addPeripheral(definition: PeripheralDefinition): RadioPeripheral {
    const invalid = (message: string, field: string): InvalidRadioDefinitionError => new InvalidRadioDefinitionError(message, { details: { field } });
    if (!ADDRESS_PATTERN.test(definition.address)) throw invalid(`address ${definition.address} is not like c0:ff:ee:00:00:01`, 'address');
    const address = definition.address.toLowerCase();
    const id = peripheralIdOf(address);
    if (this.peripherals.has(id)) throw invalid(`a peripheral with address ${address} is already on the radio`, 'address');
    const integerIn = (value: number | undefined, fallback: number, min: number, max: number, field: string): number => {
      const result = value ?? fallback;
      if (!Number.isInteger(result) || result < min || result > max) throw invalid(`${field} must be an integer in ${min}..${max}`, field);
      return result;
    };
    const maxMtu = integerIn(definition.maxMtu, ATT_MAX_MTU, ATT_DEFAULT_MTU, ATT_MAX_MTU, 'maxMtu');
    const maxConnections = integerIn(definition.maxConnections, 1, 1, 16, 'maxConnections');
    const advertisingIntervalMs = integerIn(definition.advertisingIntervalMs, 100, 20, 10_240, 'advertisingIntervalMs');
    const txPowerDbm = integerIn(definition.txPowerDbm, 0, -127, 20, 'txPowerDbm');
    const distanceM = definition.distanceM ?? 1;
    if (!Number.isFinite(distanceM) || distanceM < 0) throw invalid('distanceM must be a finite number ≥ 0', 'distanceM');
    const serviceUuids = (definition.serviceUuids ?? []).map((uuid) => {
      const normalized = normalizeUuid(uuid);
      if (normalized === undefined) throw invalid(`advertised service UUID ${uuid} is not a UUID`, 'serviceUuids');
      return normalized;
    });
    const connectable = definition.connectable ?? true;
    const fields = {
      serviceUuids,
      ...(definition.localName === undefined ? {} : { localName: definition.localName }),
      ...(definition.advertiseTxPower === true ? { txPowerLevel: txPowerDbm } : {}),
      ...(definition.serviceData === undefined ? {} : { serviceData: definition.serviceData }),
      ...(definition.manufacturerData === undefined ? {} : { manufacturerData: definition.manufacturerData }),
    };
    const pairing = definition.pairing ?? 'lesc-just-works';
    if (!['lesc-just-works', 'legacy-just-works', 'none'].includes(pairing)) throw invalid(`unknown pairing policy ${String(pairing)}`, 'pairing');
    // The closures below run only after `runtime` is assigned.
    const get = (): PeripheralRuntime => runtime;
    const facade = new RadioPeripheral(this, get);
    const server = new GattServer(definition.services ?? [], {
      subscriptionChanged: (change) => {
        const state = [...get().connections].find((candidate) => candidate.id === change.connection.id);
        if (state === undefined) return;
        const subscription: RadioSubscription = {
          serviceUuid: change.characteristic.serviceUuid,
          characteristicUuid: change.characteristic.uuid,
          notify: (change.value & CCCD.NOTIFICATION) !== 0,
          indicate: (change.value & CCCD.INDICATION) !== 0,
        };
        facade.emit(change.value === 0 ? 'unsubscribe' : 'subscribe', state.connection, subscription);
      },
      handlerFailed: (connection, _characteristic, error) => {
        const state = [...get().connections].find((candidate) => candidate.id === connection.id);
        if (state !== undefined) facade.emit('handlerError', state.connection, error);
      },
    });
    const runtime: PeripheralRuntime = {
      id,
      address,
      addressType: definition.addressType ?? 'public',
      facade,
      server,
      advertisingData: encodeAdvertisingData(fields, connectable),
      scanResponseData: encodeScanResponseData(fields),
      serviceUuids,
      connectable,
      maxConnections,
      maxMtu,
      txPowerDbm,
      advertisingIntervalMs,
      pairing,
      rssiPrng: createSeededPrng(`${this.seed}/rssi/${id}`),
      advPrng: createSeededPrng(`${this.seed}/adv/${id}`),
      lossPrng: createSeededPrng(`${this.seed}/loss/${id}`),
      poweredOn: true,
      advertising: false,
      distanceM,
      outOfRange: false,
      connections: new Set(),
    };
    this.peripherals.set(id, runtime);
    return facade;
  }

  /** The peripheral with this address or noble id. */
  peripheral(addressOrId: string): RadioPeripheral | undefined {
    return this.peripheralById(peripheralIdOf(addressOrId))?.facade;
  }

  /** Moves a peripheral; below the sensitivity its links drop with 0x08 and scans miss it. */
  setDistance(address: string, metres: number): void {
    const runtime = this.require(address);
    if (!Number.isFinite(metres) || metres < 0) throw new InvalidRadioDefinitionError('distance must be a finite number ≥ 0', { details: { field: 'metres' } });
    runtime.distanceM = metres;
    if (!this.reachable(runtime)) this.loseAll(runtime, HCI_REASON.CONNECTION_TIMEOUT);
  }

  /** The noise-free RSSI of a peripheral at its distance, dBm (before rounding and clamping). */
  meanRssi(address: string): number {
    return this.meanRssiOf(this.require(address));
  }

  /** Injects a fault (see RadioFault). */
  injectFault(address: string, fault: RadioFault): void {
    const runtime = this.require(address);
    switch (fault.kind) {
      case 'drop-link':
        this.loseAll(runtime, fault.reason ?? HCI_REASON.CONNECTION_TIMEOUT);
        return;
      case 'out-of-range':
        runtime.outOfRange = true;
        this.loseAll(runtime, HCI_REASON.CONNECTION_TIMEOUT);
        return;
      case 'interference': {
        const max = fault.maxConsecutiveLosses ?? DEFAULT_MAX_CONSECUTIVE_LOSSES;
        if (!(fault.lossRate >= 0 && fault.lossRate <= 1)) throw new InvalidRadioDefinitionError('lossRate must be in 0..1', { details: { field: 'lossRate' } });
        if (!Number.isInteger(max) || max < 1) throw new InvalidRadioDefinitionError('maxConsecutiveLosses must be an integer ≥ 1', { details: { field: 'maxConsecutiveLosses' } });
        runtime.interference = { lossRate: fault.lossRate, maxConsecutiveLosses: max };
        return;
      }
    }
  }

  /** Ends 'out-of-range' and 'interference' faults on a peripheral. */
  clearFault(address: string): void {
    const runtime = this.require(address);
    runtime.outOfRange = false;
    runtime.interference = undefined;
  }

  /** Attaches a central (the noble bindings do this on start). */
  attachCentral(listener: RadioCentralListener, options: RadioCentralOptions = {}): RadioCentralPort {
    let address = options.address?.toLowerCase();
    if (address !== undefined && !ADDRESS_PATTERN.test(address)) throw new InvalidRadioDefinitionError(`central address ${address} is not like c0:ff:ee:00:00:01`, { details: { field: 'address' } });
    // A random static address: the two top bits set (Vol 6 Part B §1.3.2.1).
    address ??= Array.from({ length: 6 }, (_, i) => ((this.prng.int(256) | (i === 0 ? 0xc0 : 0)) & 0xff).toString(16).padStart(2, '0')).join(':');
    const endpoint: CentralEndpoint = { address, addressType: options.address === undefined ? 'random' : 'public', listener, attached: true, connections: new Set() };
    this.centrals.add(endpoint);
    return new RadioCentralPort(this, endpoint);
  }

  /**
   * Switches the air off: stops every timer and ends every link at once (both sides see 0x16, so
   * pending calls settle); the radio is unusable afterwards.
   */
  close(): void {
    this.closed = true;
    for (const runtime of this.peripherals.values()) {
      clearTimeout(runtime.advertisingTimer);
      runtime.advertisingTimer = undefined;
      for (const state of [...runtime.connections]) {
        this.endConnection(state, { central: HCI_REASON.LOCAL_HOST_TERMINATED, peripheral: HCI_REASON.LOCAL_HOST_TERMINATED });
      }
    }
    this.centrals.clear();
  }

  // ---- used by RadioPeripheral, RadioCentralPort and CentralLink (not part of the public API) ----

  /** @internal */
  peripheralById(id: string): PeripheralRuntime | undefined {
    return this.peripherals.get(id);
  }

  /** @internal */
  sampleRssi(runtime: PeripheralRuntime): number {
    const sample = Math.round(this.meanRssiOf(runtime) + this.rssiNoiseDb * runtime.rssiPrng.gaussian());
    return Math.min(RSSI_MAX, Math.max(RSSI_MIN, sample));
  }

  /** @internal */
  startScanning(endpoint: CentralEndpoint, serviceUuids: readonly string[]): void {
    endpoint.scanFilter = serviceUuids.map((uuid) => normalizeUuid(uuid) ?? uuid.toLowerCase());
    for (const runtime of this.peripherals.values()) this.refreshAdvertising(runtime);
  }

  /** @internal */
  stopScanning(endpoint: CentralEndpoint): void {
    endpoint.scanFilter = undefined;
    for (const runtime of this.peripherals.values()) this.refreshAdvertising(runtime);
  }

  /** @internal */
  detachCentral(endpoint: CentralEndpoint): void {
    endpoint.attached = false;
    this.stopScanning(endpoint);
    for (const state of endpoint.connections) if (state.open) state.link.terminate('central', HCI_REASON.REMOTE_USER_TERMINATED);
    this.centrals.delete(endpoint);
  }

  /** @internal */
  refreshAdvertising(runtime: PeripheralRuntime): void {
    const scanning = [...this.centrals].some((central) => central.scanFilter !== undefined);
    const wanted = !this.closed && runtime.poweredOn && runtime.advertising && scanning;
    if (!wanted) {
      clearTimeout(runtime.advertisingTimer);
      runtime.advertisingTimer = undefined;
      return;
    }
    if (runtime.advertisingTimer !== undefined) return;
    // The first event falls somewhere in the first interval, as for a device that was already on.
    runtime.advertisingTimer = setTimeout(() => this.advertisingEvent(runtime), runtime.advPrng.int(runtime.advertisingIntervalMs));
  }

  /** @internal */
  connectCentral(endpoint: CentralEndpoint, peripheralId: string): Promise<CentralLink> {
    return new Promise((resolve, reject) => {
      this.schedule(() => {
        const runtime = this.peripherals.get(peripheralId);
        const failed = (why: string): void =>
          reject(
            new ConnectionFailedError(HCI_REASON.CONNECTION_FAILED_TO_BE_ESTABLISHED, `connection to ${peripheralId} failed: ${why} (${hciReasonName(HCI_REASON.CONNECTION_FAILED_TO_BE_ESTABLISHED)})`, {
              details: { peripheralId },
            }),
          );
        if (this.closed || !endpoint.attached) return failed('the central is not on the radio');
        if (runtime === undefined) return failed('no such peripheral');
        if (!this.heard(runtime) || !runtime.connectable) return failed('the peripheral is not advertising connectably');
        resolve(this.establish(endpoint, runtime));
        return undefined;
      });
    });
  }

  /** @internal */
  pairFromCentral(state: ConnectionState, requireMitm: boolean): Promise<PairingMethod> {
    if (!state.open) return Promise.reject(new LinkDisconnectedError(HCI_REASON.UNKNOWN_CONNECTION_IDENTIFIER, 'not connected'));
    if (state.link.encrypted && state.pairingMethod !== undefined) {
      // The link already runs on a key; Just Works cannot raise it to an authenticated one.
      if (requireMitm) return Promise.reject(new PairingFailedError(SMP_REASON.AUTHENTICATION_REQUIREMENTS, 'MITM protection was required, but Just Works cannot authenticate the key'));
      return Promise.resolve(state.pairingMethod);
    }
    if (state.pairing !== undefined) return state.pairing.promise;
    let resolve!: (method: PairingMethod) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<PairingMethod>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    state.pairing = { promise, resolve, reject };
    const initiator = new PairingInitiator(this.linkAddress(state, 'central'), this.linkAddress(state, 'peripheral'), requireMitm);
    state.initiator = initiator;
    this.sendSmp(state, 'central-to-peripheral', initiator.start());
    return promise;
  }

  /** @internal */
  async sendValue(runtime: PeripheralRuntime, serviceUuid: string, characteristicUuid: string, value: Buffer, mode: 'notify' | 'indicate', connectionId: string | undefined): Promise<number> {
    if (!runtime.poweredOn) throw new PeripheralPoweredOffError(`${runtime.address} is powered off`);
    const record = runtime.server.findCharacteristic(serviceUuid, characteristicUuid);
    if (record === undefined || !record.properties.includes(mode)) {
      throw new UnknownAttributeError(`${runtime.address} has no characteristic ${characteristicUuid} with '${mode}' in service ${serviceUuid}`, {
        details: { serviceUuid, characteristicUuid, mode },
      });
    }
    const bit = mode === 'notify' ? CCCD.NOTIFICATION : CCCD.INDICATION;
    const targets = [...runtime.connections].filter(
      (state) => state.open && (connectionId === undefined || state.id === connectionId) && (runtime.server.cccdValue(state.id, record) & bit) !== 0,
    );
    for (const state of targets) {
      if (value.length > state.mtu - 3) {
        throw new AttValueTooLongError(`a ${value.length}-octet value does not fit a ${mode} at ATT_MTU ${state.mtu} (max ${state.mtu - 3} octets)`, {
          details: { length: value.length, mtu: state.mtu, connectionId: state.id },
        });
      }
    }
    const pdu: AttPdu = { op: mode === 'notify' ? 'handle-value-ntf' : 'handle-value-ind', handle: record.valueHandle, value };
    const results = await Promise.allSettled(targets.map((state) => (mode === 'notify' ? this.sendAtt(state, pdu) : this.indicateOne(state, pdu))));
    return results.filter((result) => result.status === 'fulfilled').length;
  }

  /** @internal */
  powerOff(runtime: PeripheralRuntime): void {
    runtime.poweredOn = false;
    runtime.advertising = false;
    this.refreshAdvertising(runtime);
    // No LL_TERMINATE_IND: the central notices when its supervision timer expires.
    this.loseAll(runtime, HCI_REASON.CONNECTION_TIMEOUT, HCI_REASON.LOCAL_HOST_TERMINATED);
  }

  // ---- internals ----

  private require(address: string): PeripheralRuntime {
    const runtime = this.peripherals.get(peripheralIdOf(address));
    if (runtime === undefined) throw new UnknownPeripheralError(`no peripheral ${address} on the radio`, { details: { address } });
    return runtime;
  }

  private schedule(task: () => void): void {
    if (this.intervalMs === 0) setImmediate(task);
    else setTimeout(task, this.intervalMs);
  }

  private meanRssiOf(runtime: PeripheralRuntime): number {
    if (runtime.outOfRange) return Number.NEGATIVE_INFINITY;
    // Below 10 cm the far-field model means nothing; hold the 10 cm value.
    const distance = Math.max(runtime.distanceM, 0.1);
    return runtime.txPowerDbm - PATH_LOSS_AT_1M_DB - 10 * this.pathLossExponent * Math.log10(distance);
  }

  private reachable(runtime: PeripheralRuntime): boolean {
    return runtime.poweredOn && this.meanRssiOf(runtime) >= this.sensitivityDbm;
  }

  /** Whether the peripheral is on the air as an advertiser right now. */
  private heard(runtime: PeripheralRuntime): boolean {
    const open = [...runtime.connections].filter((state) => state.open).length;
    return !this.closed && this.reachable(runtime) && runtime.advertising && (!runtime.connectable || open < runtime.maxConnections);
  }

  private advertisingEvent(runtime: PeripheralRuntime): void {
    runtime.advertisingTimer = undefined;
    if (this.closed) return;
    if (this.heard(runtime)) {
      // ADV_IND (type 0x0) is connectable and scannable; a non-connectable device is scannable
      // (ADV_SCAN_IND, 0x6) only if it has scan response data, else ADV_NONCONN_IND (0x2).
      // TxAdd (bit 6) marks a random AdvA (Vol 6 Part B §2.3).
      const scannable = runtime.connectable || runtime.scanResponseData.length > 0;
      const kind = runtime.connectable ? 'ADV_IND' : scannable ? 'ADV_SCAN_IND' : 'ADV_NONCONN_IND';
      const pduType = runtime.connectable ? 0x00 : scannable ? 0x06 : 0x02;
      const txAdd = runtime.addressType === 'random' ? 0x40 : 0;
      const advA = airAddress(runtime.address);
      this.captureAdvertising(kind, runtime.address, undefined, pduType | txAdd, Buffer.concat([advA, runtime.advertisingData]));
      const scanners = [...this.centrals].filter((central) => central.scanFilter !== undefined);
      const first = scanners[0];
      if (first !== undefined && scannable) {
        // Active scanning: the first scanner asks, every scanner in range hears the answer.
        const scanA = airAddress(first.address);
        this.captureAdvertising('SCAN_REQ', first.address, runtime.address, 0x03 | (first.addressType === 'random' ? 0x40 : 0) | (txAdd << 1), Buffer.concat([scanA, advA]));
        this.captureAdvertising('SCAN_RSP', runtime.address, first.address, 0x04 | txAdd, Buffer.concat([advA, runtime.scanResponseData]));
      }
      for (const central of scanners) {
        const filter = central.scanFilter ?? [];
        if (filter.length > 0 && !runtime.serviceUuids.some((uuid) => filter.includes(uuid))) continue;
        central.listener.advertisement({
          peripheralId: runtime.id,
          address: runtime.address,
          addressType: runtime.addressType,
          connectable: runtime.connectable,
          scannable,
          advertisingData: runtime.advertisingData,
          scanResponseData: scannable ? runtime.scanResponseData : Buffer.alloc(0),
          rssi: this.sampleRssi(runtime),
        });
      }
    }
    this.refreshAdvertising(runtime);
    if (runtime.advertisingTimer !== undefined) {
      // Rescheduled at interval + advDelay (0–10 ms pseudo-random), replacing the first-event offset.
      clearTimeout(runtime.advertisingTimer);
      runtime.advertisingTimer = setTimeout(() => this.advertisingEvent(runtime), runtime.advertisingIntervalMs + runtime.advPrng.int(11));
    }
  }

  private captureAdvertising(kind: 'ADV_IND' | 'ADV_SCAN_IND' | 'ADV_NONCONN_IND' | 'SCAN_REQ' | 'SCAN_RSP' | 'CONNECT_IND', from: string, to: string | undefined, header0: number, payload: Buffer): void {
    const aa = Buffer.alloc(4);
    aa.writeUInt32LE(ADVERTISING_ACCESS_ADDRESS);
    this.sniffer.capture({
      kind,
      from,
      ...(to === undefined ? {} : { to }),
      accessAddress: ADVERTISING_ACCESS_ADDRESS,
      air: Buffer.concat([aa, Buffer.from([header0, payload.length]), payload]),
      encrypted: false,
    });
  }

  private establish(central: CentralEndpoint, runtime: PeripheralRuntime): Promise<CentralLink> {
    const accessAddress = this.prng.int(2 ** 32) >>> 0;
    const id = `${runtime.id}-${(this.connectionCount += 1)}`;
    // CONNECT_IND: InitA | AdvA | LLData (AA, CRCInit, WinSize, WinOffset, Interval, Latency, Timeout, ChM, Hop/SCA) (Vol 6 Part B §2.3.3.1).
    const llData = Buffer.alloc(22);
    llData.writeUInt32LE(accessAddress, 0);
    llData.writeUIntLE(this.prng.int(2 ** 24), 4, 3);
    llData.writeUInt8(2, 7);
    llData.writeUInt16LE(Math.max(6, Math.round(this.intervalMs / 1.25)), 10);
    llData.writeUInt16LE(Math.max(10, Math.round(this.supervisionMs / 10)), 14);
    llData.fill(0xff, 16, 20);
    llData.writeUInt8(0x1f, 20);
    llData.writeUInt8(0x05, 21);
    const header0 = 0x05 | (central.addressType === 'random' ? 0x40 : 0) | (runtime.addressType === 'random' ? 0x80 : 0);
    this.captureAdvertising('CONNECT_IND', central.address, runtime.address, header0, Buffer.concat([airAddress(central.address), airAddress(runtime.address), llData]));

    // The closures below run only after `state` is assigned.
    const get = (): ConnectionState => state;
    const link = new RadioLink(accessAddress, central.address, runtime.address, {
      schedule: (task) => this.schedule(task),
      interference: () => runtime.interference,
      draw: () => runtime.lossPrng.next(),
      capture: (transmission) => this.sniffer.capture(transmission),
      deliver: (direction, payload) => this.deliver(get(), direction, payload),
      end: (reasons) => this.endConnection(get(), reasons),
      encrypted: () => {
        const current = get();
        current.pairingMethod = current.pendingMethod;
        if (current.pairingMethod !== undefined) runtime.facade.emit('paired', current.connection, current.pairingMethod);
      },
    });
    let resolveEnded!: () => void;
    const ended = new Promise<void>((resolve) => {
      resolveEnded = resolve;
    });
    const connection = new RadioConnection(id, central.address, runtime.address, () => ({
      mtu: get().mtu,
      encrypted: link.encrypted,
      open: get().open,
      pairingMethod: get().pairingMethod,
    }));
    const state: ConnectionState = {
      id,
      link,
      peripheral: runtime,
      central,
      connection,
      centralLink: new CentralLink(id, runtime.id, this, get),
      mtu: ATT_DEFAULT_MTU,
      mtuExchanged: false,
      open: true,
      serverChain: Promise.resolve(),
      indicationChain: Promise.resolve(),
      confirmations: [],
      ended,
      resolveEnded,
      endReason: 0,
    };
    runtime.connections.add(state);
    central.connections.add(state);
    return new Promise((resolve) => {
      // The first connection event: both hosts learn about the connection.
      this.schedule(() => {
        if (!state.open) return;
        runtime.facade.emit('connect', state.connection);
        this.emit('connect', state.connection);
        resolve(state.centralLink);
      });
    });
  }

  private linkAddress(state: ConnectionState, side: 'central' | 'peripheral'): LinkAddress {
    return side === 'central'
      ? { address: state.central.address, type: state.central.addressType }
      : { address: state.peripheral.address, type: state.peripheral.addressType };
  }

  private sendAtt(state: ConnectionState, pdu: AttPdu): Promise<void> {
    return state.link.send('peripheral-to-central', { channel: 'att', bytes: encodeAttPdu(pdu) });
  }

  private sendSmp(state: ConnectionState, direction: LinkDirection, pdu: SmpPdu): void {
    state.link.post(direction, { channel: 'smp', bytes: encodeSmpPdu(pdu) });
  }

  /** One indication at a time per connection: the next waits for the previous confirmation. */
  private indicateOne(state: ConnectionState, pdu: AttPdu): Promise<void> {
    const run = (): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        if (!state.open) {
          reject(new LinkDisconnectedError(HCI_REASON.UNKNOWN_CONNECTION_IDENTIFIER, 'the connection is closed'));
          return;
        }
        state.confirmations.push(resolve);
        this.sendAtt(state, pdu).catch(reject);
        // A link that ends before the confirmation rejects through endConnection.
        void state.ended.then(() => reject(new LinkDisconnectedError(state.endReason, 'the link ended before the indication was confirmed')));
      });
    const result = state.indicationChain.then(run, run);
    state.indicationChain = result.catch(() => undefined);
    return result;
  }

  private deliver(state: ConnectionState, direction: LinkDirection, payload: LinkPayload): void {
    if (!state.open || payload.channel === 'll') return;
    if (direction === 'peripheral-to-central') {
      if (payload.channel === 'att') {
        let pdu: AttPdu;
        try {
          pdu = decodeAttPdu(payload.bytes);
        } catch {
          return;
        }
        state.centralLink.emit('att', pdu);
      } else {
        this.centralSmp(state, payload.bytes);
      }
      return;
    }
    if (payload.channel === 'att') this.peripheralAtt(state, payload.bytes);
    else this.peripheralSmp(state, payload.bytes);
  }

  private peripheralAtt(state: ConnectionState, bytes: Buffer): void {
    let pdu: AttPdu;
    try {
      pdu = decodeAttPdu(bytes);
    } catch {
      // A malformed request gets Invalid PDU (Vol 3 Part F §3.4.1.1); anything else is dropped.
      const opcode = bytes[0];
      if (opcode !== undefined && (opcode & 0x40) === 0 && opcode % 2 === 0 && opcode !== 0x1e) {
        void this.sendAtt(state, { op: 'error-rsp', requestOpcode: opcode, handle: 0, errorCode: ATT_ERROR.INVALID_PDU }).catch(() => undefined);
      }
      return;
    }
    if (pdu.op === 'handle-value-cfm') {
      state.confirmations.shift()?.();
      return;
    }
    if (pdu.op === 'exchange-mtu-req' && !state.mtuExchanged) {
      // ATT_MTU = min(client Rx MTU, server Rx MTU), never below 23 (Vol 3 Part F §3.4.2.2).
      state.mtuExchanged = true;
      const mtu = Math.max(ATT_DEFAULT_MTU, Math.min(pdu.mtu, state.peripheral.maxMtu));
      void this.sendAtt(state, { op: 'exchange-mtu-rsp', mtu: state.peripheral.maxMtu }).catch(() => undefined);
      state.mtu = mtu;
      state.peripheral.facade.emit('mtu', state.connection, mtu);
      return;
    }
    // Requests and commands are served one after another, in arrival order.
    state.serverChain = state.serverChain.then(async () => {
      if (!state.open) return;
      let response: AttPdu | undefined;
      try {
        response = await state.peripheral.server.handle(state.connection, pdu);
      } catch {
        response = isAttRequest(pdu) ? { op: 'error-rsp', requestOpcode: attOpcode(pdu.op), handle: 0, errorCode: ATT_ERROR.UNLIKELY_ERROR } : undefined;
      }
      if (response !== undefined && state.open) await this.sendAtt(state, response).catch(() => undefined);
    });
  }

  private peripheralSmp(state: ConnectionState, bytes: Buffer): void {
    let pdu: SmpPdu;
    try {
      pdu = decodeSmpPdu(bytes);
    } catch {
      return;
    }
    if (pdu.code === 'pairing-request') {
      state.responder = new PairingResponder(state.peripheral.pairing, this.linkAddress(state, 'central'), this.linkAddress(state, 'peripheral'));
    }
    const responder = state.responder;
    if (responder === undefined) return;
    const step = responder.receive(pdu);
    for (const out of step.send) this.sendSmp(state, 'peripheral-to-central', out);
    if (step.outcome !== undefined) {
      state.link.peripheralKey = step.outcome.key;
      state.pendingMethod = step.outcome.method;
    }
    if (step.outcome !== undefined || step.failure !== undefined) state.responder = undefined;
  }

  private centralSmp(state: ConnectionState, bytes: Buffer): void {
    const initiator = state.initiator;
    const pairing = state.pairing;
    if (initiator === undefined || pairing === undefined) return;
    let pdu: SmpPdu;
    try {
      pdu = decodeSmpPdu(bytes);
    } catch {
      return;
    }
    const step = initiator.receive(pdu);
    for (const out of step.send) this.sendSmp(state, 'central-to-peripheral', out);
    if (step.failure !== undefined) {
      state.initiator = undefined;
      state.pairing = undefined;
      pairing.reject(new PairingFailedError(step.failure.reason, step.failure.message));
      return;
    }
    const outcome = step.outcome;
    if (outcome === undefined) return;
    state.initiator = undefined;
    state.link.startEncryption(outcome.key).then(
      () => {
        state.pairing = undefined;
        pairing.resolve(outcome.method);
      },
      (error: unknown) => {
        state.pairing = undefined;
        pairing.reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  /** Links lost without LL_TERMINATE_IND: silent now, reported after the supervision timeout. */
  private loseAll(runtime: PeripheralRuntime, centralReason: number, peripheralReason: number = centralReason): void {
    for (const state of runtime.connections) {
      if (!state.open) continue;
      state.link.halt();
      const report = (): void => this.endConnection(state, { central: centralReason, peripheral: peripheralReason });
      if (this.supervisionMs === 0) setImmediate(report);
      else setTimeout(report, this.supervisionMs);
    }
  }

  private endConnection(state: ConnectionState, reasons: { readonly central: number; readonly peripheral: number }): void {
    if (!state.open) return;
    state.open = false;
    state.endReason = reasons.central;
    state.peripheral.connections.delete(state);
    state.central.connections.delete(state);
    state.peripheral.server.forget(state.id);
    // The central hears of it first, so noble fails its pending calls with `Disconnected <reason>`
    // before the link's queued PDUs are rejected.
    state.centralLink.emit('disconnect', reasons.central);
    state.link.close(reasons.central);
    state.pairing?.reject(new LinkDisconnectedError(reasons.central, `link ended during pairing: ${hciReasonName(reasons.central)}`));
    state.pairing = undefined;
    state.resolveEnded();
    state.peripheral.facade.emit('disconnect', state.connection, reasons.peripheral);
    this.emit('disconnect', state.connection, reasons);
    this.refreshAdvertising(state.peripheral);
  }
}
