/**
 * Attribute Protocol PDUs as they travel on the virtual air (Bluetooth Core 5.4 Vol 3 Part F §3.4).
 * Both ends of a simulated link really exchange these bytes: the GATT server parses the request it
 * receives, the central's GATT client parses the response, and the sniffer sees the same octets
 * (sealed with AES-CCM once the link is encrypted). Multi-octet fields are little-endian (§3.2.1),
 * UUIDs are 2 octets for Bluetooth SIG 16-bit UUIDs and 16 octets otherwise (Vol 3 Part B §2.5.1).
 *
 * Modelled: Exchange MTU, Find Information, Read By Type, Read, Read Blob, Read By Group Type,
 * Write Request/Response, Write Command, Handle Value Notification/Indication/Confirmation and
 * Error Response. Not modelled: Prepare/Execute Write (long writes), Read Multiple, Signed Write,
 * Find By Type Value, the EATT bearer.
 */
import { AttMalformedError } from '../errors.js';

/** ATT opcodes (Bluetooth Core 5.4 Vol 3 Part F §3.4.8, table 3.37). */
export const ATT_OPCODE = {
  ERROR_RSP: 0x01,
  EXCHANGE_MTU_REQ: 0x02,
  EXCHANGE_MTU_RSP: 0x03,
  FIND_INFORMATION_REQ: 0x04,
  FIND_INFORMATION_RSP: 0x05,
  READ_BY_TYPE_REQ: 0x08,
  READ_BY_TYPE_RSP: 0x09,
  READ_REQ: 0x0a,
  READ_RSP: 0x0b,
  READ_BLOB_REQ: 0x0c,
  READ_BLOB_RSP: 0x0d,
  READ_BY_GROUP_TYPE_REQ: 0x10,
  READ_BY_GROUP_TYPE_RSP: 0x11,
  WRITE_REQ: 0x12,
  WRITE_RSP: 0x13,
  WRITE_CMD: 0x52,
  HANDLE_VALUE_NTF: 0x1b,
  HANDLE_VALUE_IND: 0x1d,
  HANDLE_VALUE_CFM: 0x1e,
} as const;

/** ATT error codes (Bluetooth Core 5.4 Vol 3 Part F §3.4.1.1 table 3.4; Core Supplement Part B §1.2). */
export const ATT_ERROR = {
  INVALID_HANDLE: 0x01,
  READ_NOT_PERMITTED: 0x02,
  WRITE_NOT_PERMITTED: 0x03,
  INVALID_PDU: 0x04,
  INSUFFICIENT_AUTHENTICATION: 0x05,
  REQUEST_NOT_SUPPORTED: 0x06,
  INVALID_OFFSET: 0x07,
  INSUFFICIENT_AUTHORIZATION: 0x08,
  PREPARE_QUEUE_FULL: 0x09,
  ATTRIBUTE_NOT_FOUND: 0x0a,
  ATTRIBUTE_NOT_LONG: 0x0b,
  ENCRYPTION_KEY_SIZE_TOO_SHORT: 0x0c,
  INVALID_ATTRIBUTE_VALUE_LENGTH: 0x0d,
  UNLIKELY_ERROR: 0x0e,
  INSUFFICIENT_ENCRYPTION: 0x0f,
  UNSUPPORTED_GROUP_TYPE: 0x10,
  INSUFFICIENT_RESOURCES: 0x11,
  DATABASE_OUT_OF_SYNC: 0x12,
  VALUE_NOT_ALLOWED: 0x13,
  /** Common profile error: a CCCD write asks for notifications/indications the characteristic lacks. */
  CCCD_IMPROPERLY_CONFIGURED: 0xfd,
  PROCEDURE_ALREADY_IN_PROGRESS: 0xfe,
  OUT_OF_RANGE: 0xff,
} as const;

