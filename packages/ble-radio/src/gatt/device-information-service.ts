/**
 * Device Information Service 1.1 (DIS, UUID 0x180A): the identification strings (UTF-8), System
 * ID (0x2A23), IEEE 11073-20601 Regulatory Certification Data List (0x2A2A) and PnP ID (0x2A50).
 * Layouts from DIS 1.1 §3 and the GATT Specification Supplement (GSS).
 */
import { ATT_VALUE_MAX_BYTES, CodeTable, ValueReader, ValueWriter, checkInteger, outOfRange } from '../internal/gatt-value.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// A lone UTF-16 surrogate has no UTF-8 form: TextEncoder would silently write U+FFFD instead.
// With the u flag a surrogate pair is one code point, so this class matches lone halves only.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Encodes one of the DIS strings (Manufacturer Name 0x2A29, Model Number 0x2A24, Serial Number
 * 0x2A25, Hardware 0x2A27, Firmware 0x2A26 and Software 0x2A28 Revision): UTF-8 without a
 * terminator, at most 512 bytes. Throws ValueOutOfRangeError.
 */
export function encodeDeviceInformationString(text: string): Uint8Array {
  if (typeof text !== 'string' || LONE_SURROGATE.test(text)) outOfRange('Device Information', 'text', 'must be a well-formed string');
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > ATT_VALUE_MAX_BYTES) outOfRange('Device Information', 'text', `longer than ${ATT_VALUE_MAX_BYTES} bytes`);
  return bytes;
}

/** Decodes a DIS string. Throws MalformedValueError for invalid UTF-8 or more than 512 bytes. */
export function decodeDeviceInformationString(bytes: Uint8Array): string {
  const reader = new ValueReader(bytes, 'Device Information');
  try {
    return utf8.decode(reader.rest());
  } catch {
    return reader.fail('text', 'invalid UTF-8');
  }
}

/**
 * A System ID (GSS §3.218, DIS 1.1 §3.10): a 40-bit manufacturer-defined identifier and the
 * 24-bit IEEE Organizationally Unique Identifier, little-endian, 8 bytes in all.
 */
export interface SystemId {
  /** 0..2^40-1. */
  readonly manufacturerIdentifier: number;
  /** 0..2^24-1. */
  readonly organizationallyUniqueIdentifier: number;
}

/** Encodes a System ID (8 bytes). Throws ValueOutOfRangeError. */
export function encodeSystemId(systemId: SystemId): Uint8Array {
  const writer = new ValueWriter('System ID');
  writer.uint40(systemId.manufacturerIdentifier, 'manufacturerIdentifier');
  writer.uint24(systemId.organizationallyUniqueIdentifier, 'organizationallyUniqueIdentifier');
  return writer.finish();
}

/** Decodes a System ID. Throws MalformedValueError for a length other than 8. */
export function decodeSystemId(bytes: Uint8Array): SystemId {
  const reader = new ValueReader(bytes, 'System ID');
  const manufacturerIdentifier = reader.uint40('manufacturerIdentifier');
  const organizationallyUniqueIdentifier = reader.uint24('organizationallyUniqueIdentifier');
  reader.end();
  return { manufacturerIdentifier, organizationallyUniqueIdentifier };
}

/** Vendor ID Source values of the PnP ID (GSS §3.171); others are reserved. */
export const PNP_VENDOR_ID_SOURCE = { bluetoothSig: 1, usbImplementersForum: 2 } as const;

/** A PnP ID (7 bytes). */
export interface PnpId {
  /** Who assigned vendorId: a Bluetooth SIG Company Identifier or a USB-IF Vendor ID. */
  readonly vendorIdSource: keyof typeof PNP_VENDOR_ID_SOURCE;
  readonly vendorId: number;
  readonly productId: number;
  /** 0xJJMN: major JJ, minor M, sub-minor N. */
  readonly productVersion: number;
}

const vendorIdSources = new CodeTable<keyof typeof PNP_VENDOR_ID_SOURCE>(PNP_VENDOR_ID_SOURCE);

