/**
 * The peripheral side of GATT: an ATT attribute database built from service definitions, and the
 * server that answers ATT requests from one or more connected centrals.
 *
 * Handles are 1-based and assigned in definition order like a real ATT database (Bluetooth Core
 * 5.4 Vol 3 Part G §3): per service a primary service declaration (0x2800), then per characteristic
 * its declaration (0x2803: properties, value handle, UUID), its value, and a Client Characteristic
 * Configuration Descriptor (0x2902) when it notifies or indicates. CCCD values are kept per
 * connection and forgotten on disconnection (no bonding, §3.3.3.3).
 *
 * Security: a characteristic with `security: 'encrypted'` refuses reads, writes and CCCD writes on
 * an unencrypted link with ATT error 0x0F Insufficient Encryption; the CCCD inherits its
 * characteristic's requirement so that a central cannot subscribe to protected data in clear.
 * Handlers answer with any ATT error by throwing `new AttError(code)`; any other exception becomes
 * 0x0E Unlikely Error so that no internal detail reaches the air ([CTL-23]).
 */
import { AttError, InvalidRadioDefinitionError } from '../errors.js';
import { ATT_ERROR, ATT_MAX_VALUE_LENGTH, type AttPdu, attOpcode, encodeUuid, normalizeUuid } from './att.js';

/** Characteristic properties the radio models (Bluetooth Core 5.4 Vol 3 Part G §3.3.1.1), in noble's names. */
export type CharacteristicProperty = 'read' | 'write' | 'writeWithoutResponse' | 'notify' | 'indicate';

/** What a link must provide before an attribute may be accessed. */
export type AttributeSecurity = 'none' | 'encrypted';

/** The view of a connection a GATT handler gets. */
export interface GattConnection {
  /** Stable id of this connection on the radio. */
  readonly id: string;
  /** Address of the connected central. */
  readonly centralAddress: string;
  /** Negotiated ATT_MTU in octets (23 until the Exchange MTU procedure). */
  readonly mtu: number;
  /** Whether the link is encrypted (after pairing). */
  readonly encrypted: boolean;
}

/** A characteristic of a simulated peripheral. */
export interface GattCharacteristicDefinition {
  /** 16-bit ('2a37') or 128-bit UUID. */
  readonly uuid: string;
  readonly properties: readonly CharacteristicProperty[];
  /** Link security required to read, write or subscribe; default 'none'. */
  readonly security?: AttributeSecurity;
  /** Value served by reads when there is no `onRead`; replaced by writes when there is no `onWrite`. */
  readonly value?: Uint8Array;
  /** Produces the value for a read (throw AttError to refuse). At most 512 octets. */
  readonly onRead?: (connection: GattConnection) => Promise<Uint8Array> | Uint8Array;
  /** Receives a write or write command (throw AttError to refuse; commands get no answer). */
  readonly onWrite?: (connection: GattConnection, value: Buffer, withoutResponse: boolean) => Promise<void> | void;
}

/** A primary service of a simulated peripheral. */
export interface GattServiceDefinition {
  /** 16-bit ('180d') or 128-bit UUID. */
  readonly uuid: string;
  readonly characteristics: readonly GattCharacteristicDefinition[];
}

/** Attribute types of the GATT profile (Bluetooth Core 5.4 Vol 3 Part G §3). */
export const GATT_ATTRIBUTE_TYPE = {
  PRIMARY_SERVICE: '2800',
  SECONDARY_SERVICE: '2801',
  INCLUDE: '2802',
  CHARACTERISTIC: '2803',
  CLIENT_CHARACTERISTIC_CONFIGURATION: '2902',
} as const;

/** Characteristic property bits (Bluetooth Core 5.4 Vol 3 Part G §3.3.1.1, table 3.5). */
export const CHARACTERISTIC_PROPERTY_BITS: Readonly<Record<CharacteristicProperty, number>> = {
  read: 0x02,
  writeWithoutResponse: 0x04,
  write: 0x08,
  notify: 0x10,
  indicate: 0x20,
};

