/**
 * noble's bindings interface for one central attached to the virtual radio: the object
 * `new Noble(bindings)` drives exactly as it drives its HCI, D-Bus or macOS bindings
 * (reference/stack.md §1.3 lists the contract; argument orders follow @stoprocent/noble 2.8.0's
 * lib/noble.js, peripheral.js and characteristic.js).
 *
 * Every reply is emitted asynchronously, after the radio carried the PDUs. Errors travel as
 * noble's trailing `error` argument, so `*Async` calls reject with the typed error (AttError with
 * 0x0F Insufficient Encryption, AttValueTooLongError, PairingFailedError, ...). When a link ends,
 * `disconnect` is emitted before the pending operations fail, so noble rejects them with its own
 * `Disconnected <reason>`.
 *
 * Choices where noble leaves room: the MTU is exchanged right after the connection and `onMtu` is
 * emitted before `connect`; subscribing writes the CCCD with the notification bit when the
 * characteristic has 'notify', else the indication bit (as noble's HCI gatt.js does); pairing is
 * Just Works only: a `kind` without ConfirmOnly, or protection level EncryptionAndAuthentication,
 * fails. Unlike noble's HCI bindings, an Insufficient Encryption error does not trigger pairing
 * behind the caller's back: the application calls `peripheral.pairAsync()` and retries.
 */
import { EventEmitter } from 'node:events';
import { ConnectionFailedError, LinkDisconnectedError, NotConnectedError, PairingFailedError, UnknownAttributeError } from '../errors.js';
import { type NobleAdvertisement, decodeAdvertisingData } from '../radio/advertising-data.js';
import { ATT_DEFAULT_MTU, ATT_MAX_MTU, normalizeUuid } from '../radio/att.js';
import { type AttBearer, type DiscoveredCharacteristic, GattClient } from '../radio/gatt-client.js';
import { HCI_REASON, hciReasonName } from '../radio/hci-reason.js';
import type { AdvertisingReport, CentralLink, RadioCentralPort, VirtualRadio } from '../radio/virtual-radio.js';

/** Options of a virtual central. */
export interface VirtualNobleBindingsOptions {
  /** The central's address; default a random static address from the radio's seed. */
  readonly address?: string;
  /** ATT_MTU the central asks for, 23..247; default 247. */
  readonly mtu?: number;
  /** ATT transaction timeout, ms; default 30,000 (Bluetooth Core 5.4 Vol 3 Part F §3.3.3). */
  readonly attTimeoutMs?: number;
}

/** Adapter states noble knows. */
export type NobleAdapterState = 'poweredOn' | 'poweredOff' | 'unauthorized' | 'unsupported' | 'unknown' | 'resetting';

/** A characteristic as noble's `characteristicsDiscover` event carries it. */
export interface NobleCharacteristicInfo {
  readonly uuid: string;
  readonly properties: readonly string[];
}

/** The events noble listens to on its bindings, with their argument order. */
export interface NobleBindingsEvents {
  stateChange: [state: NobleAdapterState];
  addressChange: [address: string];
  scanParametersSet: [];
  scanStart: [filterDuplicates: boolean];
  scanStop: [];
  discover: [peripheralId: string, address: string, addressType: 'public' | 'random', connectable: boolean, advertisement: NobleAdvertisement, rssi: number, scannable: boolean];
  connect: [peripheralId: string, error: Error | null];
  disconnect: [peripheralId: string, reason: number];
  pair: [peripheralId: string, paired: boolean, error?: Error];
  rssiUpdate: [peripheralId: string, rssi: number, error?: Error];
  onMtu: [peripheralId: string, mtu: number];
  servicesDiscover: [peripheralId: string, serviceUuids: string[], error?: Error];
  includedServicesDiscover: [peripheralId: string, serviceUuid: string, includedServiceUuids: string[], error?: Error];
  characteristicsDiscover: [peripheralId: string, serviceUuid: string, characteristics: NobleCharacteristicInfo[], error?: Error];
  read: [peripheralId: string, serviceUuid: string, characteristicUuid: string, data: Buffer, isNotification: boolean, error?: Error];
  write: [peripheralId: string, serviceUuid: string, characteristicUuid: string, error?: Error];
  notify: [peripheralId: string, serviceUuid: string, characteristicUuid: string, state: boolean, error?: Error];
  descriptorsDiscover: [peripheralId: string, serviceUuid: string, characteristicUuid: string, descriptorUuids: string[], error?: Error];
  valueRead: [peripheralId: string, serviceUuid: string, characteristicUuid: string, descriptorUuid: string, data: Buffer, error?: Error];
  valueWrite: [peripheralId: string, serviceUuid: string, characteristicUuid: string, descriptorUuid: string, error?: Error];
  handleRead: [peripheralId: string, handle: number, data: Buffer, error?: Error];
  handleWrite: [peripheralId: string, handle: number, error?: Error];
  handleNotify: [peripheralId: string, handle: number, data: Buffer];
}