const ERROR_NAMES: Readonly<Record<number, string>> = {
  0x01: 'Invalid Handle',
  0x02: 'Read Not Permitted',
  0x03: 'Write Not Permitted',
  0x04: 'Invalid PDU',
  0x05: 'Insufficient Authentication',
  0x06: 'Request Not Supported',
  0x07: 'Invalid Offset',
  0x08: 'Insufficient Authorization',
  0x09: 'Prepare Queue Full',
  0x0a: 'Attribute Not Found',
  0x0b: 'Attribute Not Long',
  0x0c: 'Encryption Key Size Too Short',
  0x0d: 'Invalid Attribute Value Length',
  0x0e: 'Unlikely Error',
  0x0f: 'Insufficient Encryption',
  0x10: 'Unsupported Group Type',
  0x11: 'Insufficient Resources',
  0x12: 'Database Out Of Sync',
  0x13: 'Value Not Allowed',
  0xfd: 'Client Characteristic Configuration Descriptor Improperly Configured',
  0xfe: 'Procedure Already in Progress',
  0xff: 'Out of Range',
};

/** `0x0f Insufficient Encryption`: the code and its specification name. */
export function attErrorName(code: number): string {
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  const name = ERROR_NAMES[code] ?? (code >= 0x80 && code <= 0x9f ? 'Application Error' : 'Reserved');
  return `${hex} ${name}`;
}

/** ATT_MTU every LE link starts with (Bluetooth Core 5.4 Vol 3 Part G §5.2.1). */
export const ATT_DEFAULT_MTU = 23;
/**
 * The largest ATT_MTU the radio negotiates: 247 octets, so that an ATT PDU plus its 4-octet L2CAP
 * header fills exactly one 251-octet LL PDU (LE Data Length Extension); LL fragmentation is not
 * modelled. (ATT allows up to 517.)
 */
export const ATT_MAX_MTU = 247;
/** Longest attribute value ATT allows: 512 octets (Bluetooth Core 5.4 Vol 3 Part F §3.2.9). */
export const ATT_MAX_VALUE_LENGTH = 512;

/** The ATT PDUs the radio speaks, decoded. */
export type AttPdu =
  | { readonly op: 'error-rsp'; readonly requestOpcode: number; readonly handle: number; readonly errorCode: number }
  | { readonly op: 'exchange-mtu-req'; readonly mtu: number }
  | { readonly op: 'exchange-mtu-rsp'; readonly mtu: number }
  | { readonly op: 'find-information-req'; readonly startHandle: number; readonly endHandle: number }
  | { readonly op: 'find-information-rsp'; readonly entries: readonly { readonly handle: number; readonly uuid: string }[] }
  | { readonly op: 'read-by-type-req'; readonly startHandle: number; readonly endHandle: number; readonly type: string }
  | { readonly op: 'read-by-type-rsp'; readonly entries: readonly { readonly handle: number; readonly value: Buffer }[] }
  | { readonly op: 'read-req'; readonly handle: number }
  | { readonly op: 'read-rsp'; readonly value: Buffer }
  | { readonly op: 'read-blob-req'; readonly handle: number; readonly offset: number }
  | { readonly op: 'read-blob-rsp'; readonly value: Buffer }
  | { readonly op: 'read-by-group-type-req'; readonly startHandle: number; readonly endHandle: number; readonly type: string }
  | {
      readonly op: 'read-by-group-type-rsp';
      readonly entries: readonly { readonly handle: number; readonly endGroupHandle: number; readonly value: Buffer }[];
    }
  | { readonly op: 'write-req'; readonly handle: number; readonly value: Buffer }
  | { readonly op: 'write-rsp' }
  | { readonly op: 'write-cmd'; readonly handle: number; readonly value: Buffer }
  | { readonly op: 'handle-value-ntf'; readonly handle: number; readonly value: Buffer }
  | { readonly op: 'handle-value-ind'; readonly handle: number; readonly value: Buffer }
  | { readonly op: 'handle-value-cfm' };

/** The `op` names of ATT PDUs. */
export type AttOp = AttPdu['op'];

