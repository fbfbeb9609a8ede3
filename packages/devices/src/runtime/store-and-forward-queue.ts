/**
 * The store-and-forward queue: what a device has produced and the gateway has not yet durably
 * acknowledged, kept on the simulated flash so it survives a reboot or a power cut.
 *
 * Items are opaque bytes. The runtime stores sealed envelopes, so a resend after a reconnect or a
 * restart is byte-identical and the gateway deduplicates it on (device, key id, stream, sequence)
 * (ADR 0004). The queue keeps an item from `append` (durable when it returns) until `ack` (durable
 * when it returns); after a restart it holds exactly the appended, unacknowledged items, in order.
 * Together with gateway-side deduplication this gives exactly-once delivery: at least once from
 * the device, at most once into the gateway's store.
 *
 * Order: `peek` returns items oldest first, alarms and readings interleaved as produced (no
 * priority reordering: envelopes of one stream keep their sequence order, and the runtime sends
 * alarms as soon as they are raised anyway). Priority matters only when the flash is full.
 *
 * The calls are synchronous, like the flash under them: when `append` or `ack` returns, the
 * change is on the medium (fsync), and no other code can interleave with it.
 *
 * Full-flash policy (CTL-16): when an append does not fit even after compaction,
 * 1. the OLDEST normal items are dropped first (a reading is superseded by newer ones), as many
 *    as are needed and no more;
 * 2. an alarm is never dropped while a normal item remains;
 * 3. if dropping every normal item would still not make room, a new normal item is refused
 *    (append returns undefined; counted as dropped) and nothing queued is touched; a new alarm instead
 *    drops the oldest alarms until it fits (the newest alarm is the most actionable).
 * Every drop increments a counter persisted on the flash and is reported by the `dropped` event
 * (count, reason, details), which the runtime turns into an audit entry and a DeviceStatus /
 * SecurityEvent field.
 *
 * Flash records (payload of a SimulatedFlash record; integers little-endian):
 *   ITEM  = 0x01 ‖ id u64 ‖ priority u8 (0 normal, 1 alarm) ‖ channel length u8 ‖ channel ‖ data
 *   ACK   = 0x02 ‖ count u16 ‖ id u64 × count
 *   STATE = 0x03 ‖ next id u64 ‖ dropped total u64   (first record of a compacted log)
 *   DROP  = 0x04 ‖ count u32                         (a refusal, persisted without compaction)
 * Acknowledged items stay on the flash as dead records until a compaction rewrites the log with
 * only the live ones (when half the used space is dead, or when an append needs the room).
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { QueueCorruptError, QueueInvalidItemError, QueueItemTooLargeError } from '../errors.js';
import { SimulatedFlash, flashRecordBytes, type FlashDurability, type FlashRecovery } from './simulated-flash.js';

/** `alarm` items are kept over `normal` ones when the flash is full. */
export type QueuePriority = 'alarm' | 'normal';

/** What a producer appends. */
export interface QueueItemInput {
  /** Logical channel (e.g. a stream or MQTT topic suffix), 1 to 255 UTF-8 bytes. */
  readonly channel: string;
  readonly priority: QueuePriority;
  /** Opaque bytes, stored and returned byte for byte (a sealed envelope). */
  readonly bytes: Uint8Array;
}

/** An item in the queue. */
export interface QueueItem {
  /** Monotonically increasing, never reused, also across restarts and compactions. */
  readonly id: number;
  readonly channel: string;
  readonly priority: QueuePriority;
  readonly bytes: Buffer;
}

/** Why items were dropped (see the full-flash policy above). */
export type QueueDropReason = 'oldest-normal' | 'oldest-alarm' | 'refused-normal';

/** Details of a drop, after its count and reason. */
export interface QueueDropDetails {
  /** Ids of the dropped items; empty for a refused item, which never got one. */
  readonly ids: readonly number[];
  /** The persisted total of dropped items, this drop included. */
  readonly droppedTotal: number;
}

