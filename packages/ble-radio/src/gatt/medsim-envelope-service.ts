/**
 * The medsim envelope service: a vendor GATT service that carries the same end-to-end encrypted
 * envelopes (@medsim/protocol SealedEnvelope bytes, opaque here) that MQTT devices publish, so
 * biometric data stays sealed device-to-gateway on every hop [CTL-07]. A BLE link adds nothing
 * the gateway must trust: the gateway opens and checks each envelope exactly as if it had come
 * over MQTT, and routes it by the channel byte as it routes a publish by its topic.
 *
 * Three layers, each bounded (docs/protocols/ble.md):
 * - characteristics: `tx` (device → central, notify), `rx` (central → device, write with and
 *   without response), `info` (read: protocol version, device id);
 * - messages: `channel (uint8) | message id (uint32 LE) | body`, one channel per MQTT channel
 *   plus two acknowledgements from the gateway (delivered, refused);
 * - fragments: a message split into ATT values of at most ATT_MTU - 3 bytes, each with a 1-byte
 *   header (bit 7 first, bit 6 last, bits 0-5 counter mod 64) and, in the first, the message
 *   length (uint32 LE). The Reassembler caps what a hostile peer can make it hold [CTL-16].
 */
import { CHANNELS, isDeviceId, type Channel, type Publisher } from '@medsim/protocol';
import {
  BleMessageTooLargeError,
  FragmentLengthMismatchError,
  FragmentOutOfSequenceError,
  FragmentTimeoutError,
  MalformedBleMessageError,
  MalformedFragmentError,
} from '../errors.js';
import { ATT_VALUE_MAX_BYTES, ValueReader, checkInteger, outOfRange } from '../internal/gatt-value.js';

/** The service and its characteristics: `uuid` as noble wants it, `uuidDashed` for docs and logs. */
export const MEDSIM_ENVELOPE_SERVICE = {
  uuid: '350e87fd152b46ae87e6524d7b8106f2',
  uuidDashed: '350e87fd-152b-46ae-87e6-524d7b8106f2',
  characteristics: {
    /** Device → central messages, as notifications. */
    tx: { uuid: '0d636ffcdc03439c8d03bac479dc922c', uuidDashed: '0d636ffc-dc03-439c-8d03-bac479dc922c', properties: ['notify'] },
    /** Central → device messages, as writes with or without response. */
    rx: { uuid: '76f4b67a90de422fa8484a9dde28672c', uuidDashed: '76f4b67a-90de-422f-a848-4a9dde28672c', properties: ['write', 'writeWithoutResponse'] },
    /** Read: protocol version byte, then the device id (UTF-8). */
    info: { uuid: '36949847636349a1b31e47cc4194bcc9', uuidDashed: '36949847-6363-49a1-b31e-47cc4194bcc9', properties: ['read'] },
  },
} as const;

// ---------------------------------------------------------------------------------------------
// Info characteristic

/** The value of the `info` characteristic. */
export interface EnvelopeServiceInfo {
  readonly deviceId: string;
  /** The medsim.v1 wire version the device speaks (@medsim/protocol PROTOCOL_VERSION), 1..255. */
  readonly protocolVersion: number;
}

const INFO = 'medsim envelope service info';

/** Encodes the `info` value: version (uint8), then the device id in UTF-8. Throws ValueOutOfRangeError. */
export function encodeEnvelopeServiceInfo(info: EnvelopeServiceInfo): Uint8Array {
  checkInteger(info.protocolVersion, 1, 0xff, INFO, 'protocolVersion');
  if (!isDeviceId(info.deviceId)) outOfRange(INFO, 'deviceId', 'must be a medsim device id');
  return Uint8Array.from([info.protocolVersion, ...new TextEncoder().encode(info.deviceId)]);
}

/** Decodes the `info` value. Throws MalformedValueError for version 0 or an invalid device id. */
export function decodeEnvelopeServiceInfo(bytes: Uint8Array): EnvelopeServiceInfo {
  const reader = new ValueReader(bytes, INFO);
  const protocolVersion = reader.uint8('protocolVersion');
  if (protocolVersion === 0) reader.fail('protocolVersion', 'version 0 does not exist');
  // Device ids are lower-case ASCII, so a byte-wise decode is exact; isDeviceId refuses the rest.
  const deviceId = String.fromCharCode(...reader.rest());
  if (!isDeviceId(deviceId)) reader.fail('deviceId', 'not a medsim device id');
  return { deviceId, protocolVersion };
}

// ---------------------------------------------------------------------------------------------
// Messages