const OPCODES: Readonly<Record<AttOp, number>> = {
  'error-rsp': ATT_OPCODE.ERROR_RSP,
  'exchange-mtu-req': ATT_OPCODE.EXCHANGE_MTU_REQ,
  'exchange-mtu-rsp': ATT_OPCODE.EXCHANGE_MTU_RSP,
  'find-information-req': ATT_OPCODE.FIND_INFORMATION_REQ,
  'find-information-rsp': ATT_OPCODE.FIND_INFORMATION_RSP,
  'read-by-type-req': ATT_OPCODE.READ_BY_TYPE_REQ,
  'read-by-type-rsp': ATT_OPCODE.READ_BY_TYPE_RSP,
  'read-req': ATT_OPCODE.READ_REQ,
  'read-rsp': ATT_OPCODE.READ_RSP,
  'read-blob-req': ATT_OPCODE.READ_BLOB_REQ,
  'read-blob-rsp': ATT_OPCODE.READ_BLOB_RSP,
  'read-by-group-type-req': ATT_OPCODE.READ_BY_GROUP_TYPE_REQ,
  'read-by-group-type-rsp': ATT_OPCODE.READ_BY_GROUP_TYPE_RSP,
  'write-req': ATT_OPCODE.WRITE_REQ,
  'write-rsp': ATT_OPCODE.WRITE_RSP,
  'write-cmd': ATT_OPCODE.WRITE_CMD,
  'handle-value-ntf': ATT_OPCODE.HANDLE_VALUE_NTF,
  'handle-value-ind': ATT_OPCODE.HANDLE_VALUE_IND,
  'handle-value-cfm': ATT_OPCODE.HANDLE_VALUE_CFM,
};

/** The opcode byte of a PDU. */
export function attOpcode(op: AttOp): number {
  return OPCODES[op];
}

/** Whether a PDU is a request that expects a response (Bluetooth Core 5.4 Vol 3 Part F §3.3.2). */
export function isAttRequest(pdu: AttPdu): boolean {
  return pdu.op.endsWith('-req');
}

/** Whether a PDU answers a request (a response or an Error Response). */
export function isAttResponse(pdu: AttPdu): boolean {
  return pdu.op.endsWith('-rsp');
}

// Bluetooth Base UUID 00000000-0000-1000-8000-00805F9B34FB (Vol 3 Part B §2.5.1): a 16-bit UUID
// xxxx stands for 0000xxxx-0000-1000-8000-00805F9B34FB.
const BASE_UUID_TAIL = '00001000800000805f9b34fb';

/**
 * A UUID in noble's form: 4 lower-case hex digits for Bluetooth SIG 16-bit UUIDs ('180d'),
 * 32 without dashes otherwise. Accepts '180D', '0x180d', 8-digit 32-bit forms and dashed 128-bit
 * forms; a 128-bit UUID on the Base UUID becomes its short form. Undefined if not a UUID.
 */
export function normalizeUuid(text: string): string | undefined {
  let hex = text.trim().toLowerCase().replace(/-/g, '');
  if (hex.startsWith('0x')) hex = hex.slice(2);
  if (!/^[0-9a-f]+$/.test(hex)) return undefined;
  if (hex.length === 4) return hex;
  if (hex.length === 8) hex = `${hex}${BASE_UUID_TAIL}`;
  if (hex.length !== 32) return undefined;
  return hex.startsWith('0000') && hex.endsWith(BASE_UUID_TAIL) ? hex.slice(4, 8) : hex;
}

/** The octets of a UUID on the air: 2 for 16-bit, 16 for 128-bit, little-endian. */
export function encodeUuid(uuid: string): Buffer {
  const normalized = normalizeUuid(uuid);
  if (normalized === undefined) throw new AttMalformedError(`${uuid} is not a UUID`);
  return Buffer.from(normalized, 'hex').reverse();
}

/** A UUID from its 2-, 4- or 16-octet little-endian form, in noble's form. */
export function decodeUuid(bytes: Uint8Array): string {
  if (bytes.length !== 2 && bytes.length !== 4 && bytes.length !== 16) {
    throw new AttMalformedError(`a UUID is 2, 4 or 16 octets, not ${bytes.length}`);
  }
  const hex = Buffer.from(bytes).reverse().toString('hex');
  const normalized = normalizeUuid(hex);
  if (normalized === undefined) throw new AttMalformedError('not a UUID');
  return normalized;
}

const u16 = (value: number): Buffer => {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16LE(value);
  return buffer;
};

