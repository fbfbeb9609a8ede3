/**
 * The eavesdropper's tap: what a passive over-the-air sniffer (an nRF Sniffer, an Ubertooth)
 * placed next to the devices would capture, in order, in a bounded ring buffer.
 *
 * It reads only the air bytes. On a clear link it decodes ATT and SMP; from CONNECT_IND, the SMP
 * exchange and LL_ENC_REQ/LL_ENC_RSP it follows each connection, and when the pairing was legacy
 * Just Works it derives the session key the way crackle does (link-security.ts) and decrypts what
 * follows (`cracked: true`). After LE Secure Connections it has the public keys and nonces but no
 * key, so encrypted PDUs stay ciphertext. Tests use `containsBytes` to prove that a biometric value
 * never crossed the air in a form the sniffer could read.
 *
 * Simplifications: the sniffer hears every transmission (including the ones the receiver lost) and
 * follows every connection from its CONNECT_IND (a real one must be on the right channel, and
 * follows one connection); `kind` is the simulation's ground truth, even for a sealed PDU whose
 * type a real sniffer would only infer.
 */
import { EventEmitter } from 'node:events';
import { type AttPdu, decodeAttPdu } from './att.js';
import { type LinkAddress, type LinkDirection, type SmpPdu, SMP_AUTH_REQ, crackLegacyJustWorks, decodeSmpPdu, encodeSmpPdu, openLinkPayload } from './link-security.js';
import { L2CAP_CID, LLID, LL_CONTROL } from './radio-link.js';

/** PDU types the sniffer labels. */
export type SniffedPduKind = 'ADV_IND' | 'ADV_SCAN_IND' | 'ADV_NONCONN_IND' | 'SCAN_REQ' | 'SCAN_RSP' | 'CONNECT_IND' | 'LL_ENC' | 'ATT' | 'SMP' | 'LL_TERMINATE_IND';

/** One captured PDU. */
export interface SniffedPdu {
  /** Capture order since the radio started (survives `clear()` and ring-buffer eviction). */
  readonly index: number;
  /** Milliseconds since the radio was created. */
  readonly atMs: number;
  readonly kind: SniffedPduKind;
  /** Sender address. */
  readonly from: string;
  /** Receiver address (absent for advertising broadcasts). */
  readonly to?: string;
  /** Access address (0x8E89BED6 on advertising channels, one per connection otherwise). */
  readonly accessAddress: number;
  /** The bytes on the air: access address | header | payload (ciphertext and MIC when encrypted). */
  readonly air: Buffer;
  readonly encrypted: boolean;
  /** The intended receiver missed it (interference); the same bytes come again. */
  readonly lost?: true;
  /** The ATT PDU, when the sniffer could read it (clear link, or a cracked one). */
  readonly att?: AttPdu;
  /** The SMP PDU, when the sniffer could read it. */
  readonly smp?: SmpPdu;
  /** The PDU was encrypted and the sniffer decrypted it with a key it derived from the air. */
  readonly cracked?: true;
  /** The decrypted LL payload of a cracked PDU. */
  readonly plaintext?: Buffer;
}

/** What the radio hands the sniffer for each transmission. */
export interface AirCapture {
  readonly kind: SniffedPduKind;
  readonly from: string;
  readonly to?: string;
  readonly accessAddress: number;
  readonly air: Buffer;
  readonly encrypted: boolean;
  readonly direction?: LinkDirection;
  readonly lost?: boolean;
}

/** Options of the sniffer. */
export interface RadioSnifferOptions {
  /** Ring buffer size in PDUs; default 10,000. */
  readonly capacity?: number;
  /** Milliseconds since the radio started. */
  readonly elapsedMs: () => number;
}

/** Events of the sniffer. */
export interface RadioSnifferEvents {
  /** Every captured PDU, as it is captured (for live demos). */
  pdu: [SniffedPdu];
}

/** Default ring buffer size: 10,000 PDUs (a few minutes of one busy link at a 30 ms interval). */
export const SNIFFER_DEFAULT_CAPACITY = 10_000;

interface TrackedConnection {
  readonly initiator: LinkAddress;
  readonly responder: LinkAddress;
  preq?: Buffer;
  pres?: Buffer;
  mconfirm?: Buffer;
  mrand?: Buffer;
  srand?: Buffer;
  skdCentral?: Buffer;
  ivCentral?: Buffer;
  key?: Buffer;
  iv?: Buffer;
  readonly counters: Record<LinkDirection, number>;
  readonly last: Partial<Record<LinkDirection, { air: Buffer; plaintext: Buffer | undefined }>>;
}