/**
 * Channel byte of each MQTT channel (@medsim/protocol CHANNELS). 0x01-0x08 are fixed by the
 * design; `update` (the gateway's firmware update instruction) takes 0x09 so every MQTT channel
 * has a BLE twin. Who may send on each is CHANNELS[channel].publisher.
 */
export const ENVELOPE_CHANNEL_CODE = {
  session: 0x01,
  sessionAccept: 0x02,
  telemetry: 0x03,
  status: 0x04,
  events: 0x05,
  commands: 0x06,
  commandAcks: 0x07,
  updateStatus: 0x08,
  update: 0x09,
} as const satisfies Record<Channel, number>;

/** Acknowledgement codes, gateway → device (the MQTT PUBACK's place, with a refusal reason). */
export const ENVELOPE_ACK_CODE = { delivered: 0x80, refused: 0x81 } as const;

/** channel (1) + message id (4), bytes. */
export const ENVELOPE_MESSAGE_HEADER_BYTES = 5;

/**
 * Largest message, header included, by default: 65 KiB (66,560 bytes). A SealedEnvelope is at
 * most 61,600 bytes (@medsim/protocol MESSAGE_MAX_BYTES), so 64 KiB + 1 KiB leaves headroom.
 */
export const ENVELOPE_MESSAGE_MAX_BYTES = 64 * 1024 + 1024;

/** Longest refusal code, bytes (as @medsim/protocol TEXT_MAX_LENGTH). */
export const REFUSAL_CODE_MAX_BYTES = 64;

/** One message of the envelope service. */
export type EnvelopeServiceMessage =
  /** A message on an MQTT channel: body = SealedEnvelope bytes (SessionInit bytes on `session`). */
  | { readonly kind: 'publish'; readonly channel: Channel; readonly messageId: number; readonly body: Uint8Array }
  /** The gateway durably committed the message with this id (0x80, empty body). */
  | { readonly kind: 'delivered'; readonly messageId: number }
  /** The gateway refused the message with this id (0x81, body = error code). */
  | { readonly kind: 'refused'; readonly messageId: number; readonly code: string };

/** Who sends a message: a publish by its channel's publisher, acknowledgements by the gateway. */
export function envelopeMessagePublisher(message: EnvelopeServiceMessage): Publisher {
  return message.kind === 'publish' ? CHANNELS[message.channel].publisher : 'gateway';
}

/** Options of the message codec. */
export interface EnvelopeMessageOptions {
  /** Largest message, header included, bytes (default ENVELOPE_MESSAGE_MAX_BYTES). */
  readonly maxMessageBytes?: number;
}

/** Options of decodeEnvelopeServiceMessage. */
export interface DecodeEnvelopeMessageOptions extends EnvelopeMessageOptions {
  /** Who sent it: a message on a channel the other side publishes is refused (a device never sends commands). */
  readonly from?: Publisher;
}

const channelByCode = new Map<number, Channel>((Object.entries(ENVELOPE_CHANNEL_CODE) as [Channel, number][]).map(([channel, code]) => [code, channel]));

const REFUSAL_CODE = /^[\x21-\x7e]{1,64}$/u;

function malformedMessage(reason: string): never {
  throw new MalformedBleMessageError(`envelope service message: ${reason}`, { details: { reason } });
}

function maxBytesOf(options: EnvelopeMessageOptions): number {
  return checkInteger(options.maxMessageBytes ?? ENVELOPE_MESSAGE_MAX_BYTES, ENVELOPE_MESSAGE_HEADER_BYTES, 2 ** 32 - 1, 'envelope service', 'maxMessageBytes');
}