/** Encodes the entries of a list response; every entry must have the same length (§3.4.3.2, §3.4.4.2, §3.4.4.10). */
function sameLengthEntries(op: string, entries: readonly Buffer[]): Buffer {
  const first = entries[0];
  if (first === undefined) throw new AttMalformedError(`${op} needs at least one entry`);
  if (entries.some((entry) => entry.length !== first.length)) throw new AttMalformedError(`${op} entries differ in length`);
  if (first.length > 255) throw new AttMalformedError(`${op} entries are limited to 255 octets`);
  return Buffer.concat([Buffer.from([first.length]), ...entries]);
}

/** The octets of an ATT PDU. */
export function encodeAttPdu(pdu: AttPdu): Buffer {
  const opcode = Buffer.from([OPCODES[pdu.op]]);
  switch (pdu.op) {
    case 'error-rsp':
      return Buffer.concat([opcode, Buffer.from([pdu.requestOpcode]), u16(pdu.handle), Buffer.from([pdu.errorCode])]);
    case 'exchange-mtu-req':
    case 'exchange-mtu-rsp':
      return Buffer.concat([opcode, u16(pdu.mtu)]);
    case 'find-information-req':
      return Buffer.concat([opcode, u16(pdu.startHandle), u16(pdu.endHandle)]);
    case 'find-information-rsp': {
      const uuids = pdu.entries.map((entry) => encodeUuid(entry.uuid));
      const first = uuids[0];
      if (first === undefined) throw new AttMalformedError('find-information-rsp needs at least one entry');
      if (uuids.some((uuid) => uuid.length !== first.length)) throw new AttMalformedError('find-information-rsp mixes UUID sizes');
      // Format 0x01: 16-bit UUIDs, 0x02: 128-bit UUIDs (§3.4.3.2).
      const format = first.length === 2 ? 0x01 : 0x02;
      return Buffer.concat([opcode, Buffer.from([format]), ...pdu.entries.map((entry, i) => Buffer.concat([u16(entry.handle), uuids[i] ?? first]))]);
    }
    case 'read-by-type-req':
    case 'read-by-group-type-req':
      return Buffer.concat([opcode, u16(pdu.startHandle), u16(pdu.endHandle), encodeUuid(pdu.type)]);
    case 'read-by-type-rsp':
      return Buffer.concat([opcode, sameLengthEntries(pdu.op, pdu.entries.map((entry) => Buffer.concat([u16(entry.handle), entry.value])))]);
    case 'read-by-group-type-rsp':
      return Buffer.concat([
        opcode,
        sameLengthEntries(
          pdu.op,
          pdu.entries.map((entry) => Buffer.concat([u16(entry.handle), u16(entry.endGroupHandle), entry.value])),
        ),
      ]);
    case 'read-req':
      return Buffer.concat([opcode, u16(pdu.handle)]);
    case 'read-blob-req':
      return Buffer.concat([opcode, u16(pdu.handle), u16(pdu.offset)]);
    case 'read-rsp':
    case 'read-blob-rsp':
      return Buffer.concat([opcode, pdu.value]);
    case 'write-req':
    case 'write-cmd':
    case 'handle-value-ntf':
    case 'handle-value-ind':
      return Buffer.concat([opcode, u16(pdu.handle), pdu.value]);
    case 'write-rsp':
    case 'handle-value-cfm':
      return opcode;
  }
}

/** Reads the fixed-size fields of a PDU, refusing truncated input. */
class PduReader {
  private offset = 1;

  constructor(
    private readonly bytes: Buffer,
    private readonly name: string,
  ) {}

  u8(): number {
    this.need(1);
    const value = this.bytes.readUInt8(this.offset);
    this.offset += 1;
    return value;
  }

  u16(): number {
    this.need(2);
    const value = this.bytes.readUInt16LE(this.offset);
    this.offset += 2;
    return value;
  }

