/**
 * The central side of GATT over one link: the procedures of Bluetooth Core 5.4 Vol 3 Part G §4
 * that noble's calls map to, run as real ATT exchanges.
 *
 * ATT is sequential (Vol 3 Part F §3.3.2): one request is outstanding at a time, commands travel in
 * order with the requests (as noble's HCI bindings queue them), and a request unanswered for 30 s
 * ends the bearer (§3.3.3). Services are found with Read By Group Type, characteristics with Read
 * By Type on 0x2803, descriptors with Find Information; long values are read with Read Blob.
 * Long writes (Prepare/Execute Write) are not modelled: a value over ATT_MTU-3 is refused.
 */
import { AttError, AttMalformedError, AttTimeoutError, AttValueTooLongError } from '../errors.js';
import { ATT_ERROR, type AttPdu, attErrorName, attOpcode, decodeUuid } from './att.js';
import { GATT_ATTRIBUTE_TYPE } from './gatt-server.js';

/** What the client needs from the link. */
export interface AttBearer {
  /** ATT_MTU in force on the link. */
  readonly mtu: number;
  /** Sends a PDU; resolves on the link-layer acknowledgement. */
  send(pdu: AttPdu): Promise<void>;
  /** Sends a PDU without waiting (Handle Value Confirmation). */
  post(pdu: AttPdu): void;
  /** A request timed out: the bearer must be closed (the link dropped). */
  timedOut(): void;
}

/** A primary service found on the server. */
export interface DiscoveredService {
  readonly uuid: string;
  readonly startHandle: number;
  readonly endHandle: number;
}

/** Characteristic property names as noble reports them (Vol 3 Part G §3.3.1.1). */
export type DiscoveredProperty =
  | 'broadcast'
  | 'read'
  | 'writeWithoutResponse'
  | 'write'
  | 'notify'
  | 'indicate'
  | 'authenticatedSignedWrites'
  | 'extendedProperties';

const PROPERTY_NAMES: readonly DiscoveredProperty[] = [
  'broadcast',
  'read',
  'writeWithoutResponse',
  'write',
  'notify',
  'indicate',
  'authenticatedSignedWrites',
  'extendedProperties',
];

/** A characteristic found on the server. */
export interface DiscoveredCharacteristic {
  readonly serviceUuid: string;
  readonly uuid: string;
  readonly properties: readonly DiscoveredProperty[];
  readonly propertyBits: number;
  readonly declarationHandle: number;
  readonly valueHandle: number;
  readonly endHandle: number;
}

/** A descriptor found on the server. */
export interface DiscoveredDescriptor {
  readonly uuid: string;
  readonly handle: number;
}

/** Options of the client. */
export interface GattClientOptions {
  /** ATT transaction timeout; default 30,000 ms (Vol 3 Part F §3.3.3). */
  readonly attTimeoutMs?: number;
}

/** ATT transaction timeout: 30 s (Bluetooth Core 5.4 Vol 3 Part F §3.3.3). */
export const ATT_TRANSACTION_TIMEOUT_MS = 30_000;

const MAX_HANDLE = 0xffff;

/** GATT client of one connection. */
export class GattClient {
  /** Receives notifications and indications: value handle, value, whether it was an indication. */
  onNotification: (handle: number, value: Buffer, indication: boolean) => void = () => undefined;
  private readonly timeoutMs: number;
  private tail: Promise<unknown> = Promise.resolve();
  private pending?: { readonly expects: AttPdu['op']; readonly requestOpcode: number; readonly resolve: (pdu: AttPdu) => void; readonly reject: (error: Error) => void; readonly timer: NodeJS.Timeout } | undefined;
  private failure?: Error | undefined;
  private services?: DiscoveredService[] | undefined;
  private readonly characteristicsByService = new Map<string, DiscoveredCharacteristic[]>();
  private readonly descriptorsByCharacteristic = new Map<number, DiscoveredDescriptor[]>();

  constructor(
    private readonly bearer: AttBearer,
    options: GattClientOptions = {},
  ) {
    this.timeoutMs = options.attTimeoutMs ?? ATT_TRANSACTION_TIMEOUT_MS;
  }

  /** Handles an ATT PDU from the server. */
  receive(pdu: AttPdu): void {
    if (pdu.op === 'handle-value-ntf' || pdu.op === 'handle-value-ind') {
      // Confirm first: the server may send nothing else to us until it has (Vol 3 Part F §3.4.7.2).
      if (pdu.op === 'handle-value-ind') this.bearer.post({ op: 'handle-value-cfm' });
      this.onNotification(pdu.handle, pdu.value, pdu.op === 'handle-value-ind');
      return;
    }
    const pending = this.pending;
    if (pending === undefined) return;
    const answers = pdu.op === pending.expects || (pdu.op === 'error-rsp' && pdu.requestOpcode === pending.requestOpcode);
    if (!answers) return;
    clearTimeout(pending.timer);
    this.pending = undefined;
    pending.resolve(pdu);
  }