/** Encodes a message. Throws ValueOutOfRangeError or BleMessageTooLargeError. */
export function encodeEnvelopeServiceMessage(message: EnvelopeServiceMessage, options: EnvelopeMessageOptions = {}): Uint8Array {
  const maxMessageBytes = maxBytesOf(options);
  checkInteger(message.messageId, 0, 0xffffffff, 'envelope service', 'messageId');
  let code: number;
  let body: Uint8Array;
  switch (message.kind) {
    case 'publish': {
      const channelCode = (ENVELOPE_CHANNEL_CODE as Record<string, number | undefined>)[message.channel];
      if (channelCode === undefined) outOfRange('envelope service', 'channel', 'must be a channel of @medsim/protocol CHANNELS');
      if (!(message.body instanceof Uint8Array) || message.body.length === 0) outOfRange('envelope service', 'body', 'must be a non-empty byte array');
      code = channelCode;
      body = message.body;
      break;
    }
    case 'delivered':
      code = ENVELOPE_ACK_CODE.delivered;
      body = new Uint8Array(0);
      break;
    case 'refused':
      if (typeof message.code !== 'string' || !REFUSAL_CODE.test(message.code)) outOfRange('envelope service', 'code', 'must be 1 to 64 printable ASCII characters');
      code = ENVELOPE_ACK_CODE.refused;
      body = new TextEncoder().encode(message.code);
      break;
    default:
      outOfRange('envelope service', 'kind', 'must be publish, delivered or refused');
  }
  const length = ENVELOPE_MESSAGE_HEADER_BYTES + body.length;
  if (length > maxMessageBytes) {
    throw new BleMessageTooLargeError(`envelope service message of ${length} bytes exceeds ${maxMessageBytes}`, { details: { length, maxMessageBytes } });
  }
  const bytes = new Uint8Array(length);
  bytes[0] = code;
  new DataView(bytes.buffer).setUint32(1, message.messageId, true);
  bytes.set(body, ENVELOPE_MESSAGE_HEADER_BYTES);
  return bytes;
}

/**
 * Decodes a message (the body is copied). Throws MalformedBleMessageError or
 * BleMessageTooLargeError; with `from`, refuses a channel that side may not send on [CTL-09].
 */
export function decodeEnvelopeServiceMessage(bytes: Uint8Array, options: DecodeEnvelopeMessageOptions = {}): EnvelopeServiceMessage {
  const maxMessageBytes = maxBytesOf(options);
  if (!(bytes instanceof Uint8Array)) malformedMessage('not a byte array');
  if (bytes.length > maxMessageBytes) {
    throw new BleMessageTooLargeError(`envelope service message of ${bytes.length} bytes exceeds ${maxMessageBytes}`, { details: { length: bytes.length, maxMessageBytes } });
  }
  if (bytes.length < ENVELOPE_MESSAGE_HEADER_BYTES) malformedMessage('shorter than the 5-byte header');
  const code = bytes[0] ?? 0;
  const messageId = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1, true);
  const body = bytes.slice(ENVELOPE_MESSAGE_HEADER_BYTES);
  let message: EnvelopeServiceMessage;
  if (code === ENVELOPE_ACK_CODE.delivered) {
    if (body.length !== 0) malformedMessage('delivered carries a body');
    message = { kind: 'delivered', messageId };
  } else if (code === ENVELOPE_ACK_CODE.refused) {
    const text = body.length <= REFUSAL_CODE_MAX_BYTES ? String.fromCharCode(...body) : '';
    if (!REFUSAL_CODE.test(text)) malformedMessage('refusal code is not 1 to 64 printable ASCII characters');
    message = { kind: 'refused', messageId, code: text };
  } else {
    const channel = channelByCode.get(code);
    if (channel === undefined) malformedMessage(`unknown channel 0x${code.toString(16).padStart(2, '0')}`);
    if (body.length === 0) malformedMessage('empty body');
    message = { kind: 'publish', channel, messageId, body };
  }
  if (options.from !== undefined && envelopeMessagePublisher(message) !== options.from) {
    malformedMessage(`a ${options.from} may not send on ${message.kind === 'publish' ? message.channel : message.kind}`);
  }
  return message;
}

// ---------------------------------------------------------------------------------------------
// Fragments

/** Smallest ATT_MTU on LE (Bluetooth Core 5.4 Vol 3 Part F §3.2.8): 20-byte values. */
const ATT_MTU_MIN = 23;

/** Largest ATT_MTU an ATT_EXCHANGE_MTU can name (uint16, Vol 3 Part F §3.4.2.1). */
const ATT_MTU_MAX = 0xffff;

/** Fragment header bits. */
export const FRAGMENT_HEADER = { first: 0x80, last: 0x40, counterMask: 0x3f } as const;

/** Header byte + message length (uint32 LE) in the first fragment, bytes. */
const FIRST_OVERHEAD = 5;
/** Header byte in the others, bytes. */
const NEXT_OVERHEAD = 1;

/**
 * Bytes one ATT value may carry at `mtu`: ATT_MTU - 3 (the notification / write opcode and
 * handle), capped at the 512-byte attribute maximum. 20 at MTU 23, 244 at 247, 512 from 515 on.
 */
export function attPayloadBytes(mtu: number): number {
  checkInteger(mtu, ATT_MTU_MIN, ATT_MTU_MAX, 'envelope service', 'mtu');
  return Math.min(mtu - 3, ATT_VALUE_MAX_BYTES);
}

/** Splits messages into ATT values. */
export class Fragmenter {
  readonly #maxMessageBytes: number;