/** CCCD bits (Bluetooth Core 5.4 Vol 3 Part G §3.3.3.3, table 3.11). */
export const CCCD = { NOTIFICATION: 0x0001, INDICATION: 0x0002 } as const;

/** One entry of the attribute database. */
export interface GattAttribute {
  readonly handle: number;
  /** Attribute type UUID: 2800, 2803, 2902, or the characteristic's UUID for its value. */
  readonly type: string;
  readonly kind: 'service' | 'characteristic' | 'value' | 'cccd';
  readonly serviceUuid: string;
  readonly characteristicUuid?: string;
  /** Last handle of the service group (service declarations only). */
  readonly endGroupHandle?: number;
}

/** A characteristic's place in the database. */
export interface GattCharacteristicRecord {
  readonly serviceUuid: string;
  readonly uuid: string;
  readonly declarationHandle: number;
  readonly valueHandle: number;
  readonly cccdHandle?: number;
  readonly properties: readonly CharacteristicProperty[];
  readonly security: AttributeSecurity;
  readonly definition: GattCharacteristicDefinition;
}

/** A change of a connection's CCCD. */
export interface GattSubscriptionChange {
  readonly connection: GattConnection;
  readonly characteristic: GattCharacteristicRecord;
  readonly previous: number;
  readonly value: number;
}

/** Callbacks of the server. */
export interface GattServerHooks {
  /** A central wrote a CCCD (subscribed or unsubscribed). */
  readonly subscriptionChanged?: (change: GattSubscriptionChange) => void;
  /** A handler threw something other than AttError; the central got 0x0E Unlikely Error. */
  readonly handlerFailed?: (connection: GattConnection, characteristic: GattCharacteristicRecord, error: unknown) => void;
}

interface Entry extends GattAttribute {
  readonly declarationValue?: Buffer;
  readonly characteristic?: GattCharacteristicRecord;
}

/** Read By Type values are cut to min(ATT_MTU-4, 253) octets (Bluetooth Core 5.4 Vol 3 Part F §3.4.4.2). */
const READ_BY_TYPE_MAX_VALUE = 253;

const u16 = (value: number): Buffer => {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16LE(value);
  return buffer;
};

const definitionError = (message: string, field: string): InvalidRadioDefinitionError =>
  new InvalidRadioDefinitionError(message, { details: { field } });

/** The attribute database and ATT request handling of one peripheral. */
export class GattServer {
  /** Every attribute, ordered by handle. */
  readonly attributes: readonly GattAttribute[];
  private readonly entries: readonly Entry[];
  private readonly characteristics: readonly GattCharacteristicRecord[];
  /** Values written to characteristics without an onWrite handler. */
  private readonly storedValues = new Map<number, Buffer>();
  /** CCCD values: connection id → CCCD handle → value. */
  private readonly cccds = new Map<string, Map<number, number>>();
  /** The value behind a long read in progress: connection id → value handle → value. */
  private readonly longReads = new Map<string, Map<number, Buffer>>();