/** Payload of the `compacted` event. */
export interface QueueCompaction {
  readonly beforeBytes: number;
  readonly afterBytes: number;
}

/** Events of StoreAndForwardQueue. */
export interface StoreAndForwardQueueEvents {
  dropped: [count: number, reason: QueueDropReason, details: QueueDropDetails];
  compacted: [QueueCompaction];
}

/** Options of StoreAndForwardQueue.open. */
export interface StoreAndForwardQueueOptions {
  /** Flash capacity in bytes (default 256 KiB). */
  readonly capacityBytes?: number;
  /** Default 'fsync'; 'none' only for benchmarks. */
  readonly durability?: FlashDurability;
  /** File name of the flash in the directory (default `store-and-forward.flash`). */
  readonly fileName?: string;
}

/** Default file name of the queue's flash in its directory. */
export const STORE_AND_FORWARD_FILE = 'store-and-forward.flash';

/** 255 bytes: the channel length is one byte on the flash. */
export const MAX_QUEUE_CHANNEL_BYTES = 255;

const ITEM = 0x01;
const ACK = 0x02;
const STATE = 0x03;
const DROP = 0x04;
const ITEM_HEADER_BYTES = 1 + 8 + 1 + 1;
const STATE_PAYLOAD_BYTES = 1 + 8 + 8;
const DROP_PAYLOAD_BYTES = 1 + 4;
// 65,535 ids per ACK record (u16 count); larger batches are split.
const MAX_IDS_PER_ACK = 0xffff;

interface Stored extends QueueItem {
  /** Bytes of its flash record, header included. */
  readonly recordBytes: number;
}

function encodeItem(id: number, channel: Buffer, input: QueueItemInput): Buffer {
  const out = Buffer.allocUnsafe(ITEM_HEADER_BYTES + channel.length + input.bytes.length);
  out.writeUInt8(ITEM, 0);
  out.writeBigUInt64LE(BigInt(id), 1);
  out.writeUInt8(input.priority === 'alarm' ? 1 : 0, 9);
  out.writeUInt8(channel.length, 10);
  channel.copy(out, ITEM_HEADER_BYTES);
  out.set(input.bytes, ITEM_HEADER_BYTES + channel.length);
  return out;
}

function encodeState(nextId: number, dropped: number): Buffer {
  const out = Buffer.allocUnsafe(STATE_PAYLOAD_BYTES);
  out.writeUInt8(STATE, 0);
  out.writeBigUInt64LE(BigInt(nextId), 1);
  out.writeBigUInt64LE(BigInt(dropped), 9);
  return out;
}

function encodeAck(ids: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(1 + 2 + 8 * ids.length);
  out.writeUInt8(ACK, 0);
  out.writeUInt16LE(ids.length, 1);
  ids.forEach((id, i) => out.writeBigUInt64LE(BigInt(id), 3 + 8 * i));
  return out;
}

function encodeDrop(count: number): Buffer {
  const out = Buffer.allocUnsafe(DROP_PAYLOAD_BYTES);
  out.writeUInt8(DROP, 0);
  out.writeUInt32LE(count, 1);
  return out;
}

const corrupt = (offset: number, what: string): QueueCorruptError =>
  new QueueCorruptError(`flash record at offset ${offset} is not a valid queue record (${what})`, { details: { offset } });

function readId(payload: Buffer, at: number, offset: number): number {
  const id = payload.readBigUInt64LE(at);
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(offset, 'id out of range');
  return Number(id);
}

interface Replayed {
  readonly items: Map<number, Stored>;
  readonly nextId: number;
  readonly dropped: number;
}