/** Encodes a PnP ID. Throws ValueOutOfRangeError. */
export function encodePnpId(pnpId: PnpId): Uint8Array {
  const writer = new ValueWriter('PnP ID');
  writer.uint8(vendorIdSources.code(pnpId.vendorIdSource, 'PnP ID', 'vendorIdSource'), 'vendorIdSource');
  writer.uint16(pnpId.vendorId, 'vendorId');
  writer.uint16(pnpId.productId, 'productId');
  writer.uint16(pnpId.productVersion, 'productVersion');
  return writer.finish();
}

/** Decodes a PnP ID. Throws MalformedValueError. */
export function decodePnpId(bytes: Uint8Array): PnpId {
  const reader = new ValueReader(bytes, 'PnP ID');
  const vendorIdSource = vendorIdSources.name(reader.uint8('vendorIdSource'), reader, 'vendorIdSource');
  const vendorId = reader.uint16('vendorId');
  const productId = reader.uint16('productId');
  const productVersion = reader.uint16('productVersion');
  reader.end();
  return { vendorIdSource, vendorId, productId, productVersion };
}

/** IEEE 11073-20601 AuthBody values: who defines an entry's structure. */
export const REGULATORY_AUTH_BODY = { empty: 0, ieee11073: 1, continua: 2, experimental: 254, reserved: 255 } as const;

/** One RegCertData entry: an authorizing body, its structure type, and that structure's bytes (opaque here). */
export interface RegulatoryCertificationEntry {
  /** AuthBody (uint8), e.g. REGULATORY_AUTH_BODY.continua. */
  readonly authBody: number;
  /** AuthBodyStrucType (uint8), defined by the body. */
  readonly structureType: number;
  readonly data: Uint8Array;
}

const REG = 'IEEE 11073-20601 Regulatory Certification Data List';

/**
 * Encodes a Regulatory Certification Data List: the MDER encoding of IEEE 11073-20601's
 * RegCertDataList (a SEQUENCE OF RegCertData). MDER is big-endian, unlike the rest of GATT:
 * count (uint16), length (uint16), then per entry auth-body (uint8), auth-body-struc-type (uint8)
 * and auth-body-data as length (uint16) + bytes. An empty list is `00 00 00 00`. Entries are
 * opaque: medsim carries them and does not interpret any body's structures.
 */
export function encodeRegulatoryCertificationDataList(entries: readonly RegulatoryCertificationEntry[]): Uint8Array {
  const body: number[] = [];
  for (const [index, entry] of entries.entries()) {
    checkInteger(entry.authBody, 0, 0xff, REG, `entries[${index}].authBody`);
    checkInteger(entry.structureType, 0, 0xff, REG, `entries[${index}].structureType`);
    if (!(entry.data instanceof Uint8Array)) outOfRange(REG, `entries[${index}].data`, 'must be a byte array');
    // The whole list must fit one attribute value, header (4 bytes) included.
    if (4 + body.length + 4 + entry.data.length > ATT_VALUE_MAX_BYTES) outOfRange(REG, 'entries', `longer than ${ATT_VALUE_MAX_BYTES} bytes`);
    body.push(entry.authBody, entry.structureType, entry.data.length >> 8, entry.data.length & 0xff, ...entry.data);
  }
  return Uint8Array.from([entries.length >> 8, entries.length & 0xff, body.length >> 8, body.length & 0xff, ...body]);
}

/** Decodes a Regulatory Certification Data List. Throws MalformedValueError when count or lengths disagree. */
export function decodeRegulatoryCertificationDataList(bytes: Uint8Array): RegulatoryCertificationEntry[] {
  const reader = new ValueReader(bytes, REG);
  const header = reader.bytes(4, 'header');
  const count = ((header[0] ?? 0) << 8) | (header[1] ?? 0);
  const length = ((header[2] ?? 0) << 8) | (header[3] ?? 0);
  if (length !== reader.remaining) reader.fail('length', 'does not match the bytes that follow');
  const entries: RegulatoryCertificationEntry[] = [];
  for (let index = 0; index < count; index += 1) {
    const head = reader.bytes(4, `entries[${index}]`);
    const dataLength = ((head[2] ?? 0) << 8) | (head[3] ?? 0);
    entries.push({ authBody: head[0] ?? 0, structureType: head[1] ?? 0, data: reader.bytes(dataLength, `entries[${index}].data`) });
  }
  reader.end();
  return entries;
}