  /** Fails the outstanding request and every later one with `error` (the link is gone). */
  close(error: Error): void {
    this.failure ??= error;
    const pending = this.pending;
    this.pending = undefined;
    if (pending !== undefined) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
  }

  /** Exchange MTU (Vol 3 Part G §4.3.1): resolves with the ATT_MTU now in force. */
  async exchangeMtu(clientMtu: number): Promise<number> {
    const response = await this.request({ op: 'exchange-mtu-req', mtu: clientMtu }, 'exchange-mtu-rsp', 'exchange MTU');
    if (response.op !== 'exchange-mtu-rsp') throw new AttMalformedError('unexpected Exchange MTU answer');
    return Math.max(23, Math.min(clientMtu, response.mtu));
  }

  /** Discover All Primary Services (Vol 3 Part G §4.4.1); cached for the connection. */
  async discoverServices(): Promise<readonly DiscoveredService[]> {
    if (this.services !== undefined) return this.services;
    const found: DiscoveredService[] = [];
    let start = 1;
    while (start <= MAX_HANDLE) {
      const response = await this.request(
        { op: 'read-by-group-type-req', startHandle: start, endHandle: MAX_HANDLE, type: GATT_ATTRIBUTE_TYPE.PRIMARY_SERVICE },
        'read-by-group-type-rsp',
        'discover services',
        true,
      );
      if (response.op !== 'read-by-group-type-rsp') break;
      for (const entry of response.entries) found.push({ uuid: decodeUuid(entry.value), startHandle: entry.handle, endHandle: entry.endGroupHandle });
      const last = response.entries.at(-1)?.endGroupHandle ?? MAX_HANDLE;
      if (last < start) throw new AttMalformedError('service discovery did not advance');
      start = last + 1;
    }
    this.services = found;
    return found;
  }

  /** The service `uuid`, discovering services if needed. */
  async service(uuid: string): Promise<DiscoveredService | undefined> {
    return (await this.discoverServices()).find((service) => service.uuid === uuid);
  }

  /** Find Included Services (Vol 3 Part G §4.5.1): the radio defines none, so this is the empty answer. */
  async discoverIncludedServices(service: DiscoveredService): Promise<string[]> {
    const response = await this.request(
      { op: 'read-by-type-req', startHandle: service.startHandle, endHandle: service.endHandle, type: GATT_ATTRIBUTE_TYPE.INCLUDE },
      'read-by-type-rsp',
      'discover included services',
      true,
    );
    if (response.op !== 'read-by-type-rsp') return [];
    return response.entries.filter((entry) => entry.value.length >= 6).map((entry) => decodeUuid(entry.value.subarray(4)));
  }

  /** Discover All Characteristics of a Service (Vol 3 Part G §4.6.1); cached. */
  async discoverCharacteristics(service: DiscoveredService): Promise<readonly DiscoveredCharacteristic[]> {
    const cached = this.characteristicsByService.get(service.uuid);
    if (cached !== undefined) return cached;
    const declarations: { handle: number; bits: number; valueHandle: number; uuid: string }[] = [];
    let start = service.startHandle;
    while (start <= service.endHandle) {
      const response = await this.request(
        { op: 'read-by-type-req', startHandle: start, endHandle: service.endHandle, type: GATT_ATTRIBUTE_TYPE.CHARACTERISTIC },
        'read-by-type-rsp',
        'discover characteristics',
        true,
      );
      if (response.op !== 'read-by-type-rsp') break;
      for (const entry of response.entries) {
        // Declaration value: properties (1) | value handle (2) | UUID (2 or 16) (§3.3.1).
        if (entry.value.length !== 5 && entry.value.length !== 19) throw new AttMalformedError('malformed characteristic declaration');
        declarations.push({ handle: entry.handle, bits: entry.value[0] ?? 0, valueHandle: entry.value.readUInt16LE(1), uuid: decodeUuid(entry.value.subarray(3)) });
      }
      const last = response.entries.at(-1)?.handle ?? service.endHandle;
      if (last < start) throw new AttMalformedError('characteristic discovery did not advance');
      start = last + 1;
    }
    const characteristics = declarations.map((declaration, i) => ({
      serviceUuid: service.uuid,
      uuid: declaration.uuid,
      propertyBits: declaration.bits,
      properties: PROPERTY_NAMES.filter((_, bit) => (declaration.bits >> bit) & 1),
      declarationHandle: declaration.handle,
      valueHandle: declaration.valueHandle,
      endHandle: (declarations[i + 1]?.handle ?? service.endHandle + 1) - 1,
    }));
    this.characteristicsByService.set(service.uuid, characteristics);
    return characteristics;
  }

  /** The characteristic `uuid` of service `serviceUuid`, discovering as needed. */
  async characteristic(serviceUuid: string, uuid: string): Promise<DiscoveredCharacteristic | undefined> {
    const service = await this.service(serviceUuid);
    if (service === undefined) return undefined;
    return (await this.discoverCharacteristics(service)).find((characteristic) => characteristic.uuid === uuid);
  }