function replay(flash: SimulatedFlash): Replayed {
  const items = new Map<number, Stored>();
  let nextId = 1;
  let lastItemId = 0;
  let dropped = 0;
  for (const { offset, payload } of flash.readRecords()) {
    switch (payload.length > 0 ? payload.readUInt8(0) : -1) {
      case ITEM: {
        if (payload.length < ITEM_HEADER_BYTES) throw corrupt(offset, 'short item');
        const id = readId(payload, 1, offset);
        const priority = payload.readUInt8(9);
        const channelBytes = payload.readUInt8(10);
        if (priority > 1 || channelBytes === 0 || payload.length < ITEM_HEADER_BYTES + channelBytes) throw corrupt(offset, 'bad item header');
        if (id <= lastItemId) throw corrupt(offset, 'item ids out of order');
        items.set(id, {
          id,
          priority: priority === 1 ? 'alarm' : 'normal',
          channel: payload.toString('utf8', ITEM_HEADER_BYTES, ITEM_HEADER_BYTES + channelBytes),
          bytes: Buffer.from(payload.subarray(ITEM_HEADER_BYTES + channelBytes)),
          recordBytes: flashRecordBytes(payload.length),
        });
        lastItemId = id;
        nextId = Math.max(nextId, id + 1);
        break;
      }
      case ACK: {
        if (payload.length < 3 || payload.length !== 3 + 8 * payload.readUInt16LE(1)) throw corrupt(offset, 'bad ack');
        for (let at = 3; at < payload.length; at += 8) items.delete(readId(payload, at, offset));
        break;
      }
      case STATE: {
        if (payload.length !== STATE_PAYLOAD_BYTES) throw corrupt(offset, 'bad state');
        nextId = Math.max(nextId, readId(payload, 1, offset));
        dropped = readId(payload, 9, offset);
        break;
      }
      case DROP: {
        if (payload.length !== DROP_PAYLOAD_BYTES) throw corrupt(offset, 'bad drop');
        dropped += payload.readUInt32LE(1);
        break;
      }
      default:
        throw corrupt(offset, 'unknown record type');
    }
  }
  return { items, nextId, dropped };
}

/** A durable FIFO of opaque items on simulated flash, with an explicit full-flash policy. */
export class StoreAndForwardQueue extends EventEmitter<StoreAndForwardQueueEvents> {
  /** The flash under the queue (exposed for fault injection by tests and the fleet). */
  readonly flash: SimulatedFlash;
  readonly #items: Map<number, Stored>;
  #liveBytes = 0;
  #nextId: number;
  #dropped: number;