  constructor(
    services: readonly GattServiceDefinition[],
    private readonly hooks: GattServerHooks = {},
  ) {
    const entries: Entry[] = [];
    const characteristics: GattCharacteristicRecord[] = [];
    const seenServices = new Set<string>();
    let handle = 1;
    for (const service of services) {
      const serviceUuid = normalizeUuid(service.uuid);
      if (serviceUuid === undefined) throw definitionError(`service UUID ${service.uuid} is not a UUID`, 'service.uuid');
      // noble addresses services by UUID, so a second instance could never be reached.
      if (seenServices.has(serviceUuid)) throw definitionError(`service ${serviceUuid} is defined twice`, 'service.uuid');
      seenServices.add(serviceUuid);
      const serviceHandle = handle++;
      const groupStart = entries.length;
      entries.push({ handle: serviceHandle, type: GATT_ATTRIBUTE_TYPE.PRIMARY_SERVICE, kind: 'service', serviceUuid, declarationValue: encodeUuid(serviceUuid) });
      const seenCharacteristics = new Set<string>();
      for (const definition of service.characteristics) {
        const uuid = normalizeUuid(definition.uuid);
        if (uuid === undefined) throw definitionError(`characteristic UUID ${definition.uuid} is not a UUID`, 'characteristic.uuid');
        if (seenCharacteristics.has(uuid)) throw definitionError(`characteristic ${uuid} is defined twice in service ${serviceUuid}`, 'characteristic.uuid');
        seenCharacteristics.add(uuid);
        if (definition.properties.length === 0) throw definitionError(`characteristic ${uuid} has no properties`, 'characteristic.properties');
        for (const property of definition.properties) {
          if (!(property in CHARACTERISTIC_PROPERTY_BITS)) throw definitionError(`characteristic ${uuid}: unknown property ${property}`, 'characteristic.properties');
        }
        if (definition.value !== undefined && definition.value.length > ATT_MAX_VALUE_LENGTH) {
          throw definitionError(`characteristic ${uuid}: value over ${ATT_MAX_VALUE_LENGTH} octets`, 'characteristic.value');
        }
        const declarationHandle = handle++;
        const valueHandle = handle++;
        const subscribable = definition.properties.includes('notify') || definition.properties.includes('indicate');
        const cccdHandle = subscribable ? handle++ : undefined;
        const bits = definition.properties.reduce((sum, property) => sum | CHARACTERISTIC_PROPERTY_BITS[property], 0);
        const record: GattCharacteristicRecord = {
          serviceUuid,
          uuid,
          declarationHandle,
          valueHandle,
          ...(cccdHandle === undefined ? {} : { cccdHandle }),
          properties: [...definition.properties],
          security: definition.security ?? 'none',
          definition,
        };
        characteristics.push(record);
        // Characteristic declaration value: properties | value handle | UUID (§3.3.1).
        entries.push({
          handle: declarationHandle,
          type: GATT_ATTRIBUTE_TYPE.CHARACTERISTIC,
          kind: 'characteristic',
          serviceUuid,
          characteristicUuid: uuid,
          declarationValue: Buffer.concat([Buffer.from([bits]), u16(valueHandle), encodeUuid(uuid)]),
          characteristic: record,
        });
        entries.push({ handle: valueHandle, type: uuid, kind: 'value', serviceUuid, characteristicUuid: uuid, characteristic: record });
        if (cccdHandle !== undefined) {
          entries.push({
            handle: cccdHandle,
            type: GATT_ATTRIBUTE_TYPE.CLIENT_CHARACTERISTIC_CONFIGURATION,
            kind: 'cccd',
            serviceUuid,
            characteristicUuid: uuid,
            characteristic: record,
          });
        }
        if (definition.value !== undefined) this.storedValues.set(valueHandle, Buffer.from(definition.value));
      }
      if (handle - 1 > 0xffff) throw definitionError('the GATT database exceeds 65,535 handles', 'services');
      const first = entries[groupStart];
      if (first !== undefined) entries[groupStart] = { ...first, endGroupHandle: handle - 1 };
    }
    this.entries = entries;
    this.characteristics = characteristics;
    this.attributes = entries.map(({ handle: h, type, kind, serviceUuid, characteristicUuid, endGroupHandle }) => ({
      handle: h,
      type,
      kind,
      serviceUuid,
      ...(characteristicUuid === undefined ? {} : { characteristicUuid }),
      ...(endGroupHandle === undefined ? {} : { endGroupHandle }),
    }));
  }

  /** The characteristic `characteristicUuid` of service `serviceUuid`, if defined. */
  findCharacteristic(serviceUuid: string, characteristicUuid: string): GattCharacteristicRecord | undefined {
    const service = normalizeUuid(serviceUuid);
    const uuid = normalizeUuid(characteristicUuid);
    return this.characteristics.find((record) => record.serviceUuid === service && record.uuid === uuid);
  }