  /** The discovered characteristic whose value has this handle (to route notifications). */
  byValueHandle(handle: number): DiscoveredCharacteristic | undefined {
    for (const characteristics of this.characteristicsByService.values()) {
      const found = characteristics.find((characteristic) => characteristic.valueHandle === handle);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Discover All Characteristic Descriptors (Vol 3 Part G §4.7.1); cached. */
  async discoverDescriptors(characteristic: DiscoveredCharacteristic): Promise<readonly DiscoveredDescriptor[]> {
    const cached = this.descriptorsByCharacteristic.get(characteristic.valueHandle);
    if (cached !== undefined) return cached;
    const found: DiscoveredDescriptor[] = [];
    let start = characteristic.valueHandle + 1;
    while (start <= characteristic.endHandle) {
      const response = await this.request(
        { op: 'find-information-req', startHandle: start, endHandle: characteristic.endHandle },
        'find-information-rsp',
        'discover descriptors',
        true,
      );
      if (response.op !== 'find-information-rsp') break;
      for (const entry of response.entries) found.push({ uuid: entry.uuid, handle: entry.handle });
      const last = response.entries.at(-1)?.handle ?? characteristic.endHandle;
      if (last < start) throw new AttMalformedError('descriptor discovery did not advance');
      start = last + 1;
    }
    this.descriptorsByCharacteristic.set(characteristic.valueHandle, found);
    return found;
  }

  /** Read Characteristic Value, then Read Long Characteristic Value when it fills the PDU (§4.8.1, §4.8.3). */
  async read(handle: number): Promise<Buffer> {
    const first = await this.request({ op: 'read-req', handle }, 'read-rsp', 'read');
    if (first.op !== 'read-rsp') throw new AttMalformedError('unexpected Read answer');
    const parts = [first.value];
    let length = first.value.length;
    let last = first.value.length;
    while (last === this.bearer.mtu - 1 && length < 512) {
      const next = await this.request({ op: 'read-blob-req', handle, offset: length }, 'read-blob-rsp', 'read blob', true);
      // Attribute Not Long or an offset at the end: the value was exactly one PDU long.
      if (next.op !== 'read-blob-rsp') break;
      parts.push(next.value);
      length += next.value.length;
      last = next.value.length;
    }
    return Buffer.concat(parts);
  }

  /** Write Characteristic Value (Write Request) or Write Without Response (Write Command) (§4.9.1, §4.9.3). */
  async write(handle: number, value: Buffer, withoutResponse: boolean): Promise<void> {
    const room = this.bearer.mtu - 3;
    if (value.length > room) {
      throw new AttValueTooLongError(`a ${value.length}-octet value does not fit one ATT PDU at ATT_MTU ${this.bearer.mtu} (max ${room} octets)`, {
        details: { length: value.length, mtu: this.bearer.mtu },
      });
    }
    if (withoutResponse) {
      await this.command({ op: 'write-cmd', handle, value });
      return;
    }
    await this.request({ op: 'write-req', handle, value }, 'write-rsp', 'write');
  }

  /** Sends a command in order with the requests; resolves on its link-layer acknowledgement. */
  private command(pdu: AttPdu): Promise<void> {
    return this.enqueue(async () => {
      await this.bearer.send(pdu);
    });
  }

  /**
   * Runs one ATT transaction. An Error Response becomes an AttError, except Attribute Not Found
   * (and Attribute Not Long) when `tolerateEnd`: that is how discovery and long reads end.
   */
  private request(pdu: AttPdu, expects: AttPdu['op'], what: string, tolerateEnd = false): Promise<AttPdu> {
    return this.enqueue(async () => {
      const response = await this.transact(pdu, expects);
      if (response.op !== 'error-rsp') return response;
      if (tolerateEnd && (response.errorCode === ATT_ERROR.ATTRIBUTE_NOT_FOUND || response.errorCode === ATT_ERROR.ATTRIBUTE_NOT_LONG)) return response;
      throw new AttError(response.errorCode, {
        handle: response.handle,
        requestOpcode: response.requestOpcode,
        message: `${what} failed: ATT error ${attErrorName(response.errorCode)}`,
      });
    });
  }

  private enqueue<T>(run: () => Promise<T>): Promise<T> {
    const guarded = async (): Promise<T> => {
      if (this.failure !== undefined) throw this.failure;
      return run();
    };
    const result = this.tail.then(guarded, guarded);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private transact(pdu: AttPdu, expects: AttPdu['op']): Promise<AttPdu> {
    return new Promise<AttPdu>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        const error = new AttTimeoutError(`no ATT response within ${this.timeoutMs} ms`, { details: { timeoutMs: this.timeoutMs } });
        this.close(error);
        reject(error);
        this.bearer.timedOut();
      }, this.timeoutMs);
      this.pending = { expects, requestOpcode: attOpcode(pdu.op), resolve, reject, timer };
      this.bearer.send(pdu).catch((error: unknown) => {
        if (this.pending?.timer === timer) this.pending = undefined;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }
}