const addressFromAir = (bytes: Buffer): string =>
  Buffer.from(bytes)
    .reverse()
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1:');

/** The sniffer of a virtual radio (`radio.sniffer`). */
export class RadioSniffer extends EventEmitter<RadioSnifferEvents> {
  /** Ring buffer size in PDUs. */
  readonly capacity: number;
  private readonly ring: (SniffedPdu | undefined)[];
  private start = 0;
  private count = 0;
  private nextIndex = 0;
  private evicted = 0;
  private readonly connections = new Map<number, TrackedConnection>();

  constructor(private readonly options: RadioSnifferOptions) {
    super();
    const capacity = options.capacity ?? SNIFFER_DEFAULT_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('sniffer capacity must be a positive integer');
    this.capacity = capacity;
    this.ring = new Array<SniffedPdu | undefined>(capacity);
  }

  /** PDUs held now, oldest first. */
  get pdus(): readonly SniffedPdu[] {
    const out: SniffedPdu[] = [];
    for (let i = 0; i < this.count; i += 1) {
      const pdu = this.ring[(this.start + i) % this.capacity];
      if (pdu !== undefined) out.push(pdu);
    }
    return out;
  }

  /** How many PDUs the ring buffer dropped because it was full. */
  get dropped(): number {
    return this.evicted;
  }

  /** Empties the buffer (the sniffer keeps following connections and keys it already has). */
  clear(): void {
    this.ring.fill(undefined);
    this.start = 0;
    this.count = 0;
  }

  /** Access addresses of the connections whose key the sniffer derived. */
  get crackedConnections(): readonly number[] {
    return [...this.connections.entries()].filter(([, tracked]) => tracked.key !== undefined).map(([aa]) => aa);
  }

  /**
   * Whether `needle` occurs in anything the sniffer can read: the air bytes of every PDU held, and
   * the plaintext of cracked ones. Use needles of 8 octets or more: a short one can occur in
   * ciphertext by chance.
   */
  containsBytes(needle: Uint8Array): boolean {
    return this.findBytes(needle).length > 0;
  }

  /** The PDUs in which `needle` occurs (air bytes, or decrypted plaintext for cracked PDUs). */
  findBytes(needle: Uint8Array): SniffedPdu[] {
    if (needle.length === 0) return [];
    const search = Buffer.from(needle);
    return this.pdus.filter((pdu) => pdu.air.includes(search) || (pdu.plaintext?.includes(search) ?? false));
  }

  /** Records one transmission (called by the radio). */
  capture(input: AirCapture): SniffedPdu {
    const decoded = this.decode(input);
    const pdu: SniffedPdu = {
      index: this.nextIndex++,
      atMs: this.options.elapsedMs(),
      kind: input.kind,
      from: input.from,
      ...(input.to === undefined ? {} : { to: input.to }),
      accessAddress: input.accessAddress,
      air: Buffer.from(input.air),
      encrypted: input.encrypted,
      ...(input.lost === true ? { lost: true as const } : {}),
      ...decoded,
    };
    if (this.count === this.capacity) {
      this.ring[this.start] = pdu;
      this.start = (this.start + 1) % this.capacity;
      this.evicted += 1;
    } else {
      this.ring[(this.start + this.count) % this.capacity] = pdu;
      this.count += 1;
    }
    this.emit('pdu', pdu);
    return pdu;
  }

  private decode(input: AirCapture): Pick<SniffedPdu, 'att' | 'smp' | 'cracked' | 'plaintext'> {
    const air = input.air;
    if (input.kind === 'CONNECT_IND') {
      this.follow(air);
      return {};
    }
    const tracked = this.connections.get(input.accessAddress);
    if (tracked === undefined || input.direction === undefined || air.length < 6) return {};
    const header = air[4] ?? 0;
    const body = air.subarray(6);
    let plaintext: Buffer | undefined = body;
    let cracked = false;
    if (input.encrypted) {
      plaintext = this.open(tracked, input.direction, header, air, body);
      if (plaintext === undefined) return {};
      cracked = true;
    }
    const readable = this.parse(tracked, input.direction, header, plaintext);
    return cracked ? { ...readable, cracked: true, plaintext } : readable;
  }

