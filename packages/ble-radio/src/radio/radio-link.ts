/**
 * One LE connection on the virtual air: the link layer between a central and a peripheral.
 *
 * Each direction is an ordered, acknowledged queue, like the LL's stop-and-wait ARQ (Bluetooth Core
 * 5.4 Vol 6 Part B §4.5.9): a PDU is sent at the next connection event (`connectionIntervalMs`,
 * or the next turn of the event loop when 0), the next one waits for its acknowledgement. Under
 * interference a lost PDU is retransmitted at the following connection event with the same bytes;
 * after `maxConsecutiveLosses` losses in a row the supervision timer expires and both sides see
 * HCI 0x08. So, as on real radios, interference costs latency and finally the link, never silent
 * data loss.
 *
 * On the air a PDU is `access address (4) | header (2) | payload`: LLID 0x02 for an L2CAP frame
 * (`length (2) | CID (2) | ATT or SMP PDU`), LLID 0x03 for LL control PDUs (Vol 6 Part B §2.4).
 * Once encryption has started, every payload is sealed with AES-128-CCM and carries a 4-octet MIC
 * (Vol 6 Part E); a MIC failure ends the link with HCI 0x3D. LE Data Length Extension is assumed
 * (one L2CAP frame per LL PDU, ATT_MTU ≤ 247); preamble, CRC, channel hopping and SN/NESN bits are
 * not modelled.
 */
import { LinkDisconnectedError } from '../errors.js';
import { HCI_REASON, hciReasonName } from './hci-reason.js';
import { LinkCipher, type LinkDirection, encryptionStartValues, linkSessionKey } from './link-security.js';

/** LL control opcodes used by the radio (Bluetooth Core 5.4 Vol 6 Part B §2.4.2). */
export const LL_CONTROL = { TERMINATE_IND: 0x02, ENC_REQ: 0x03, ENC_RSP: 0x04, START_ENC_REQ: 0x05, START_ENC_RSP: 0x06 } as const;

/** LLID values of data channel PDUs (Vol 6 Part B §2.4, table 2.15). */
export const LLID = { L2CAP_START: 0x02, CONTROL: 0x03 } as const;

/** L2CAP fixed channels of LE (Vol 3 Part A §2.1): ATT and the Security Manager. */
export const L2CAP_CID = { ATT: 0x0004, SMP: 0x0006 } as const;

/** Access address of every advertising channel PDU (Vol 6 Part B §2.1.2). */
export const ADVERTISING_ACCESS_ADDRESS = 0x8e89bed6;

/** What a link carries: an ATT or SMP PDU in an L2CAP frame, or an LL control PDU. */
export type LinkPayload =
  | { readonly channel: 'att' | 'smp'; readonly bytes: Buffer }
  | { readonly channel: 'll'; readonly opcode: number; readonly data: Buffer };

/** What the sniffer is told about one transmission (ground truth of the simulation). */
export interface AirTransmission {
  readonly kind: 'ATT' | 'SMP' | 'LL_ENC' | 'LL_TERMINATE_IND';
  readonly from: string;
  readonly to: string;
  readonly accessAddress: number;
  readonly direction: LinkDirection;
  /** access address | header | payload (sealed when encrypted). */
  readonly air: Buffer;
  readonly encrypted: boolean;
  /** The receiver missed it (interference); it will be retransmitted. */
  readonly lost: boolean;
}

/** The interference acting on a link now. */
export interface LinkInterference {
  /** Probability that one transmission is lost, 0..1. */
  readonly lossRate: number;
  /** Losses in a row after which the supervision timer expires (HCI 0x08). */
  readonly maxConsecutiveLosses: number;
}

/** What the radio provides to a link. */
export interface LinkEnvironment {
  /** Runs `task` at the next connection event. */
  schedule(task: () => void): void;
  /** The interference on this link now, if any. */
  interference(): LinkInterference | undefined;
  /** A uniform draw in [0, 1) from the link's seeded loss stream. */
  draw(): number;
  /** Records a transmission for the sniffer. */
  capture(transmission: AirTransmission): void;
  /** A PDU arrived at the other end. */
  deliver(direction: LinkDirection, payload: LinkPayload): void;
  /** The link must end: supervision timeout, MIC failure, or a delivered LL_TERMINATE_IND. */
  end(reasons: { readonly central: number; readonly peripheral: number }): void;
  /** Encryption is on in both directions. */
  encrypted(): void;
}