/** noble's DevicePairingKinds.ConfirmOnly: the Just Works ceremony (lib/pairing-kinds.js). */
const PAIRING_KIND_CONFIRM_ONLY = 0x08;
/** noble's DevicePairingProtectionLevel.EncryptionAndAuthentication (lib/pairing-protection-level.js). */
const PROTECTION_ENCRYPTION_AND_AUTHENTICATION = 3;
/** Client Characteristic Configuration descriptor. */
const CCCD_UUID = '2902';
/** RSSI value meaning "not available" in HCI (Vol 4 Part E §7.7.65.2). */
const RSSI_UNAVAILABLE = 127;

interface Connection {
  readonly link: CentralLink;
  readonly client: GattClient;
  ready: boolean;
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
const uuidOf = (uuid: string): string => normalizeUuid(uuid) ?? uuid.toLowerCase();
const toBuffer = (data: Uint8Array | Buffer): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** noble bindings of one central on a VirtualRadio. Use `createNoble(radio)` rather than this directly. */
export class VirtualNobleBindings extends EventEmitter<NobleBindingsEvents> {
  private port?: RadioCentralPort | undefined;
  private scan?: { readonly allowDuplicates: boolean; readonly reported: Set<string> } | undefined;
  private readonly connections = new Map<string, Connection>();
  private readonly connecting = new Map<string, { cancelled: boolean }>();
  private readonly mtu: number;
  private address: string | undefined;

  constructor(
    private readonly radio: VirtualRadio,
    private readonly options: VirtualNobleBindingsOptions = {},
  ) {
    super();
    const mtu = options.mtu ?? ATT_MAX_MTU;
    if (!Number.isInteger(mtu) || mtu < ATT_DEFAULT_MTU || mtu > ATT_MAX_MTU) throw new RangeError(`mtu must be an integer in ${ATT_DEFAULT_MTU}..${ATT_MAX_MTU}`);
    this.mtu = mtu;
    this.address = options.address;
  }

  /** noble: initialise; the adapter is powered on at once. */
  start(): void {
    if (this.port !== undefined) return;
    const port = this.radio.attachCentral({ advertisement: (report) => this.onAdvertisement(report) }, this.address === undefined ? {} : { address: this.address });
    this.port = port;
    setImmediate(() => {
      this.emit('addressChange', port.address);
      this.emit('stateChange', 'poweredOn');
    });
  }

  /** noble.stop(): stops scanning, ends connections, leaves the radio. */
  stop(): void {
    const port = this.port;
    if (port === undefined) return;
    this.scan = undefined;
    // Detaching terminates every link (0x13 to the peripherals); noble hears 0x16 for each.
    port.detach();
    this.port = undefined;
  }

  /** noble.setScanParameters: accepted (the radio hears every advertising event). */
  setScanParameters(_interval?: number, _window?: number): void {
    setImmediate(() => this.emit('scanParametersSet'));
  }