  constructor(options: EnvelopeMessageOptions = {}) {
    this.#maxMessageBytes = maxBytesOf(options);
  }

  /**
   * The ATT values carrying `message` at `mtu`, in order: every value but the last is full. The
   * counter starts at 0 with each message. Throws BleMessageTooLargeError or ValueOutOfRangeError.
   */
  fragment(message: Uint8Array, mtu: number): Uint8Array[] {
    const payload = attPayloadBytes(mtu);
    if (!(message instanceof Uint8Array) || message.length === 0) outOfRange('envelope service', 'message', 'must be a non-empty byte array');
    if (message.length > this.#maxMessageBytes) {
      throw new BleMessageTooLargeError(`envelope service message of ${message.length} bytes exceeds ${this.#maxMessageBytes}`, {
        details: { length: message.length, maxMessageBytes: this.#maxMessageBytes },
      });
    }
    const values: Uint8Array[] = [];
    let offset = 0;
    for (let index = 0; offset < message.length; index += 1) {
      const overhead = index === 0 ? FIRST_OVERHEAD : NEXT_OVERHEAD;
      const take = Math.min(payload - overhead, message.length - offset);
      const last = offset + take === message.length;
      const value = new Uint8Array(overhead + take);
      value[0] = (index === 0 ? FRAGMENT_HEADER.first : 0) | (last ? FRAGMENT_HEADER.last : 0) | (index & FRAGMENT_HEADER.counterMask);
      if (index === 0) new DataView(value.buffer).setUint32(1, message.length, true);
      value.set(message.subarray(offset, offset + take), overhead);
      values.push(value);
      offset += take;
    }
    return values;
  }
}

/** Options of the Reassembler. */
export interface ReassemblerOptions extends EnvelopeMessageOptions {
  /**
   * Longest a message may take from its first fragment to its last, ms. Default 60 s: the
   * largest message at MTU 23 is about 3,500 fragments, so a link must move one per 17 ms.
   */
  readonly messageTimeoutMs?: number;
  /**
   * Longest gap between two fragments of a message, ms. Default 10 s: longer than a typical LE
   * supervision timeout (a link silent that long has been dropped).
   */
  readonly fragmentTimeoutMs?: number;
  /** Monotonic clock, ms (default performance.now); tests pass a controlled one. */
  readonly now?: () => number;
}

/** Default Reassembler timeouts, ms. */
export const REASSEMBLY_TIMEOUTS_MS = { message: 60_000, fragment: 10_000 } as const;

interface PartialMessage {
  readonly declared: number;
  readonly startedAt: number;
  lastAt: number;
  nextCounter: number;
  received: number;
  readonly chunks: Uint8Array[];
}

/**
 * Rebuilds messages from ATT values, one message at a time (ATT values of one characteristic
 * arrive in order). It holds at most the declared length, itself at most maxMessageBytes, and
 * only as data arrives, so a peer cannot make it hold more than it sent. Every violation throws
 * a typed error and resets: the partial message is dropped along with the offending value, and
 * the next first fragment starts fresh. Nothing but BleErrors ever escapes push() [CTL-16].
 */
export class Reassembler {
  readonly #maxMessageBytes: number;
  readonly #messageTimeoutMs: number;
  readonly #fragmentTimeoutMs: number;
  readonly #now: () => number;
  #partial: PartialMessage | undefined;

  constructor(options: ReassemblerOptions = {}) {
    this.#maxMessageBytes = maxBytesOf(options);
    this.#messageTimeoutMs = checkInteger(options.messageTimeoutMs ?? REASSEMBLY_TIMEOUTS_MS.message, 1, 2 ** 31, 'envelope service', 'messageTimeoutMs');
    this.#fragmentTimeoutMs = checkInteger(options.fragmentTimeoutMs ?? REASSEMBLY_TIMEOUTS_MS.fragment, 1, 2 ** 31, 'envelope service', 'fragmentTimeoutMs');
    this.#now = options.now ?? (() => performance.now());
  }

  /** Whether a message is partly received. */
  get inProgress(): boolean {
    return this.#partial !== undefined;
  }

  /** Bytes held for the partial message. */
  get bufferedBytes(): number {
    return this.#partial?.received ?? 0;
  }

  /** Drops any partial message (e.g. on disconnection). */
  reset(): void {
    this.#partial = undefined;
  }