interface QueuedPdu {
  readonly payload: LinkPayload;
  readonly settle?: { resolve: () => void; reject: (error: Error) => void };
  header?: number;
  air?: Buffer;
  body?: Buffer;
  encrypted?: boolean;
}

const DIRECTIONS: readonly LinkDirection[] = ['central-to-peripheral', 'peripheral-to-central'];

const addressOctets = (address: string): Buffer => Buffer.from(address.replace(/:/g, ''), 'hex').reverse();

/** L2CAP basic frame: length (2) | CID (2) | information payload (Vol 3 Part A §3.1). */
function l2capFrame(cid: number, bytes: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16LE(bytes.length, 0);
  header.writeUInt16LE(cid, 2);
  return Buffer.concat([header, bytes]);
}

/** The link layer of one connection. */
export class RadioLink {
  /** Set when the link is gone; no PDU moves after that. */
  closed = false;
  private readonly queues: Record<LinkDirection, QueuedPdu[]> = { 'central-to-peripheral': [], 'peripheral-to-central': [] };
  private readonly busy: Record<LinkDirection, boolean> = { 'central-to-peripheral': false, 'peripheral-to-central': false };
  /** Data PDUs are held while encryption starts (Vol 6 Part B §5.1.3.1). */
  private readonly paused: Record<LinkDirection, boolean> = { 'central-to-peripheral': false, 'peripheral-to-central': false };
  private readonly sealing: Record<LinkDirection, boolean> = { 'central-to-peripheral': false, 'peripheral-to-central': false };
  private consecutiveLosses = 0;
  private centralCipher?: LinkCipher | undefined;
  private peripheralCipher?: LinkCipher | undefined;
  private centralStart?: { ltk: Buffer; skd: Buffer; iv: Buffer; settle: { resolve: () => void; reject: (error: Error) => void } } | undefined;
  /** The key the peripheral's pairing produced; LL_ENC_REQ uses it. */
  peripheralKey?: Buffer | undefined;
  private encryptedBothWays = false;
  private halted = false;

  constructor(
    /** Random 32-bit access address of this connection (Vol 6 Part B §2.1.2). */
    readonly accessAddress: number,
    readonly centralAddress: string,
    readonly peripheralAddress: string,
    private readonly env: LinkEnvironment,
  ) {}

  /** Whether both directions are sealed. */
  get encrypted(): boolean {
    return this.encryptedBothWays;
  }

  /** Queues a PDU; resolves when the peer's link layer acknowledged it, rejects if the link ends first. */
  send(direction: LinkDirection, payload: LinkPayload): Promise<void> {
    return new Promise((resolve, reject) => {
      this.enqueue(direction, { payload, settle: { resolve, reject } });
    });
  }

  /** Queues a PDU without waiting for its acknowledgement. */
  post(direction: LinkDirection, payload: LinkPayload): void {
    this.enqueue(direction, { payload });
  }