  private constructor(flash: SimulatedFlash, replayed: Replayed) {
    super();
    this.flash = flash;
    this.#items = replayed.items;
    for (const item of this.#items.values()) this.#liveBytes += item.recordBytes;
    this.#nextId = replayed.nextId;
    this.#dropped = replayed.dropped;
  }

  /**
   * Opens the queue kept in `dir` (created 0700 with its flash file if absent), replaying the
   * log: the result holds exactly the items appended and not acknowledged. Throws
   * FlashUnavailableError, QueueCorruptError.
   */
  static open(dir: string, options: StoreAndForwardQueueOptions = {}): StoreAndForwardQueue {
    const flash = SimulatedFlash.open(join(dir, options.fileName ?? STORE_AND_FORWARD_FILE), {
      ...(options.capacityBytes === undefined ? {} : { capacityBytes: options.capacityBytes }),
      ...(options.durability === undefined ? {} : { durability: options.durability }),
    });
    try {
      if (flash.capacityBytes < flashRecordBytes(STATE_PAYLOAD_BYTES) + flashRecordBytes(ITEM_HEADER_BYTES + 1)) {
        throw new RangeError('the flash is too small to hold the queue state and one item');
      }
      return new StoreAndForwardQueue(flash, replay(flash));
    } catch (error) {
      flash.close();
      throw error;
    }
  }

  /** What flash recovery found at open (a torn tail after a power cut, a CRC failure). */
  get recovery(): FlashRecovery {
    return this.flash.recovery;
  }

  /** Number of items waiting for acknowledgement. */
  get size(): number {
    return this.#items.size;
  }

  /** Flash bytes the waiting items take (record headers included). */
  get bytes(): number {
    return this.#liveBytes;
  }

  /** Flash bytes available to items: the flash capacity less the queue's own state record. */
  get capacity(): number {
    return this.flash.capacityBytes - flashRecordBytes(STATE_PAYLOAD_BYTES);
  }

  /** Items dropped by the full-flash policy since the flash was made (persisted). */
  get droppedCount(): number {
    return this.#dropped;
  }

  /** The id the next appended item will get. */
  get nextId(): number {
    return this.#nextId;
  }

  /**
   * Appends an item; it is on the flash (fsynced) when its id is returned. Applies the full-flash
   * policy: returns undefined when a new normal item is refused (a drop like the others, counted
   * and reported by `dropped`). Throws QueueItemTooLargeError, QueueInvalidItemError and the
   * flash's errors, none of which loses a queued item.
   */
  append(input: QueueItemInput): number | undefined {
    if (input.priority !== 'alarm' && input.priority !== 'normal') throw new QueueInvalidItemError("priority must be 'alarm' or 'normal'");
    if (typeof input.channel !== 'string') throw new QueueInvalidItemError('channel must be a string');
    const channel = Buffer.from(input.channel, 'utf8');
    if (channel.length === 0 || channel.length > MAX_QUEUE_CHANNEL_BYTES) {
      throw new QueueInvalidItemError(`channel must be 1 to ${MAX_QUEUE_CHANNEL_BYTES} UTF-8 bytes`, { details: { channelBytes: channel.length } });
    }
    if (!(input.bytes instanceof Uint8Array)) throw new QueueInvalidItemError('bytes must be a Uint8Array');
    const id = this.#nextId;
    const payload = encodeItem(id, channel, input);
    const recordBytes = flashRecordBytes(payload.length);
    if (recordBytes > this.capacity) {
      throw new QueueItemTooLargeError('the item can never fit in the queue', { details: { recordBytes, capacityBytes: this.capacity } });
    }
    let victims: Stored[] = [];
    // Both bounds: the room on the flash now, and the queue's capacity, which keeps room for the
    // STATE record so that a compaction of the live items always fits.
    if (recordBytes <= this.flash.freeBytes && this.#liveBytes + recordBytes <= this.capacity) {
      this.flash.append(payload);
    } else {
      const chosen = this.#victimsFor(recordBytes, input.priority);
      if (chosen === undefined) {
        this.#persistRefusal();
        this.emit('dropped', 1, 'refused-normal', { ids: [], droppedTotal: this.#dropped });
        return undefined;
      }
      victims = chosen;
      const dropped = this.#dropped + victims.length;
      this.#rewrite(new Set(victims.map((item) => item.id)), { nextId: id + 1, dropped }, payload);
      this.#dropped = dropped;
      for (const item of victims) this.#remove(item);
    }
    this.#items.set(id, { id, channel: input.channel, priority: input.priority, bytes: Buffer.from(input.bytes), recordBytes });
    this.#liveBytes += recordBytes;
    this.#nextId = id + 1;
    this.#reportDrops(victims);
    return id;
  }

  /** Up to `max` waiting items, oldest first (copies: the queued bytes cannot be changed). */
  peek(max = Number.POSITIVE_INFINITY): QueueItem[] {
    const out: QueueItem[] = [];
    for (const item of this.#items.values()) {
      if (out.length >= max) break;
      out.push({ id: item.id, channel: item.channel, priority: item.priority, bytes: Buffer.from(item.bytes) });
    }
    return out;
  }

  /** True while item `id` waits for acknowledgement. */
  has(id: number): boolean {
    return this.#items.has(id);
  }

  /**
   * Removes an item once the gateway has durably acknowledged it; the removal is on the flash when
   * this returns. Returns false for an id that is not waiting (already acknowledged, dropped or
   * never issued): a repeated acknowledgement is harmless.
   */
  ack(id: number): boolean {
    return this.ackMany([id]) === 1;
  }

  /** Acknowledges several items with one flash commit per 65,535 ids; returns how many were waiting. */
  ackMany(ids: readonly number[]): number {
    const waiting = [...new Set(ids)].filter((id) => this.#items.has(id));
    for (let start = 0; start < waiting.length; start += MAX_IDS_PER_ACK) {
      const batch = waiting.slice(start, start + MAX_IDS_PER_ACK);
      const record = encodeAck(batch);
      if (flashRecordBytes(record.length) <= this.flash.freeBytes) {
        this.flash.append(record);
      } else {
        // No room for the acknowledgement itself: a compaction without the items is one.
        this.#rewrite(new Set(batch), { nextId: this.#nextId, dropped: this.#dropped });
      }
      for (const id of batch) {
        const item = this.#items.get(id);
        if (item !== undefined) this.#remove(item);
      }
    }
    if (waiting.length > 0) this.#compactIfMostlyDead();
    return waiting.length;
  }

  /** Closes the flash. Idempotent. */
  close(): void {
    this.flash.close();
  }

  /**
   * The items to drop so that an item of `recordBytes` fits, by the full-flash policy; undefined
   * when a normal item must be refused. Empty when compaction alone makes room.
   */
  #victimsFor(recordBytes: number, priority: QueuePriority): Stored[] | undefined {
    let excess = this.#liveBytes + recordBytes - this.capacity;
    const victims: Stored[] = [];
    for (const pass of ['normal', 'alarm'] as const) {
      if (excess <= 0) break;
      // Never an alarm for a normal item: refuse the newcomer instead.
      if (pass === 'alarm' && priority === 'normal') return undefined;
      for (const item of this.#items.values()) {
        if (excess <= 0) break;
        if (item.priority !== pass) continue;
        victims.push(item);
        excess -= item.recordBytes;
      }
    }
    return victims;
  }

  /**
   * Rewrites the log as STATE ‖ live items except `without` ‖ `appended`, atomically: power lost
   * during it leaves the previous log, so nothing is lost and nothing is dropped. The caller
   * updates the in-memory state once it returns.
   */
  #rewrite(without: ReadonlySet<number>, state: { readonly nextId: number; readonly dropped: number }, appended?: Buffer): void {
    const records = [encodeState(state.nextId, state.dropped)];
    for (const item of this.#items.values()) {
      if (!without.has(item.id)) records.push(encodeItem(item.id, Buffer.from(item.channel, 'utf8'), item));
    }
    if (appended !== undefined) records.push(appended);
    const beforeBytes = this.flash.usedBytes;
    this.flash.rewrite(records);
    this.emit('compacted', { beforeBytes, afterBytes: this.flash.usedBytes });
  }

  #remove(item: Stored): void {
    if (this.#items.delete(item.id)) this.#liveBytes -= item.recordBytes;
  }

  #reportDrops(victims: readonly Stored[]): void {
    for (const priority of ['normal', 'alarm'] as const) {
      const ids = victims.filter((item) => item.priority === priority).map((item) => item.id);
      if (ids.length > 0) this.emit('dropped', ids.length, priority === 'normal' ? 'oldest-normal' : 'oldest-alarm', { ids, droppedTotal: this.#dropped });
    }
  }

  /** Persists a refusal: a DROP record, or a compaction carrying the new total when full. */
  #persistRefusal(): void {
    const record = encodeDrop(1);
    if (flashRecordBytes(record.length) <= this.flash.freeBytes) this.flash.append(record);
    else this.#rewrite(new Set(), { nextId: this.#nextId, dropped: this.#dropped + 1 });
    this.#dropped += 1;
  }

  // "Mostly dead": at least half the flash used, and at least half of that acknowledged records.
  #compactIfMostlyDead(): void {
    const used = this.flash.usedBytes;
    if (used * 2 < this.flash.capacityBytes || (used - this.#liveBytes) * 2 < used) return;
    try {
      this.#rewrite(new Set(), { nextId: this.#nextId, dropped: this.#dropped });
    } catch {
      // The acknowledgement is already durable; a failed compaction leaves the previous log
      // intact and is retried at the next acknowledgement or when an append needs the room.
    }
  }
}
