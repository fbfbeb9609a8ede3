/**
 * Errors of @medsim/ble-radio, each with a stable code (docs/reference/errors.md).
 */
import { MedsimError, type ErrorCatalogue, type MedsimErrorOptions } from '@medsim/protocol';

/** Codes of @medsim/ble-radio, with meaning and remedy. */
export const bleErrorCatalogue = {
  ERR_BLE_NOT_ENCODABLE: {
    meaning: 'A number cannot be written as an IEEE 11073 SFLOAT or FLOAT at the requested precision: its mantissa or exponent is out of range, or it has more decimals than the exponent allows.',
    remedy: 'Give an exponent the value fits (SFLOAT: mantissa ±2045, exponent -8..7; FLOAT: mantissa ±8,388,605, exponent -128..127), or round the value first.',
  },
  ERR_BLE_RESERVED_VALUE: {
    meaning: 'An SFLOAT or FLOAT holds a value the standard reserves for future use; it carries no number.',
    remedy: 'Treat the measurement as unavailable; the sender does not follow IEEE 11073-20601.',
  },
  ERR_BLE_MALFORMED_VALUE: {
    meaning: 'A GATT characteristic value does not follow its Bluetooth SIG specification: truncated, trailing bytes, a reserved flag bit, a reserved enumeration value or status bit, an impossible date, or invalid UTF-8.',
    remedy: 'Drop the value; the error details name the characteristic, field and reason. The sender does not follow the service specification (docs/protocols/ble.md).',
  },
  ERR_BLE_VALUE_OUT_OF_RANGE: {
    meaning: 'A value given to a GATT encoder lies outside what the characteristic can carry (integer range, enumeration, text length, ATT MTU).',
    remedy: 'Keep the value within the range the service specification gives; the error details name the field.',
  },
  ERR_BLE_MALFORMED_MESSAGE: {
    meaning: 'A medsim envelope service message is malformed: shorter than its 5-byte header, an unknown channel, a channel the sender may not use, an empty body, or an acknowledgement body that breaks its rule.',
    remedy: 'Drop the message; the peer does not follow docs/protocols/ble.md.',
  },
  ERR_BLE_MESSAGE_TOO_LARGE: {
    meaning: 'A medsim envelope service message is, or declares itself, larger than the reassembly limit (65 KiB by default); it was refused before any buffering.',
    remedy: 'Send smaller messages (a SealedEnvelope is at most about 60 KiB), or raise maxMessageBytes on both sides.',
  },
  ERR_BLE_FRAGMENT_MALFORMED: {
    meaning: 'An ATT value of the envelope service is not a valid fragment: empty, longer than 512 bytes, a first fragment without its 4-byte length, or a continuation carrying no data.',
    remedy: 'The partial message was discarded; the sender resends the message after its delivery acknowledgement fails to arrive.',
  },
  ERR_BLE_FRAGMENT_OUT_OF_SEQUENCE: {
    meaning: 'A fragment arrived out of order: a continuation with no message started, a first fragment while another message was incomplete, or a counter that does not follow the previous one.',
    remedy: 'The partial message was discarded and the reassembler starts fresh at the next first fragment; the sender resends unacknowledged messages.',
  },
  ERR_BLE_FRAGMENT_LENGTH_MISMATCH: {
    meaning: 'The fragments of a message carry more data than its declared length, or its last fragment ends before the declared length is reached.',
    remedy: 'The partial message was discarded; the sender resends it.',
  },
  ERR_BLE_FRAGMENT_TIMEOUT: {
    meaning: 'A partly reassembled message took longer than the reassembly timeout (per fragment or for the whole message); it was discarded.',
    remedy: 'Check the link; the sender resends unacknowledged messages. Raise the timeouts only for very slow links.',
  },
  ERR_BLE_INVALID_DEFINITION: {
    meaning: 'A virtual radio peripheral or GATT definition is invalid: a malformed address or UUID, a duplicate address, a limit out of range (MTU 23..247, advertising interval 20..10,240 ms, connections 1..16), advertising data over 31 bytes, or a characteristic without properties.',
    remedy: 'Fix the definition; the error details name the field. Limits follow Bluetooth Core 5.4 (docs/adr/0005-ble-link-security.md).',
  },
  ERR_BLE_UNKNOWN_PERIPHERAL: {
    meaning: 'No peripheral with this address or noble id is on the virtual radio.',
    remedy: 'Add it with radio.addPeripheral first; addresses look like c0:ff:ee:00:00:01, noble ids like c0ffee000001.',
  },
  ERR_BLE_UNKNOWN_ATTRIBUTE: {
    meaning: 'A peripheral was asked to notify or indicate a service or characteristic it does not have, or one without the notify or indicate property.',
    remedy: 'Name a characteristic of the peripheral\'s GATT definition that declares the property.',
  },
  ERR_BLE_ATT_ERROR: {
    meaning: 'The GATT server answered an ATT request with an Error Response (the ATT error code is in details.attErrorCode: 0x0F Insufficient Encryption, 0x03 Write Not Permitted, ...).',
    remedy: 'For 0x05/0x0F pair first (peripheral.pairAsync()); for 0x02/0x03 use an operation the characteristic allows; other codes are the device\'s answer to the request.',
  },
  ERR_BLE_ATT_MALFORMED: {
    meaning: 'Bytes on an ATT or SMP channel are not a valid PDU (truncated, unknown opcode, inconsistent list entries).',
    remedy: 'The PDU was dropped (a request gets an Invalid PDU error response); fix the sender.',
  },
  ERR_BLE_ATT_VALUE_TOO_LONG: {
    meaning: 'A value does not fit one ATT PDU on this link: longer than ATT_MTU-3 for a write, notification or indication, or longer than 512 bytes (the ATT maximum attribute length).',
    remedy: 'Fragment the value to the link\'s MTU (the medsim envelope service does), or negotiate a larger MTU; long writes (Prepare Write) are not modelled.',
  },
  ERR_BLE_ATT_TIMEOUT: {
    meaning: 'An ATT request got no response within 30 s (Bluetooth Core 5.4 Vol 3 Part F §3.3.3); the bearer is unusable and the central dropped the link.',
    remedy: 'Reconnect; check the device\'s GATT handlers resolve.',
  },
  ERR_BLE_NOT_CONNECTED: {
    meaning: 'A GATT operation, RSSI read or pairing was asked for a peripheral this central is not connected to.',
    remedy: 'Connect first (peripheral.connectAsync()).',
  },
  ERR_BLE_DISCONNECTED: {
    meaning: 'The link ended before the operation completed (details.hciReason: 0x08 supervision timeout, 0x13 remote terminated, 0x16 local host, 0x3D MIC failure).',
    remedy: 'Reconnect and retry; a pending indication was not confirmed and must be treated as undelivered.',
  },
  ERR_BLE_CONNECTION_FAILED: {
    meaning: 'The connection could not be established (HCI 0x3E): the peripheral is not advertising connectably, is powered off, out of range, or already at its connection limit.',
    remedy: 'Scan again and connect while the device advertises; disconnect its other central if it allows only one connection.',
  },
  ERR_BLE_PAIRING_FAILED: {
    meaning: 'Pairing did not complete (details.smpReason: 0x03 authentication requirements, e.g. MITM protection asked of a Just Works device; 0x05 pairing not supported; 0x04/0x0B confirm or DHKey check failed), or a pairing kind other than Just Works was asked.',
    remedy: 'noble offers only Just Works: ask for Encryption, not EncryptionAndAuthentication, and rely on the end-to-end envelope for authenticity (docs/adr/0005-ble-link-security.md).',
  },
  ERR_BLE_POWERED_OFF: {
    meaning: 'A peripheral operation (advertise, notify, indicate) was asked of a simulated peripheral that is powered off.',
    remedy: 'Call peripheral.powerOn() first.',
  },
} as const satisfies ErrorCatalogue;