  /**
   * Throws FragmentTimeoutError (and resets) when the partial message has timed out; call it
   * from a periodic tick to notice a stalled sender before its next value arrives.
   */
  checkTimeout(): void {
    const partial = this.#partial;
    if (partial === undefined) return;
    const now = this.#now();
    const kind = now - partial.startedAt > this.#messageTimeoutMs ? 'message' : now - partial.lastAt > this.#fragmentTimeoutMs ? 'fragment' : undefined;
    if (kind === undefined) return;
    this.reset();
    throw new FragmentTimeoutError(`envelope service: ${kind} reassembly timeout`, {
      details: { kind, timeoutMs: kind === 'message' ? this.#messageTimeoutMs : this.#fragmentTimeoutMs },
    });
  }

  /**
   * Takes one ATT value; returns the message it completes (a fresh copy), or undefined. Throws
   * MalformedFragmentError, FragmentOutOfSequenceError, FragmentLengthMismatchError,
   * FragmentTimeoutError or BleMessageTooLargeError, and then holds nothing.
   */
  push(value: Uint8Array): Uint8Array | undefined {
    this.checkTimeout();
    try {
      return this.#accept(value);
    } catch (error) {
      this.reset();
      throw error;
    }
  }

  #accept(value: Uint8Array): Uint8Array | undefined {
    if (!(value instanceof Uint8Array) || value.length === 0) fragmentError(MalformedFragmentError, 'empty value');
    if (value.length > ATT_VALUE_MAX_BYTES) fragmentError(MalformedFragmentError, `value longer than ${ATT_VALUE_MAX_BYTES} bytes`);
    const header = value[0] ?? 0;
    const counter = header & FRAGMENT_HEADER.counterMask;
    const last = (header & FRAGMENT_HEADER.last) !== 0;
    if ((header & FRAGMENT_HEADER.first) !== 0) {
      if (this.#partial !== undefined) fragmentError(FragmentOutOfSequenceError, 'first fragment while a message is incomplete');
      if (counter !== 0) fragmentError(FragmentOutOfSequenceError, 'first fragment with a counter other than 0');
      if (value.length < FIRST_OVERHEAD) fragmentError(MalformedFragmentError, 'first fragment without its 4-byte length');
      const declared = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(1, true);
      if (declared > this.#maxMessageBytes) {
        throw new BleMessageTooLargeError(`envelope service message declares ${declared} bytes, over ${this.#maxMessageBytes}`, {
          details: { length: declared, maxMessageBytes: this.#maxMessageBytes },
        });
      }
      if (declared === 0) fragmentError(MalformedFragmentError, 'declared length 0');
      const data = value.subarray(FIRST_OVERHEAD);
      this.#checkLength(declared, data.length, last);
      if (last) return data.slice();
      const now = this.#now();
      this.#partial = { declared, startedAt: now, lastAt: now, nextCounter: 1, received: data.length, chunks: [data.slice()] };
      return undefined;
    }
    const partial = this.#partial;
    if (partial === undefined) fragmentError(FragmentOutOfSequenceError, 'continuation without a first fragment');
    if (counter !== partial.nextCounter) fragmentError(FragmentOutOfSequenceError, 'fragment counter out of sequence');
    const data = value.subarray(NEXT_OVERHEAD);
    this.#checkLength(partial.declared - partial.received, data.length, last);
    partial.chunks.push(data.slice());
    partial.received += data.length;
    partial.nextCounter = (partial.nextCounter + 1) & FRAGMENT_HEADER.counterMask;
    partial.lastAt = this.#now();
    if (!last) return undefined;
    const message = new Uint8Array(partial.declared);
    let offset = 0;
    for (const chunk of partial.chunks) {
      message.set(chunk, offset);
      offset += chunk.length;
    }
    this.#partial = undefined;
    return message;
  }

  /** `outstanding` bytes are still expected; a fragment brings `length` of them. */
  #checkLength(outstanding: number, length: number, last: boolean): void {
    // Every fragment carries data, no fragment runs past the declared length, the last one ends
    // exactly on it, and no other one reaches it (the next would have nothing left to carry).
    if (length === 0) fragmentError(MalformedFragmentError, 'fragment carries no data');
    if (length > outstanding) fragmentError(FragmentLengthMismatchError, 'fragments carry more than the declared length');
    if (last && length < outstanding) fragmentError(FragmentLengthMismatchError, 'last fragment ends before the declared length');
    if (!last && length === outstanding) fragmentError(FragmentLengthMismatchError, 'declared length reached before the last fragment');
  }
}

function fragmentError(
  ErrorClass: typeof MalformedFragmentError | typeof FragmentOutOfSequenceError | typeof FragmentLengthMismatchError,
  reason: string,
): never {
  throw new ErrorClass(`envelope service fragment: ${reason}`, { details: { reason } });
}