  /**
   * Central side of encryption start with the key pairing produced (LTK, or STK for legacy):
   * LL_ENC_REQ → LL_ENC_RSP → LL_START_ENC_REQ → LL_START_ENC_RSP both ways. Resolves when both
   * directions are sealed.
   */
  startEncryption(ltk: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const { skd, iv } = encryptionStartValues();
      this.centralStart = { ltk, skd, iv, settle: { resolve, reject } };
      this.paused['central-to-peripheral'] = true;
      // LL_ENC_REQ: Rand (8) | EDIV (2) | SKDm (8) | IVm (4); Rand and EDIV are 0 for an STK or a LESC LTK.
      this.post('central-to-peripheral', { channel: 'll', opcode: LL_CONTROL.ENC_REQ, data: Buffer.concat([Buffer.alloc(10), skd, iv]) });
    });
  }

  /** Starts the termination procedure: LL_TERMINATE_IND with `reason` from `by`'s side. */
  terminate(by: 'central' | 'peripheral', reason: number): void {
    const direction: LinkDirection = by === 'central' ? 'central-to-peripheral' : 'peripheral-to-central';
    this.post(direction, { channel: 'll', opcode: LL_CONTROL.TERMINATE_IND, data: Buffer.from([reason]) });
  }

  /**
   * The peer is gone (power loss, out of range): nothing moves any more, nothing is acknowledged.
   * The radio closes the link when the supervision timer expires.
   */
  halt(): void {
    this.halted = true;
  }

  /** Ends the link: every queued PDU and a pending encryption start fail with `reason`. */
  close(reason: number): void {
    if (this.closed) return;
    this.closed = true;
    const error = (): LinkDisconnectedError => new LinkDisconnectedError(reason, `link ended: ${hciReasonName(reason)}`);
    for (const direction of DIRECTIONS) {
      for (const item of this.queues[direction].splice(0)) item.settle?.reject(error());
    }
    this.centralStart?.settle.reject(error());
    this.centralStart = undefined;
  }

  private enqueue(direction: LinkDirection, item: QueuedPdu): void {
    if (this.closed) {
      item.settle?.reject(new LinkDisconnectedError(HCI_REASON.UNKNOWN_CONNECTION_IDENTIFIER, 'the link is closed'));
      return;
    }
    this.queues[direction].push(item);
    this.pump(direction);
  }

  private pump(direction: LinkDirection): void {
    if (this.closed || this.halted || this.busy[direction]) return;
    const queue = this.queues[direction];
    const index = this.paused[direction] ? queue.findIndex((item) => item.payload.channel === 'll') : queue.length > 0 ? 0 : -1;
    if (index < 0) return;
    const [item] = queue.splice(index, 1);
    if (item === undefined) return;
    this.busy[direction] = true;
    this.env.schedule(() => this.transmit(direction, item));
  }

  private build(direction: LinkDirection, item: QueuedPdu): Buffer {
    if (item.air !== undefined) return item.air;
    const { payload } = item;
    const header = payload.channel === 'll' ? LLID.CONTROL : LLID.L2CAP_START;
    const plain =
      payload.channel === 'll'
        ? Buffer.concat([Buffer.from([payload.opcode]), payload.data])
        : l2capFrame(payload.channel === 'att' ? L2CAP_CID.ATT : L2CAP_CID.SMP, payload.bytes);
    const cipher = direction === 'central-to-peripheral' ? this.centralCipher : this.peripheralCipher;
    // A retransmission repeats these bytes: the packet counter advances only for new PDUs.
    const encrypted = this.sealing[direction] && cipher !== undefined;
    const body = encrypted ? cipher.seal(direction, header, plain) : plain;
    const aa = Buffer.alloc(4);
    aa.writeUInt32LE(this.accessAddress >>> 0);
    item.header = header;
    item.body = body;
    item.encrypted = encrypted;
    item.air = Buffer.concat([aa, Buffer.from([header, body.length]), body]);
    return item.air;
  }

  private transmit(direction: LinkDirection, item: QueuedPdu): void {
    if (this.closed) {
      item.settle?.reject(new LinkDisconnectedError(HCI_REASON.CONNECTION_TIMEOUT, 'the link ended before the PDU was sent'));
      return;
    }
    if (this.halted) {
      // Kept for close(), which fails it with the link's end reason.
      this.queues[direction].unshift(item);
      return;
    }
    const air = this.build(direction, item);
    const interference = this.env.interference();
    const lost = interference !== undefined && this.env.draw() < interference.lossRate;
    const toCentral = direction === 'peripheral-to-central';
    this.env.capture({
      kind: this.kindOf(item.payload),
      from: toCentral ? this.peripheralAddress : this.centralAddress,
      to: toCentral ? this.centralAddress : this.peripheralAddress,
      accessAddress: this.accessAddress,
      direction,
      air,
      encrypted: item.encrypted === true,
      lost,
    });
    if (lost) {
      this.consecutiveLosses += 1;
      if (interference !== undefined && this.consecutiveLosses >= interference.maxConsecutiveLosses) {
        // Nothing got through for the supervision timeout: both sides give up (Vol 6 Part B §4.5.2).
        this.queues[direction].unshift(item);
        this.env.end({ central: HCI_REASON.CONNECTION_TIMEOUT, peripheral: HCI_REASON.CONNECTION_TIMEOUT });
        return;
      }
      this.env.schedule(() => this.transmit(direction, item));
      return;
    }
    this.consecutiveLosses = 0;
    this.receive(direction, item);
    item.settle?.resolve();
    this.busy[direction] = false;
    this.pump(direction);
  }

  private kindOf(payload: LinkPayload): AirTransmission['kind'] {
    if (payload.channel !== 'll') return payload.channel === 'att' ? 'ATT' : 'SMP';
    return payload.opcode === LL_CONTROL.TERMINATE_IND ? 'LL_TERMINATE_IND' : 'LL_ENC';
  }

  private receive(direction: LinkDirection, item: QueuedPdu): void {
    if (this.closed) return;
    let payload = item.payload;
    if (item.encrypted === true) {
      // The receiver opens the bytes with its own key: a key mismatch or tampering fails the MIC.
      const cipher = direction === 'central-to-peripheral' ? this.peripheralCipher : this.centralCipher;
      const opened = cipher?.open(direction, item.header ?? 0, item.body ?? Buffer.alloc(0));
      if (opened === undefined) {
        this.env.end({ central: HCI_REASON.MIC_FAILURE, peripheral: HCI_REASON.MIC_FAILURE });
        return;
      }
      payload = item.payload.channel === 'll' ? { channel: 'll', opcode: opened[0] ?? 0, data: opened.subarray(1) } : { channel: item.payload.channel, bytes: opened.subarray(4) };
    }
    if (payload.channel === 'll') {
      this.control(direction, payload.opcode, payload.data);
      return;
    }
    this.env.deliver(direction, payload);
  }

  private control(direction: LinkDirection, opcode: number, data: Buffer): void {
    const toPeripheral = direction === 'central-to-peripheral';
    switch (opcode) {
      case LL_CONTROL.TERMINATE_IND: {
        const reason = data[0] ?? HCI_REASON.REMOTE_USER_TERMINATED;
        // The receiver reports the peer's reason; the initiator reports that its host ended it.
        this.env.end(
          toPeripheral
            ? { central: HCI_REASON.LOCAL_HOST_TERMINATED, peripheral: reason }
            : { central: reason, peripheral: HCI_REASON.LOCAL_HOST_TERMINATED },
        );
        return;
      }
      case LL_CONTROL.ENC_REQ: {
        if (!toPeripheral) return;
        const key = this.peripheralKey;
        // Without a key the procedure cannot continue; real controllers reject (PIN or Key Missing).
        if (key === undefined) return;
        const skdCentral = data.subarray(10, 18);
        const ivCentral = data.subarray(18, 22);
        const { skd, iv } = encryptionStartValues();
        this.peripheralCipher = new LinkCipher(linkSessionKey(key, skdCentral, skd), Buffer.concat([ivCentral, iv]));
        this.paused['peripheral-to-central'] = true;
        this.post('peripheral-to-central', { channel: 'll', opcode: LL_CONTROL.ENC_RSP, data: Buffer.concat([skd, iv]) });
        this.post('peripheral-to-central', { channel: 'll', opcode: LL_CONTROL.START_ENC_REQ, data: Buffer.alloc(0) });
        return;
      }
      case LL_CONTROL.ENC_RSP: {
        const start = this.centralStart;
        if (toPeripheral || start === undefined) return;
        const skdPeripheral = data.subarray(0, 8);
        const ivPeripheral = data.subarray(8, 12);
        this.centralCipher = new LinkCipher(linkSessionKey(start.ltk, start.skd, skdPeripheral), Buffer.concat([start.iv, ivPeripheral]));
        return;
      }
      case LL_CONTROL.START_ENC_REQ:
        if (toPeripheral) return;
        // From here the central seals what it sends; its LL_START_ENC_RSP is the first sealed PDU.
        this.sealing['central-to-peripheral'] = true;
        this.post('central-to-peripheral', { channel: 'll', opcode: LL_CONTROL.START_ENC_RSP, data: Buffer.alloc(0) });
        return;
      case LL_CONTROL.START_ENC_RSP:
        if (toPeripheral) {
          this.sealing['peripheral-to-central'] = true;
          this.post('peripheral-to-central', { channel: 'll', opcode: LL_CONTROL.START_ENC_RSP, data: Buffer.alloc(0) });
          this.paused['peripheral-to-central'] = false;
          this.pump('peripheral-to-central');
        } else {
          this.encryptedBothWays = true;
          this.paused['central-to-peripheral'] = false;
          const start = this.centralStart;
          this.centralStart = undefined;
          this.env.encrypted();
          start?.settle.resolve();
          this.pump('central-to-peripheral');
        }
        return;
      default:
        return;
    }
  }
}

/** The octets of a device address on the air (6, little-endian). */
export function airAddress(address: string): Buffer {
  return addressOctets(address);
}