  /** noble.setAddress: used at the next start. */
  setAddress(address: string): void {
    this.address = address;
    setImmediate(() => this.emit('addressChange', address));
  }

  /** noble.startScanning. */
  startScanning(serviceUuids?: string[], allowDuplicates?: boolean): void {
    const port = this.requirePort();
    this.scan = { allowDuplicates: allowDuplicates === true, reported: new Set() };
    port.startScanning((serviceUuids ?? []).map(uuidOf));
    setImmediate(() => this.emit('scanStart', allowDuplicates !== true));
  }

  /** noble.stopScanning. */
  stopScanning(): void {
    this.scan = undefined;
    this.port?.stopScanning();
    setImmediate(() => this.emit('scanStop'));
  }

  /** noble: an address that is not a hex id is mapped to one. */
  addressToId(address: string): string | null {
    if (this.port !== undefined) return this.port.idOf(address);
    return /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(address) ? address.toLowerCase().replace(/:/g, '') : null;
  }

  /** noble.connect: CONNECT_IND, then the Exchange MTU procedure, then `onMtu` and `connect`. */
  connect(peripheralId: string, _parameters?: unknown): void {
    const port = this.requirePort();
    const attempt = { cancelled: false };
    this.connecting.set(peripheralId, attempt);
    const failed = (error: unknown): void => {
      if (this.connecting.get(peripheralId) === attempt) this.connecting.delete(peripheralId);
      if (!attempt.cancelled) this.emit('connect', peripheralId, asError(error));
    };
    port.connect(peripheralId).then(async (link) => {
      if (attempt.cancelled) {
        link.disconnect();
        return;
      }
      const connection = this.attach(peripheralId, link);
      let mtu: number;
      try {
        mtu = await connection.client.exchangeMtu(this.mtu);
      } catch (error) {
        failed(error);
        return;
      }
      if (this.connecting.get(peripheralId) === attempt) this.connecting.delete(peripheralId);
      if (attempt.cancelled || !link.open) {
        if (link.open) link.disconnect();
        if (!attempt.cancelled) failed(new ConnectionFailedError(HCI_REASON.CONNECTION_FAILED_TO_BE_ESTABLISHED, 'the link ended while it was being set up'));
        return;
      }
      connection.ready = true;
      this.emit('onMtu', peripheralId, mtu);
      this.emit('connect', peripheralId, null);
    }, failed);
  }

  /** noble.cancelConnect (noble already reported the cancellation). */
  cancelConnect(peripheralId: string, _parameters?: unknown): void {
    const attempt = this.connecting.get(peripheralId);
    if (attempt !== undefined) attempt.cancelled = true;
    this.connecting.delete(peripheralId);
  }

  /** noble.disconnect: LL_TERMINATE_IND (0x13 to the peripheral); noble then sees 0x16. */
  disconnect(peripheralId: string): void {
    const connection = this.connections.get(peripheralId);
    if (connection !== undefined) {
      connection.link.disconnect();
      return;
    }
    const attempt = this.connecting.get(peripheralId);
    if (attempt !== undefined) {
      attempt.cancelled = true;
      this.connecting.delete(peripheralId);
      setImmediate(() => {
        this.emit('connect', peripheralId, new ConnectionFailedError(HCI_REASON.LOCAL_HOST_TERMINATED, 'connection cancelled by disconnect'));
        this.emit('disconnect', peripheralId, HCI_REASON.LOCAL_HOST_TERMINATED);
      });
      return;
    }
    // HCI answers a disconnect of an unknown connection with Unknown Connection Identifier.
    setImmediate(() => this.emit('disconnect', peripheralId, HCI_REASON.UNKNOWN_CONNECTION_IDENTIFIER));
  }