/** A code of @medsim/ble-radio. */
export type BleErrorCode = keyof typeof bleErrorCatalogue;

/** Base of @medsim/ble-radio's errors. */
export class BleError extends MedsimError {
  declare readonly code: BleErrorCode;

  constructor(code: BleErrorCode, message: string, options?: MedsimErrorOptions) {
    super(code, message, options);
  }
}

/** ERR_BLE_NOT_ENCODABLE */
export class NotEncodableError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_NOT_ENCODABLE', message, options);
  }
}

/** ERR_BLE_RESERVED_VALUE */
export class ReservedValueError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_RESERVED_VALUE', message, options);
  }
}

/** ERR_BLE_MALFORMED_VALUE */
export class MalformedValueError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_MALFORMED_VALUE', message, options);
  }
}

/** ERR_BLE_VALUE_OUT_OF_RANGE */
export class ValueOutOfRangeError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_VALUE_OUT_OF_RANGE', message, options);
  }
}

/** ERR_BLE_MALFORMED_MESSAGE */
export class MalformedBleMessageError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_MALFORMED_MESSAGE', message, options);
  }
}

/** ERR_BLE_MESSAGE_TOO_LARGE */
export class BleMessageTooLargeError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_MESSAGE_TOO_LARGE', message, options);
  }
}

/** ERR_BLE_FRAGMENT_MALFORMED */
export class MalformedFragmentError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_FRAGMENT_MALFORMED', message, options);
  }
}