  /** The CCCD value a connection wrote for a characteristic (0 when none). */
  cccdValue(connectionId: string, characteristic: GattCharacteristicRecord): number {
    if (characteristic.cccdHandle === undefined) return 0;
    return this.cccds.get(connectionId)?.get(characteristic.cccdHandle) ?? 0;
  }

  /** Forgets a connection's CCCDs and long reads (called on disconnection; no bonding). */
  forget(connectionId: string): void {
    this.cccds.delete(connectionId);
    this.longReads.delete(connectionId);
  }

  /**
   * Answers one ATT PDU from a central: the response or Error Response to send, or undefined for
   * commands and confirmations (ATT never answers a command, even in error: Vol 3 Part F §3.4.5.3).
   * Exchange MTU and confirmations belong to the bearer and are handled by the radio.
   */
  async handle(connection: GattConnection, pdu: AttPdu): Promise<AttPdu | undefined> {
    const requestOpcode = attOpcode(pdu.op);
    const failure = (error: AttError): AttPdu => ({ op: 'error-rsp', requestOpcode, handle: error.handle, errorCode: error.attErrorCode });
    try {
      switch (pdu.op) {
        case 'find-information-req':
          return this.findInformation(connection, pdu.startHandle, pdu.endHandle);
        case 'read-by-type-req':
          return await this.readByType(connection, pdu.startHandle, pdu.endHandle, pdu.type);
        case 'read-by-group-type-req':
          return this.readByGroupType(connection, pdu.startHandle, pdu.endHandle, pdu.type);
        case 'read-req': {
          const entry = this.entry(pdu.handle);
          const value = await this.readEntry(connection, entry);
          const chunk = connection.mtu - 1;
          if (value.length > chunk) this.longReadsOf(connection.id).set(entry.handle, value);
          else this.longReadsOf(connection.id).delete(entry.handle);
          return { op: 'read-rsp', value: value.subarray(0, chunk) };
        }
        case 'read-blob-req': {
          const entry = this.entry(pdu.handle);
          // A long read continues on the value its Read Request saw, so the parts belong together.
          const value = this.longReadsOf(connection.id).get(entry.handle) ?? (await this.readEntry(connection, entry));
          if (pdu.offset > value.length) throw new AttError(ATT_ERROR.INVALID_OFFSET, { handle: entry.handle });
          const part = value.subarray(pdu.offset, pdu.offset + connection.mtu - 1);
          if (pdu.offset + part.length >= value.length) this.longReadsOf(connection.id).delete(entry.handle);
          return { op: 'read-blob-rsp', value: Buffer.from(part) };
        }
        case 'write-req':
          await this.writeEntry(connection, this.entry(pdu.handle), pdu.value, false);
          return { op: 'write-rsp' };
        case 'write-cmd':
          try {
            await this.writeEntry(connection, this.entry(pdu.handle), pdu.value, true);
          } catch (error) {
            if (!(error instanceof AttError)) throw error;
          }
          return undefined;
        case 'exchange-mtu-req':
          // The bearer answers Exchange MTU; reaching the server means it came twice (§3.4.2.1).
          throw new AttError(ATT_ERROR.REQUEST_NOT_SUPPORTED);
        case 'error-rsp':
        case 'exchange-mtu-rsp':
        case 'find-information-rsp':
        case 'read-by-type-rsp':
        case 'read-rsp':
        case 'read-blob-rsp':
        case 'read-by-group-type-rsp':
        case 'write-rsp':
        case 'handle-value-ntf':
        case 'handle-value-ind':
        case 'handle-value-cfm':
          // A server has no use for responses or server-initiated PDUs from a client.
          return undefined;
      }
    } catch (error) {
      if (error instanceof AttError) return failure(error);
      throw error;
    }
  }

  private longReadsOf(connectionId: string): Map<number, Buffer> {
    let reads = this.longReads.get(connectionId);
    if (reads === undefined) {
      reads = new Map();
      this.longReads.set(connectionId, reads);
    }
    return reads;
  }