  /** noble.pair: Just Works (LESC or legacy, as the peripheral allows), then link encryption. */
  pair(peripheralId: string, kind?: number, protectionLevel?: number): void {
    const connection = this.connections.get(peripheralId);
    if (connection?.ready !== true) {
      setImmediate(() => this.emit('pair', peripheralId, false, this.notConnected(peripheralId)));
      return;
    }
    if (kind !== undefined && (kind & PAIRING_KIND_CONFIRM_ONLY) === 0) {
      const error = new PairingFailedError(0, 'only Just Works (DevicePairingKinds.ConfirmOnly) is available: noble collects no passkey and shows no numeric comparison');
      setImmediate(() => this.emit('pair', peripheralId, false, error));
      return;
    }
    connection.link.pair({ requireMitm: protectionLevel === PROTECTION_ENCRYPTION_AND_AUTHENTICATION }).then(
      () => this.emit('pair', peripheralId, true),
      (error: unknown) => this.emit('pair', peripheralId, false, asError(error)),
    );
  }

  /** noble.updateRssi. */
  updateRssi(peripheralId: string): void {
    const connection = this.connections.get(peripheralId);
    setImmediate(() => {
      if (connection?.ready !== true || !connection.link.open) this.emit('rssiUpdate', peripheralId, RSSI_UNAVAILABLE, this.notConnected(peripheralId));
      else this.emit('rssiUpdate', peripheralId, connection.link.readRssi());
    });
  }

  /** noble.discoverServices. */
  discoverServices(peripheralId: string, serviceUuids?: string[]): void {
    const wanted = (serviceUuids ?? []).map(uuidOf);
    this.run(
      peripheralId,
      async (client) => (await client.discoverServices()).map((service) => service.uuid).filter((uuid) => wanted.length === 0 || wanted.includes(uuid)),
      (uuids) => this.emit('servicesDiscover', peripheralId, uuids),
      (error) => this.emit('servicesDiscover', peripheralId, [], error),
    );
  }

  /** noble.discoverIncludedServices (the radio defines no included services). */
  discoverIncludedServices(peripheralId: string, serviceUuid: string, _serviceUuids?: string[]): void {
    this.run(
      peripheralId,
      async (client) => {
        const service = await client.service(serviceUuid);
        if (service === undefined) throw this.unknown(`service ${serviceUuid}`);
        return client.discoverIncludedServices(service);
      },
      (uuids) => this.emit('includedServicesDiscover', peripheralId, serviceUuid, uuids),
      (error) => this.emit('includedServicesDiscover', peripheralId, serviceUuid, [], error),
    );
  }

  /** noble.discoverCharacteristics. */
  discoverCharacteristics(peripheralId: string, serviceUuid: string, characteristicUuids?: string[]): void {
    const wanted = (characteristicUuids ?? []).map(uuidOf);
    this.run(
      peripheralId,
      async (client) => {
        const service = await client.service(serviceUuid);
        if (service === undefined) throw this.unknown(`service ${serviceUuid}`);
        return (await client.discoverCharacteristics(service))
          .filter((characteristic) => wanted.length === 0 || wanted.includes(characteristic.uuid))
          .map((characteristic) => ({ uuid: characteristic.uuid, properties: [...characteristic.properties] }));
      },
      (characteristics) => this.emit('characteristicsDiscover', peripheralId, serviceUuid, characteristics),
      (error) => this.emit('characteristicsDiscover', peripheralId, serviceUuid, [], error),
    );
  }

  /** noble.discoverDescriptors. */
  discoverDescriptors(peripheralId: string, serviceUuid: string, characteristicUuid: string): void {
    this.run(
      peripheralId,
      async (client) => (await client.discoverDescriptors(await this.characteristic(client, serviceUuid, characteristicUuid))).map((descriptor) => descriptor.uuid),
      (uuids) => this.emit('descriptorsDiscover', peripheralId, serviceUuid, characteristicUuid, uuids),
      (error) => this.emit('descriptorsDiscover', peripheralId, serviceUuid, characteristicUuid, [], error),
    );
  }