/** ERR_BLE_FRAGMENT_OUT_OF_SEQUENCE */
export class FragmentOutOfSequenceError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_FRAGMENT_OUT_OF_SEQUENCE', message, options);
  }
}

/** ERR_BLE_FRAGMENT_LENGTH_MISMATCH */
export class FragmentLengthMismatchError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_FRAGMENT_LENGTH_MISMATCH', message, options);
  }
}

/** ERR_BLE_FRAGMENT_TIMEOUT */
export class FragmentTimeoutError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_FRAGMENT_TIMEOUT', message, options);
  }
}

/** ERR_BLE_INVALID_DEFINITION */
export class InvalidRadioDefinitionError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_INVALID_DEFINITION', message, options);
  }
}

/** ERR_BLE_UNKNOWN_PERIPHERAL */
export class UnknownPeripheralError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_UNKNOWN_PERIPHERAL', message, options);
  }
}

/** ERR_BLE_UNKNOWN_ATTRIBUTE */
export class UnknownAttributeError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_UNKNOWN_ATTRIBUTE', message, options);
  }
}

/** Where an ATT Error Response came from (Bluetooth Core 5.4 Vol 3 Part F §3.4.1.1). */
export interface AttErrorOptions extends MedsimErrorOptions {
  /** Text of the error; defaults to `ATT error 0x..`. */
  readonly message?: string;
  /** The attribute handle in error (0x0000 when none applies). */
  readonly handle?: number;
  /** The opcode of the request that failed. */
  readonly requestOpcode?: number;
}

/**
 * ERR_BLE_ATT_ERROR: an ATT Error Response. A GATT handler throws `new AttError(0x80)` to answer
 * with that code; a central receives it as the error of the failed noble call.
 */
export class AttError extends BleError {
  /** The ATT error code (Bluetooth Core 5.4 Vol 3 Part F §3.4.1.1 table 3.4; 0x80–0x9F application). */
  readonly attErrorCode: number;
  /** The attribute handle in error (0 when none applies). */
  readonly handle: number;
  /** The opcode of the failed request (0 when raised by a handler). */
  readonly requestOpcode: number;

  constructor(attErrorCode: number, options: AttErrorOptions = {}) {
    const hex = `0x${attErrorCode.toString(16).padStart(2, '0')}`;
    super('ERR_BLE_ATT_ERROR', options.message ?? `ATT error ${hex}`, {
      ...options,
      details: { ...options.details, attErrorCode, handle: options.handle ?? 0, requestOpcode: options.requestOpcode ?? 0 },
    });
    this.attErrorCode = attErrorCode;
    this.handle = options.handle ?? 0;
    this.requestOpcode = options.requestOpcode ?? 0;
  }
}

/** ERR_BLE_ATT_MALFORMED */
export class AttMalformedError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_ATT_MALFORMED', message, options);
  }
}

/** ERR_BLE_ATT_VALUE_TOO_LONG */
export class AttValueTooLongError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_ATT_VALUE_TOO_LONG', message, options);
  }
}

/** ERR_BLE_ATT_TIMEOUT */
export class AttTimeoutError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_ATT_TIMEOUT', message, options);
  }
}

/** ERR_BLE_NOT_CONNECTED */
export class NotConnectedError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_NOT_CONNECTED', message, options);
  }
}

/** ERR_BLE_DISCONNECTED: carries the HCI reason the link ended with. */
export class LinkDisconnectedError extends BleError {
  /** HCI error code of the disconnection (0x08, 0x13, 0x16, 0x3D...). */
  readonly hciReason: number;

  constructor(hciReason: number, message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_DISCONNECTED', message, { ...options, details: { ...options?.details, hciReason } });
    this.hciReason = hciReason;
  }
}

/** ERR_BLE_CONNECTION_FAILED: carries the HCI status (0x3E). */
export class ConnectionFailedError extends BleError {
  /** HCI error code of the failure (0x3E Connection Failed to be Established). */
  readonly hciReason: number;

  constructor(hciReason: number, message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_CONNECTION_FAILED', message, { ...options, details: { ...options?.details, hciReason } });
    this.hciReason = hciReason;
  }
}

/** ERR_BLE_PAIRING_FAILED: carries the SMP Pairing Failed reason (0 when the central refused locally). */
export class PairingFailedError extends BleError {
  /** SMP reason code (Bluetooth Core 5.4 Vol 3 Part H §3.5.5), 0 when not from SMP. */
  readonly smpReason: number;

  constructor(smpReason: number, message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_PAIRING_FAILED', message, { ...options, details: { ...options?.details, smpReason } });
    this.smpReason = smpReason;
  }
}

/** ERR_BLE_POWERED_OFF */
export class PeripheralPoweredOffError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_POWERED_OFF', message, options);
  }
}