  private entry(handle: number): Entry {
    const entry = handle === 0 ? undefined : this.entries[handle - 1];
    if (entry?.handle !== handle) throw new AttError(ATT_ERROR.INVALID_HANDLE, { handle });
    return entry;
  }

  private range(startHandle: number, endHandle: number): Entry[] {
    // A zero or inverted range is refused with Invalid Handle at the start handle (§3.4.3.1).
    if (startHandle === 0 || startHandle > endHandle) throw new AttError(ATT_ERROR.INVALID_HANDLE, { handle: startHandle });
    return this.entries.filter((entry) => entry.handle >= startHandle && entry.handle <= endHandle);
  }

  private requireSecurity(connection: GattConnection, record: GattCharacteristicRecord, handle: number): void {
    if (record.security === 'encrypted' && !connection.encrypted) throw new AttError(ATT_ERROR.INSUFFICIENT_ENCRYPTION, { handle });
  }

  private async readEntry(connection: GattConnection, entry: Entry): Promise<Buffer> {
    if (entry.declarationValue !== undefined) return entry.declarationValue;
    const record = entry.characteristic;
    if (record === undefined) throw new AttError(ATT_ERROR.UNLIKELY_ERROR, { handle: entry.handle });
    if (entry.kind === 'cccd') return u16(this.cccdValue(connection.id, record));
    if (!record.properties.includes('read')) throw new AttError(ATT_ERROR.READ_NOT_PERMITTED, { handle: entry.handle });
    this.requireSecurity(connection, record, entry.handle);
    const read = record.definition.onRead;
    if (read === undefined) return this.storedValues.get(entry.handle) ?? Buffer.alloc(0);
    const value = await this.callHandler(connection, record, entry.handle, async () => Buffer.from(await read(connection)));
    if (value.length > ATT_MAX_VALUE_LENGTH) {
      this.hooks.handlerFailed?.(connection, record, new RangeError(`onRead returned ${value.length} octets; ATT allows ${ATT_MAX_VALUE_LENGTH}`));
      throw new AttError(ATT_ERROR.UNLIKELY_ERROR, { handle: entry.handle });
    }
    return value;
  }

  private async writeEntry(connection: GattConnection, entry: Entry, value: Buffer, withoutResponse: boolean): Promise<void> {
    const record = entry.characteristic;
    if (entry.declarationValue !== undefined || record === undefined) throw new AttError(ATT_ERROR.WRITE_NOT_PERMITTED, { handle: entry.handle });
    if (entry.kind === 'cccd') {
      this.writeCccd(connection, record, entry.handle, value);
      return;
    }
    const property: CharacteristicProperty = withoutResponse ? 'writeWithoutResponse' : 'write';
    if (!record.properties.includes(property)) throw new AttError(ATT_ERROR.WRITE_NOT_PERMITTED, { handle: entry.handle });
    this.requireSecurity(connection, record, entry.handle);
    if (value.length > ATT_MAX_VALUE_LENGTH) throw new AttError(ATT_ERROR.INVALID_ATTRIBUTE_VALUE_LENGTH, { handle: entry.handle });
    const write = record.definition.onWrite;
    if (write === undefined) {
      this.storedValues.set(entry.handle, Buffer.from(value));
      return;
    }
    await this.callHandler(connection, record, entry.handle, async () => {
      await write(connection, Buffer.from(value), withoutResponse);
    });
  }

  private writeCccd(connection: GattConnection, record: GattCharacteristicRecord, handle: number, value: Buffer): void {
    this.requireSecurity(connection, record, handle);
    // The CCCD value is two octets (Vol 3 Part G §3.3.3.3).
    if (value.length !== 2) throw new AttError(ATT_ERROR.INVALID_ATTRIBUTE_VALUE_LENGTH, { handle });
    const bits = value.readUInt16LE(0) & (CCCD.NOTIFICATION | CCCD.INDICATION);
    if ((bits & CCCD.NOTIFICATION && !record.properties.includes('notify')) || (bits & CCCD.INDICATION && !record.properties.includes('indicate'))) {
      throw new AttError(ATT_ERROR.CCCD_IMPROPERLY_CONFIGURED, { handle });
    }
    let values = this.cccds.get(connection.id);
    if (values === undefined) {
      values = new Map();
      this.cccds.set(connection.id, values);
    }
    const previous = values.get(handle) ?? 0;
    values.set(handle, bits);
    if (previous !== bits) this.hooks.subscriptionChanged?.({ connection, characteristic: record, previous, value: bits });
  }