  /** noble.read: Read Request (and Read Blob for long values). */
  read(peripheralId: string, serviceUuid: string, characteristicUuid: string): void {
    this.run(
      peripheralId,
      async (client) => client.read((await this.characteristic(client, serviceUuid, characteristicUuid)).valueHandle),
      (data) => this.emit('read', peripheralId, serviceUuid, characteristicUuid, data, false),
      (error) => this.emit('read', peripheralId, serviceUuid, characteristicUuid, Buffer.alloc(0), false, error),
    );
  }

  /** noble.write: Write Request, or Write Command when `withoutResponse`. */
  write(peripheralId: string, serviceUuid: string, characteristicUuid: string, data: Uint8Array, withoutResponse?: boolean): void {
    const value = Buffer.from(toBuffer(data));
    this.run(
      peripheralId,
      async (client) => client.write((await this.characteristic(client, serviceUuid, characteristicUuid)).valueHandle, value, withoutResponse === true),
      () => this.emit('write', peripheralId, serviceUuid, characteristicUuid),
      (error) => this.emit('write', peripheralId, serviceUuid, characteristicUuid, error),
    );
  }

  /** noble.notify (subscribe/unsubscribe): writes the CCCD. */
  notify(peripheralId: string, serviceUuid: string, characteristicUuid: string, enable: boolean): void {
    this.run(
      peripheralId,
      async (client) => {
        const characteristic = await this.characteristic(client, serviceUuid, characteristicUuid);
        const cccd = (await client.discoverDescriptors(characteristic)).find((descriptor) => descriptor.uuid === CCCD_UUID);
        if (cccd === undefined) throw this.unknown(`CCCD of characteristic ${characteristicUuid} (it neither notifies nor indicates)`);
        const bits = !enable ? 0 : characteristic.properties.includes('notify') ? 0x0001 : 0x0002;
        await client.write(cccd.handle, Buffer.from([bits, 0]), false);
      },
      () => this.emit('notify', peripheralId, serviceUuid, characteristicUuid, enable),
      (error) => this.emit('notify', peripheralId, serviceUuid, characteristicUuid, !enable, error),
    );
  }

  /** noble descriptor.readValue. */
  readValue(peripheralId: string, serviceUuid: string, characteristicUuid: string, descriptorUuid: string): void {
    this.run(
      peripheralId,
      async (client) => client.read(await this.descriptorHandle(client, serviceUuid, characteristicUuid, descriptorUuid)),
      (data) => this.emit('valueRead', peripheralId, serviceUuid, characteristicUuid, descriptorUuid, data),
      (error) => this.emit('valueRead', peripheralId, serviceUuid, characteristicUuid, descriptorUuid, Buffer.alloc(0), error),
    );
  }

  /** noble descriptor.writeValue. */
  writeValue(peripheralId: string, serviceUuid: string, characteristicUuid: string, descriptorUuid: string, data: Buffer): void {
    const value = Buffer.from(toBuffer(data));
    this.run(
      peripheralId,
      async (client) => client.write(await this.descriptorHandle(client, serviceUuid, characteristicUuid, descriptorUuid), value, false),
      () => this.emit('valueWrite', peripheralId, serviceUuid, characteristicUuid, descriptorUuid),
      (error) => this.emit('valueWrite', peripheralId, serviceUuid, characteristicUuid, descriptorUuid, error),
    );
  }

  /** noble peripheral.readHandle. */
  readHandle(peripheralId: string, handle: number): void {
    this.run(
      peripheralId,
      (client) => client.read(handle),
      (data) => this.emit('handleRead', peripheralId, handle, data),
      (error) => this.emit('handleRead', peripheralId, handle, Buffer.alloc(0), error),
    );
  }

  /** noble peripheral.writeHandle. */
  writeHandle(peripheralId: string, handle: number, data: Buffer, withoutResponse?: boolean): void {
    const value = Buffer.from(toBuffer(data));
    this.run(
      peripheralId,
      (client) => client.write(handle, value, withoutResponse === true),
      () => this.emit('handleWrite', peripheralId, handle),
      (error) => this.emit('handleWrite', peripheralId, handle, error),
    );
  }

