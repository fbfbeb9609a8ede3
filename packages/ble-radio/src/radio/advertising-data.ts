/**
 * Advertising and scan response data: a sequence of `length | AD type | data` structures, at most
 * 31 octets per legacy advertising PDU (Bluetooth Core 5.4 Vol 3 Part C §11; AD types in the Core
 * Specification Supplement Part A §1). The radio puts these bytes on the air; the central's noble
 * bindings decode them into noble's `advertisement` object, as the HCI bindings do.
 */
import { InvalidRadioDefinitionError } from '../errors.js';
import { decodeUuid, encodeUuid } from './att.js';

/** Legacy advertising payload limit: 31 octets (Bluetooth Core 5.4 Vol 6 Part B §2.3.1). */
export const ADVERTISING_DATA_MAX_LENGTH = 31;

/** AD types used by the radio (Core Specification Supplement Part A §1.1–§1.11). */
export const AD_TYPE = {
  FLAGS: 0x01,
  INCOMPLETE_16BIT_UUIDS: 0x02,
  COMPLETE_16BIT_UUIDS: 0x03,
  INCOMPLETE_128BIT_UUIDS: 0x06,
  COMPLETE_128BIT_UUIDS: 0x07,
  SHORTENED_LOCAL_NAME: 0x08,
  COMPLETE_LOCAL_NAME: 0x09,
  TX_POWER_LEVEL: 0x0a,
  SERVICE_DATA_16BIT: 0x16,
  SERVICE_DATA_128BIT: 0x21,
  MANUFACTURER_SPECIFIC_DATA: 0xff,
} as const;

/** What a peripheral advertises, in noble's vocabulary. */
export interface AdvertisementFields {
  readonly localName?: string;
  readonly txPowerLevel?: number;
  readonly serviceUuids?: readonly string[];
  readonly serviceData?: readonly { readonly uuid: string; readonly data: Uint8Array }[];
  readonly manufacturerData?: Uint8Array;
}

/** noble's `advertisement` shape as its bindings emit it. */
export interface NobleAdvertisement {
  localName?: string;
  txPowerLevel?: number;
  manufacturerData?: Buffer;
  serviceData: { uuid: string; data: Buffer }[];
  serviceUuids: string[];
  serviceSolicitationUuids: string[];
}

const structure = (type: number, data: Uint8Array): Buffer => Buffer.concat([Buffer.from([data.length + 1, type]), data]);

/** Flags: LE General Discoverable Mode, BR/EDR Not Supported (Supplement Part A §1.3). */
const GENERAL_DISCOVERABLE_LE_ONLY = 0x06;

function limit(name: string, bytes: Buffer): Buffer {
  if (bytes.length > ADVERTISING_DATA_MAX_LENGTH) {
    throw new InvalidRadioDefinitionError(`${name} needs ${bytes.length} octets; a legacy advertising PDU carries at most 31`, {
      details: { field: name, octets: bytes.length },
    });
  }
  return bytes;
}

/**
 * The ADV_IND payload: flags (connectable devices only), the complete list of service UUIDs and the
 * TX power level. Throws InvalidRadioDefinitionError beyond 31 octets.
 */
export function encodeAdvertisingData(fields: AdvertisementFields, connectable: boolean): Buffer {
  const parts: Buffer[] = [];
  if (connectable) parts.push(structure(AD_TYPE.FLAGS, Buffer.from([GENERAL_DISCOVERABLE_LE_ONLY])));
  const uuids = (fields.serviceUuids ?? []).map((uuid) => encodeUuid(uuid));
  const short = uuids.filter((uuid) => uuid.length === 2);
  const long = uuids.filter((uuid) => uuid.length === 16);
  if (short.length > 0) parts.push(structure(AD_TYPE.COMPLETE_16BIT_UUIDS, Buffer.concat(short)));
  if (long.length > 0) parts.push(structure(AD_TYPE.COMPLETE_128BIT_UUIDS, Buffer.concat(long)));
  if (fields.txPowerLevel !== undefined) parts.push(structure(AD_TYPE.TX_POWER_LEVEL, Buffer.from([fields.txPowerLevel & 0xff])));
  return limit('advertising data', Buffer.concat(parts));
}

/**
 * The SCAN_RSP payload: complete local name, service data and manufacturer data (what does not
 * fit next to the UUIDs). Throws InvalidRadioDefinitionError beyond 31 octets.
 */
export function encodeScanResponseData(fields: AdvertisementFields): Buffer {
  const parts: Buffer[] = [];
  if (fields.localName !== undefined) parts.push(structure(AD_TYPE.COMPLETE_LOCAL_NAME, Buffer.from(fields.localName, 'utf8')));
  for (const entry of fields.serviceData ?? []) {
    const uuid = encodeUuid(entry.uuid);
    parts.push(structure(uuid.length === 2 ? AD_TYPE.SERVICE_DATA_16BIT : AD_TYPE.SERVICE_DATA_128BIT, Buffer.concat([uuid, entry.data])));
  }
  if (fields.manufacturerData !== undefined) parts.push(structure(AD_TYPE.MANUFACTURER_SPECIFIC_DATA, fields.manufacturerData));
  return limit('scan response data', Buffer.concat(parts));
}

const splitUuids = (data: Buffer, size: number): string[] => {
  const uuids: string[] = [];
  for (let i = 0; i + size <= data.length; i += size) uuids.push(decodeUuid(data.subarray(i, i + size)));
  return uuids;
};

/**
 * Merges the AD structures of `bytes` into `into` (noble's advertisement). A malformed structure
 * ends parsing, as controllers and noble's HCI bindings do: what was read before it is kept.
 */
export function decodeAdvertisingData(bytes: Uint8Array, into: NobleAdvertisement): NobleAdvertisement {
  const data = Buffer.from(bytes);
  let offset = 0;
  while (offset < data.length) {
    const length = data[offset] ?? 0;
    if (length === 0 || offset + 1 + length > data.length) break;
    const type = data[offset + 1] ?? 0;
    const body = data.subarray(offset + 2, offset + 1 + length);
    switch (type) {
      case AD_TYPE.INCOMPLETE_16BIT_UUIDS:
      case AD_TYPE.COMPLETE_16BIT_UUIDS:
        into.serviceUuids.push(...splitUuids(body, 2));
        break;
      case AD_TYPE.INCOMPLETE_128BIT_UUIDS:
      case AD_TYPE.COMPLETE_128BIT_UUIDS:
        into.serviceUuids.push(...splitUuids(body, 16));
        break;
      case AD_TYPE.SHORTENED_LOCAL_NAME:
      case AD_TYPE.COMPLETE_LOCAL_NAME:
        into.localName = body.toString('utf8');
        break;
      case AD_TYPE.TX_POWER_LEVEL:
        if (body.length === 1) into.txPowerLevel = body.readInt8(0);
        break;
      case AD_TYPE.SERVICE_DATA_16BIT:
        if (body.length >= 2) into.serviceData.push({ uuid: decodeUuid(body.subarray(0, 2)), data: Buffer.from(body.subarray(2)) });
        break;
      case AD_TYPE.SERVICE_DATA_128BIT:
        if (body.length >= 16) into.serviceData.push({ uuid: decodeUuid(body.subarray(0, 16)), data: Buffer.from(body.subarray(16)) });
        break;
      case AD_TYPE.MANUFACTURER_SPECIFIC_DATA:
        into.manufacturerData = Buffer.from(body);
        break;
      default:
        break;
    }
    offset += 1 + length;
  }
  return into;
}