  /** CONNECT_IND: header | InitA (6) | AdvA (6) | LLData; TxAdd/RxAdd give the address types. */
  private follow(air: Buffer): void {
    const header = air[4] ?? 0;
    const payload = air.subarray(6);
    if (payload.length < 16) return;
    const accessAddress = payload.readUInt32LE(12);
    this.connections.set(accessAddress, {
      initiator: { address: addressFromAir(payload.subarray(0, 6)), type: header & 0x40 ? 'random' : 'public' },
      responder: { address: addressFromAir(payload.subarray(6, 12)), type: header & 0x80 ? 'random' : 'public' },
      counters: { 'central-to-peripheral': 0, 'peripheral-to-central': 0 },
      last: {},
    });
  }

  private open(tracked: TrackedConnection, direction: LinkDirection, header: number, air: Buffer, body: Buffer): Buffer | undefined {
    if (tracked.key === undefined || tracked.iv === undefined) return undefined;
    // Identical bytes are a retransmission: same packet counter, nothing new to count.
    const last = tracked.last[direction];
    if (last?.air.equals(air) === true) return last.plaintext;
    const plaintext = openLinkPayload(tracked.key, tracked.iv, tracked.counters[direction], direction, header, body);
    if (plaintext !== undefined) tracked.counters[direction] += 1;
    tracked.last[direction] = { air: Buffer.from(air), plaintext };
    return plaintext;
  }

  private parse(tracked: TrackedConnection, direction: LinkDirection, header: number, plaintext: Buffer): Pick<SniffedPdu, 'att' | 'smp'> {
    const llid = header & 0x03;
    if (llid === LLID.CONTROL) {
      this.control(tracked, plaintext);
      return {};
    }
    if (llid !== LLID.L2CAP_START || plaintext.length < 4) return {};
    const cid = plaintext.readUInt16LE(2);
    const information = plaintext.subarray(4);
    try {
      if (cid === L2CAP_CID.ATT) return { att: decodeAttPdu(information) };
      if (cid === L2CAP_CID.SMP) {
        const smp = decodeSmpPdu(information);
        this.pairing(tracked, direction, smp);
        return { smp };
      }
    } catch {
      // Malformed bytes stay undecoded, as in a capture tool.
    }
    return {};
  }

  private pairing(tracked: TrackedConnection, direction: LinkDirection, smp: SmpPdu): void {
    const fromCentral = direction === 'central-to-peripheral';
    switch (smp.code) {
      case 'pairing-request':
        tracked.preq = encodeSmpPdu(smp);
        break;
      case 'pairing-response':
        tracked.pres = encodeSmpPdu(smp);
        break;
      case 'pairing-confirm':
        if (fromCentral) tracked.mconfirm = smp.value;
        break;
      case 'pairing-random':
        if (fromCentral) tracked.mrand = smp.value;
        else tracked.srand = smp.value;
        break;
      case 'pairing-failed':
      case 'pairing-public-key':
      case 'pairing-dhkey-check':
        break;
    }
  }

  private control(tracked: TrackedConnection, plaintext: Buffer): void {
    const opcode = plaintext[0];
    if (opcode === LL_CONTROL.ENC_REQ && plaintext.length >= 23) {
      tracked.skdCentral = Buffer.from(plaintext.subarray(11, 19));
      tracked.ivCentral = Buffer.from(plaintext.subarray(19, 23));
      return;
    }
    if (opcode !== LL_CONTROL.ENC_RSP || plaintext.length < 13) return;
    const { preq, pres, mconfirm, mrand, srand, skdCentral, ivCentral } = tracked;
    // Only legacy pairing can be cracked; after LE Secure Connections the key never crossed the air.
    if (preq === undefined || pres === undefined || mconfirm === undefined || mrand === undefined || srand === undefined) return;
    if (skdCentral === undefined || ivCentral === undefined) return;
    if (((pres[3] ?? 0) & SMP_AUTH_REQ.SECURE_CONNECTIONS) !== 0) return;
    const cracked = crackLegacyJustWorks({
      preq,
      pres,
      initiator: tracked.initiator,
      responder: tracked.responder,
      mconfirm,
      mrand,
      srand,
      skdCentral,
      skdPeripheral: plaintext.subarray(1, 9),
    });
    if (cracked === undefined) return;
    tracked.key = cracked.sessionKey;
    tracked.iv = Buffer.concat([ivCentral, plaintext.subarray(9, 13)]);
  }
}