  take(length: number): Buffer {
    this.need(length);
    const value = Buffer.from(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return value;
  }

  rest(): Buffer {
    const value = Buffer.from(this.bytes.subarray(this.offset));
    this.offset = this.bytes.length;
    return value;
  }

  remaining(): number {
    return this.bytes.length - this.offset;
  }

  end(): void {
    if (this.offset !== this.bytes.length) throw new AttMalformedError(`${this.name}: ${this.bytes.length - this.offset} trailing octets`);
  }

  private need(length: number): void {
    if (this.offset + length > this.bytes.length) throw new AttMalformedError(`${this.name}: truncated`);
  }
}

/** Splits the `length | entry...` body of a list response into entries of that length. */
function entriesOf(reader: PduReader, name: string, minimum: number): Buffer[] {
  const length = reader.u8();
  if (length < minimum) throw new AttMalformedError(`${name}: entry length ${length} below ${minimum}`);
  if (reader.remaining() === 0 || reader.remaining() % length !== 0) throw new AttMalformedError(`${name}: list is not whole entries`);
  const entries: Buffer[] = [];
  while (reader.remaining() > 0) entries.push(reader.take(length));
  return entries;
}

/** Decodes an ATT PDU; throws AttMalformedError for truncated, oversized or unknown PDUs. */
export function decodeAttPdu(bytes: Uint8Array): AttPdu {
  const buffer = Buffer.from(bytes);
  const opcode = buffer[0];
  if (opcode === undefined) throw new AttMalformedError('empty ATT PDU');
  const op = (Object.keys(OPCODES) as AttOp[]).find((name) => OPCODES[name] === opcode);
  if (op === undefined) throw new AttMalformedError(`unknown ATT opcode 0x${opcode.toString(16)}`, { details: { opcode } });
  const r = new PduReader(buffer, op);
  let pdu: AttPdu;
  switch (op) {
    case 'error-rsp':
      pdu = { op, requestOpcode: r.u8(), handle: r.u16(), errorCode: r.u8() };
      break;
    case 'exchange-mtu-req':
    case 'exchange-mtu-rsp':
      pdu = { op, mtu: r.u16() };
      break;
    case 'find-information-req':
      pdu = { op, startHandle: r.u16(), endHandle: r.u16() };
      break;
    case 'find-information-rsp': {
      const format = r.u8();
      if (format !== 0x01 && format !== 0x02) throw new AttMalformedError(`find-information-rsp: format 0x${format.toString(16)}`);
      const uuidLength = format === 0x01 ? 2 : 16;
      if (r.remaining() === 0 || r.remaining() % (2 + uuidLength) !== 0) throw new AttMalformedError('find-information-rsp: not whole entries');
      const entries: { handle: number; uuid: string }[] = [];
      while (r.remaining() > 0) entries.push({ handle: r.u16(), uuid: decodeUuid(r.take(uuidLength)) });
      pdu = { op, entries };
      break;
    }
    case 'read-by-type-req':
    case 'read-by-group-type-req': {
      const startHandle = r.u16();
      const endHandle = r.u16();
      const uuid = r.rest();
      if (uuid.length !== 2 && uuid.length !== 16) throw new AttMalformedError(`${op}: UUID of ${uuid.length} octets`);
      pdu = { op, startHandle, endHandle, type: decodeUuid(uuid) };
      break;
    }
    case 'read-by-type-rsp':
      pdu = {
        op,
        entries: entriesOf(r, op, 2).map((entry) => ({ handle: entry.readUInt16LE(0), value: Buffer.from(entry.subarray(2)) })),
      };
      break;
    case 'read-by-group-type-rsp':
      pdu = {
        op,
        entries: entriesOf(r, op, 4).map((entry) => ({
          handle: entry.readUInt16LE(0),
          endGroupHandle: entry.readUInt16LE(2),
          value: Buffer.from(entry.subarray(4)),
        })),
      };
      break;
    case 'read-req':
      pdu = { op, handle: r.u16() };
      break;
    case 'read-blob-req':
      pdu = { op, handle: r.u16(), offset: r.u16() };
      break;
    case 'read-rsp':
    case 'read-blob-rsp':
      pdu = { op, value: r.rest() };
      break;
    case 'write-req':
    case 'write-cmd':
    case 'handle-value-ntf':
    case 'handle-value-ind':
      pdu = { op, handle: r.u16(), value: r.rest() };
      break;
    case 'write-rsp':
    case 'handle-value-cfm':
      pdu = { op };
      break;
  }
  r.end();
  return pdu;
}