  private async callHandler<T>(connection: GattConnection, record: GattCharacteristicRecord, handle: number, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof AttError) throw new AttError(error.attErrorCode, { handle, message: error.message });
      this.hooks.handlerFailed?.(connection, record, error);
      throw new AttError(ATT_ERROR.UNLIKELY_ERROR, { handle });
    }
  }

  private findInformation(connection: GattConnection, startHandle: number, endHandle: number): AttPdu {
    const found = this.range(startHandle, endHandle);
    const first = found[0];
    if (first === undefined) throw new AttError(ATT_ERROR.ATTRIBUTE_NOT_FOUND, { handle: startHandle });
    const size = encodeUuid(first.type).length;
    const room = connection.mtu - 2;
    const entries: { handle: number; uuid: string }[] = [];
    for (const entry of found) {
      // One response carries one UUID size; the client asks again from the next handle (§3.4.3.2).
      if (encodeUuid(entry.type).length !== size || (entries.length + 1) * (2 + size) > room) break;
      entries.push({ handle: entry.handle, uuid: entry.type });
    }
    return { op: 'find-information-rsp', entries };
  }

  private async readByType(connection: GattConnection, startHandle: number, endHandle: number, type: string): Promise<AttPdu> {
    const found = this.range(startHandle, endHandle).filter((entry) => entry.type === type);
    const first = found[0];
    if (first === undefined) throw new AttError(ATT_ERROR.ATTRIBUTE_NOT_FOUND, { handle: startHandle });
    const cut = Math.min(connection.mtu - 4, READ_BY_TYPE_MAX_VALUE);
    const entries: { handle: number; value: Buffer }[] = [];
    let length: number | undefined;
    for (const entry of found) {
      let value: Buffer;
      try {
        value = (await this.readEntry(connection, entry)).subarray(0, cut);
      } catch (error) {
        // The first attribute's error is the answer; later ones end the list (§3.4.4.2).
        if (entries.length === 0) throw error;
        break;
      }
      length ??= value.length;
      if (value.length !== length || (entries.length + 1) * (2 + length) > connection.mtu - 2) break;
      entries.push({ handle: entry.handle, value: Buffer.from(value) });
    }
    return { op: 'read-by-type-rsp', entries };
  }

  private readByGroupType(connection: GattConnection, startHandle: number, endHandle: number, type: string): AttPdu {
    const found = this.range(startHandle, endHandle);
    // Only primary services are grouping types here; secondary services are not modelled.
    if (type !== GATT_ATTRIBUTE_TYPE.PRIMARY_SERVICE && type !== GATT_ATTRIBUTE_TYPE.SECONDARY_SERVICE) {
      throw new AttError(ATT_ERROR.UNSUPPORTED_GROUP_TYPE, { handle: startHandle });
    }
    const services = found.filter((entry) => entry.type === type);
    const first = services[0];
    if (first?.declarationValue === undefined) throw new AttError(ATT_ERROR.ATTRIBUTE_NOT_FOUND, { handle: startHandle });
    const size = first.declarationValue.length;
    const entries: { handle: number; endGroupHandle: number; value: Buffer }[] = [];
    for (const entry of services) {
      if (entry.declarationValue?.length !== size || (entries.length + 1) * (4 + size) > connection.mtu - 2) break;
      entries.push({ handle: entry.handle, endGroupHandle: entry.endGroupHandle ?? entry.handle, value: entry.declarationValue });
    }
    return { op: 'read-by-group-type-rsp', entries };
  }
}