  private requirePort(): RadioCentralPort {
    if (this.port === undefined) throw new NotConnectedError('the bindings are not started (noble initialises them on first use)');
    return this.port;
  }

  private attach(peripheralId: string, link: CentralLink): Connection {
    const bearer: AttBearer = {
      get mtu() {
        return link.mtu;
      },
      send: (pdu) => link.send(pdu),
      post: (pdu) => link.post(pdu),
      // The ATT bearer is unusable after a timeout (Vol 3 Part F §3.3.3): drop the link.
      timedOut: () => link.disconnect(),
    };
    const client = new GattClient(bearer, this.options.attTimeoutMs === undefined ? {} : { attTimeoutMs: this.options.attTimeoutMs });
    const connection: Connection = { link, client, ready: false };
    this.connections.set(peripheralId, connection);
    link.on('att', (pdu) => client.receive(pdu));
    client.onNotification = (handle, value) => {
      const characteristic = client.byValueHandle(handle);
      if (characteristic === undefined) this.emit('handleNotify', peripheralId, handle, value);
      else this.emit('read', peripheralId, characteristic.serviceUuid, characteristic.uuid, value, true);
    };
    link.once('disconnect', (reason) => {
      if (this.connections.get(peripheralId) === connection) this.connections.delete(peripheralId);
      // noble first, so its pending *Async calls reject with `Disconnected <reason>`.
      if (connection.ready) this.emit('disconnect', peripheralId, reason);
      client.close(new LinkDisconnectedError(reason, `disconnected: ${hciReasonName(reason)}`));
    });
    return connection;
  }

  private run<T>(peripheralId: string, operation: (client: GattClient) => Promise<T>, succeeded: (result: T) => void, failed: (error: Error) => void): void {
    const connection = this.connections.get(peripheralId);
    if (connection?.ready !== true) {
      setImmediate(() => failed(this.notConnected(peripheralId)));
      return;
    }
    operation(connection.client).then(succeeded, (error: unknown) => failed(asError(error)));
  }

  private async characteristic(client: GattClient, serviceUuid: string, characteristicUuid: string): Promise<DiscoveredCharacteristic> {
    const characteristic = await client.characteristic(uuidOf(serviceUuid), uuidOf(characteristicUuid));
    if (characteristic === undefined) throw this.unknown(`characteristic ${characteristicUuid} of service ${serviceUuid}`);
    return characteristic;
  }

  private async descriptorHandle(client: GattClient, serviceUuid: string, characteristicUuid: string, descriptorUuid: string): Promise<number> {
    const characteristic = await this.characteristic(client, serviceUuid, characteristicUuid);
    const descriptor = (await client.discoverDescriptors(characteristic)).find((candidate) => candidate.uuid === uuidOf(descriptorUuid));
    if (descriptor === undefined) throw this.unknown(`descriptor ${descriptorUuid} of characteristic ${characteristicUuid}`);
    return descriptor.handle;
  }

  private notConnected(peripheralId: string): NotConnectedError {
    return new NotConnectedError(`not connected to ${peripheralId}`, { details: { peripheralId } });
  }

  private unknown(what: string): UnknownAttributeError {
    return new UnknownAttributeError(`the peripheral has no ${what}`);
  }

  private onAdvertisement(report: AdvertisingReport): void {
    const scan = this.scan;
    if (scan === undefined) return;
    // The controller's duplicate filter: one report per device per scan unless duplicates are asked for.
    if (!scan.allowDuplicates && scan.reported.has(report.peripheralId)) return;
    scan.reported.add(report.peripheralId);
    const advertisement: NobleAdvertisement = { serviceData: [], serviceUuids: [], serviceSolicitationUuids: [] };
    decodeAdvertisingData(report.advertisingData, advertisement);
    decodeAdvertisingData(report.scanResponseData, advertisement);
    this.emit('discover', report.peripheralId, report.address, report.addressType, report.connectable, advertisement, report.rssi, report.scannable);
  }
}
