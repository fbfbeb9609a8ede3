import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedFlash, flashRecordBytes } from '../../src/runtime/simulated-flash.js';
import {
  STORE_AND_FORWARD_FILE,
  StoreAndForwardQueue,
  type QueueDropReason,
  type QueueItem,
  type QueueItemInput,
  type QueuePriority,
} from '../../src/runtime/store-and-forward-queue.js';
import { codeOf } from '../helpers/errors.js';

/** mulberry32: a small seeded PRNG, so the randomised schedules replay exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An item whose bytes say what it is (and are distinct per n). */
const item = (n: number, priority: QueuePriority = 'normal', size = 20): QueueItemInput => ({
  channel: priority === 'alarm' ? 'alarms' : 'readings',
  priority,
  bytes: Buffer.from(Array.from({ length: size }, (_, k) => (n * 7 + k) & 0xff)),
});

// A record of item(n, priority, 20): flash header 10 + item header 11 + channel + 20 bytes.
const recordBytes = (input: QueueItemInput): number => flashRecordBytes(11 + Buffer.byteLength(input.channel) + input.bytes.length);
// The queue keeps one STATE record (27 bytes) of the flash for itself.
const STATE_RECORD_BYTES = 27;

const view = (items: readonly QueueItem[]): { id: number; channel: string; priority: QueuePriority; hex: string }[] =>
  items.map((i) => ({ id: i.id, channel: i.channel, priority: i.priority, hex: i.bytes.toString('hex') }));

describe('StoreAndForwardQueue', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medsim-queue-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('[CTL-16] exactly once across restarts: after reopen it holds exactly the unacknowledged items, in order, byte for byte', { tags: ['CTL-16'] }, () => {
    let queue = StoreAndForwardQueue.open(dir);
    const ids = Array.from({ length: 40 }, (_, n) => queue.append(item(n, n % 7 === 0 ? 'alarm' : 'normal'))!);
    expect(ids).toEqual(Array.from({ length: 40 }, (_, n) => n + 1));
    const acked = new Set(ids.filter((id) => id % 3 === 0 || id <= 10));
    expect(queue.ackMany([...acked])).toBe(acked.size);
    expect(queue.ack(3)).toBe(false); // a repeated acknowledgement is harmless
    const expected = view(queue.peek());
    expect(expected.map((i) => i.id)).toEqual(ids.filter((id) => !acked.has(id)));
    queue.close();

    queue = StoreAndForwardQueue.open(dir);
    expect(view(queue.peek())).toEqual(expected);
    expect(queue.size).toBe(expected.length);
    // Ids are never reused, even after a restart.
    expect(queue.append(item(99))).toBe(41);
    queue.close();
  });

  it('[CTL-16] a seeded produce/deliver/ack/restart schedule never loses nor duplicates an item', { tags: ['CTL-16'] }, () => {
    const random = prng(20_260_401);
    // Small flash: compactions happen along the way (and nothing is ever dropped: acks keep up).
    const options = { capacityBytes: 4096 };
    let queue = StoreAndForwardQueue.open(dir, options);
    const model = new Map<number, string>();
    const delivered = new Set<number>();
    let compactions = 0;
    let restartsAfterCompaction = 0;
    const watch = (q: StoreAndForwardQueue): void => {
      q.on('compacted', () => (compactions += 1));
      q.on('dropped', () => expect.unreachable('nothing may be dropped'));
    };
    watch(queue);
    for (let step = 0; step < 600; step += 1) {
      const r = random();
      if (r < 0.5 && queue.bytes + 60 < queue.capacity) {
        const input = item(step, random() < 0.1 ? 'alarm' : 'normal', 1 + Math.floor(random() * 30));
        model.set(queue.append(input)!, Buffer.from(input.bytes).toString('hex'));
      } else if (r < 0.9) {
        // The gateway acknowledges a random subset of what was sent (the oldest few).
        const sent = queue.peek(1 + Math.floor(random() * 4));
        for (const i of sent) if (random() < 0.7) {
          expect(delivered.has(i.id)).toBe(false);
          queue.ack(i.id);
          delivered.add(i.id);
          model.delete(i.id);
        }
      } else {
        if (compactions > 0 && queue.size > 0) restartsAfterCompaction += 1;
        queue.close();
        queue = StoreAndForwardQueue.open(dir, options);
        watch(queue);
      }
      expect(new Map(queue.peek().map((i) => [i.id, i.bytes.toString('hex')]))).toEqual(model);
    }
    expect(compactions).toBeGreaterThan(0);
    expect(restartsAfterCompaction).toBeGreaterThan(0);
    queue.close();
  });

  it('[CTL-16] power lost at every byte of an append loses at most that item, never an earlier one', { tags: ['CTL-16'] }, () => {
    const newcomer = item(50, 'normal', 33);
    for (let afterBytes = 0; afterBytes <= recordBytes(newcomer); afterBytes += 1) {
      const sub = join(dir, `append-${afterBytes}`);
      const queue = StoreAndForwardQueue.open(sub);
      for (let n = 0; n < 6; n += 1) queue.append(item(n, n === 2 ? 'alarm' : 'normal'));
      queue.ackMany([1, 4]);
      const before = view(queue.peek());
      queue.flash.injectPowerLoss({ afterBytes });
      expect(codeOf(() => queue.append(newcomer))).toBe('ERR_FLASH_POWER_LOST');
      expect(codeOf(() => queue.ack(2))).toBe('ERR_FLASH_POWER_LOST');

      const rebooted = StoreAndForwardQueue.open(sub);
      const after = view(rebooted.peek());
      if (afterBytes === recordBytes(newcomer)) {
        // Fully on the medium before the power went: it is kept (and will be sent).
        expect(after).toEqual([...before, { id: 7, channel: 'readings', priority: 'normal', hex: Buffer.from(newcomer.bytes).toString('hex') }]);
      } else {
        expect(after).toEqual(before);
        expect(rebooted.recovery.discardedBytes).toBe(afterBytes);
      }
      rebooted.close();
    }
  });

  it('[CTL-16] power lost during an acknowledgement or a compaction loses nothing', { tags: ['CTL-16'] }, () => {
    for (let afterBytes = 0; afterBytes < 40; afterBytes += 3) {
      const sub = join(dir, `ack-${afterBytes}`);
      const queue = StoreAndForwardQueue.open(sub);
      for (let n = 0; n < 4; n += 1) queue.append(item(n));
      queue.flash.injectPowerLoss({ afterBytes });
      expect(codeOf(() => queue.ackMany([1, 2]))).toBe('ERR_FLASH_POWER_LOST');
      const rebooted = StoreAndForwardQueue.open(sub);
      const left = rebooted.peek().map((i) => i.id);
      // Either the whole ACK record made it or none of it: an item is resent, never lost.
      expect([[3, 4], [1, 2, 3, 4]]).toContainEqual(left);
      rebooted.close();
    }
    // A full flash whose append needs a compaction (acknowledged records to reclaim).
    const each = recordBytes(item(0));
    const capacityBytes = STATE_RECORD_BYTES + 5 * each + 20;
    for (let afterBytes = 0; afterBytes < 3 * each + STATE_RECORD_BYTES; afterBytes += 7) {
      const sub = join(dir, `compact-${afterBytes}`);
      const queue = StoreAndForwardQueue.open(sub, { capacityBytes });
      for (let n = 0; n < 5; n += 1) queue.append(item(n));
      queue.ackMany([1, 2]);
      const before = view(queue.peek());
      queue.flash.injectPowerLoss({ afterBytes });
      expect(codeOf(() => queue.append(item(9)))).toBe('ERR_FLASH_POWER_LOST');
      const rebooted = StoreAndForwardQueue.open(sub, { capacityBytes });
      expect(view(rebooted.peek())).toEqual(before);
      expect(rebooted.droppedCount).toBe(0);
      rebooted.close();
    }
  });

  it('[CTL-16] full flash: the oldest normal items go first, alarms are kept, a normal item is refused when only alarms remain', { tags: ['CTL-16'] }, () => {
    const each = recordBytes(item(0)); // 10 + 11 + 8 ("readings") + 20; "alarms" is 2 bytes shorter
    expect(each).toBe(49);
    // Room for exactly 10 items of either kind (alarms are smaller, and never more than 10 here).
    const capacityBytes = STATE_RECORD_BYTES + 10 * each;
    const open = (): StoreAndForwardQueue => StoreAndForwardQueue.open(dir, { capacityBytes });
    let queue = open();
    const drops: { count: number; reason: QueueDropReason; ids: readonly number[]; total: number }[] = [];
    queue.on('dropped', (count, reason, details) => drops.push({ count, reason, ids: details.ids, total: details.droppedTotal }));
    const id: Record<string, number> = {};
    const add = (name: string): number | undefined => {
      const n = Number(name.slice(1));
      const result = queue.append(item(n + (name.startsWith('A') ? 100 : 0), name.startsWith('A') ? 'alarm' : 'normal'));
      if (result !== undefined) id[name] = result;
      expect(queue.bytes).toBeLessThanOrEqual(queue.capacity);
      expect(queue.flash.usedBytes).toBeLessThanOrEqual(capacityBytes);
      return result;
    };
    const names = (): string[] => queue.peek().map((i) => Object.keys(id).find((k) => id[k] === i.id)!);

    for (const name of ['A1', 'N1', 'N2', 'N3', 'N4', 'A2', 'N5', 'N6', 'N7', 'N8']) add(name);
    expect(queue.size).toBe(10);
    expect(drops).toEqual([]);

    add('N9');
    expect(drops).toEqual([{ count: 1, reason: 'oldest-normal', ids: [id.N1], total: 1 }]);
    add('A3');
    expect(drops.at(-1)).toEqual({ count: 1, reason: 'oldest-normal', ids: [id.N2], total: 2 });
    for (const name of ['A4', 'A5', 'A6', 'A7', 'A8', 'A9']) add(name);
    expect(names()).toEqual(['A1', 'A2', 'N9', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'A9']);
    // The last normal item goes before any alarm does.
    add('A10');
    expect(names()).toEqual(['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'A9', 'A10']);
    expect(drops.at(-1)).toEqual({ count: 1, reason: 'oldest-normal', ids: [id.N9], total: 9 });

    // Only alarms: a new reading is refused, nothing queued is touched.
    expect(add('N10')).toBeUndefined();
    expect(drops.at(-1)).toEqual({ count: 1, reason: 'refused-normal', ids: [], total: 10 });
    expect(names()).toEqual(['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'A9', 'A10']);
    // A new alarm displaces the oldest alarm.
    add('A11');
    expect(drops.at(-1)).toEqual({ count: 1, reason: 'oldest-alarm', ids: [id.A1], total: 11 });
    expect(queue.droppedCount).toBe(11);
    const kept = view(queue.peek());
    queue.close();

    // The counter and the contents survive a restart.
    queue = open();
    expect(queue.droppedCount).toBe(11);
    expect(view(queue.peek())).toEqual(kept);
    queue.close();
  });

  it('[CTL-16] keeps room for its own state: a flash full of alarms still refuses a reading cleanly', { tags: ['CTL-16'] }, () => {
    const alarm = item(0, 'alarm');
    const each = recordBytes(alarm);
    const capacityBytes = STATE_RECORD_BYTES + 10 * each;
    const queue = StoreAndForwardQueue.open(dir, { capacityBytes });
    for (let n = 0; n < 10; n += 1) queue.append(item(n, 'alarm'));
    // The flash still has 27 free bytes, exactly a small item, but the queue is full.
    const tiny: QueueItemInput = { channel: 'a', priority: 'alarm', bytes: Buffer.alloc(5) };
    expect(recordBytes(tiny)).toBe(queue.flash.freeBytes);
    queue.append(tiny);
    expect(queue.bytes).toBeLessThanOrEqual(queue.capacity);
    expect(queue.peek().map((i) => i.id)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(queue.append(item(20))).toBeUndefined();
    expect(queue.droppedCount).toBe(2);
    queue.close();
    expect(StoreAndForwardQueue.open(dir, { capacityBytes }).droppedCount).toBe(2);
  });

  it('[CTL-16] drops as many of the oldest normal items as a large item needs, and no more', { tags: ['CTL-16'] }, () => {
    const small = recordBytes(item(0));
    const capacityBytes = STATE_RECORD_BYTES + 8 * small;
    const queue = StoreAndForwardQueue.open(dir, { capacityBytes });
    const dropped: number[] = [];
    queue.on('dropped', (_count, _reason, details) => dropped.push(...details.ids));
    for (let n = 0; n < 8; n += 1) queue.append(item(n, n % 2 === 0 ? 'alarm' : 'normal'));
    // Ids 2, 4, 6, 8 are normal (49 bytes each), 1, 3, 5, 7 alarms (47): 8 bytes are free. The
    // large alarm (155 bytes) needs 147 more: exactly three normal records.
    const large = item(77, 'alarm', 128);
    expect(recordBytes(large)).toBe(155);
    expect(queue.capacity - queue.bytes).toBe(8);
    queue.append(large);
    expect(dropped).toEqual([2, 4, 6]);
    expect(queue.peek().map((i) => i.id)).toEqual([1, 3, 5, 7, 8, 9]);
    queue.close();
  });

  it('[CTL-16] compacts when most of the flash holds acknowledged records', { tags: ['CTL-16'] }, () => {
    const options = { capacityBytes: 8192 };
    const queue = StoreAndForwardQueue.open(dir, options);
    const compactions: { beforeBytes: number; afterBytes: number }[] = [];
    queue.on('compacted', (c) => compactions.push(c));
    for (let n = 0; n < 100; n += 1) queue.append(item(n));
    expect(queue.flash.usedBytes).toBeGreaterThan(options.capacityBytes / 2);
    queue.ackMany(Array.from({ length: 90 }, (_, i) => i + 1));
    expect(compactions).toHaveLength(1);
    expect(compactions[0]!.afterBytes).toBe(STATE_RECORD_BYTES + queue.bytes);
    expect(queue.flash.usedBytes).toBe(STATE_RECORD_BYTES + 10 * recordBytes(item(0)));
    const left = view(queue.peek());
    queue.close();
    const reopened = StoreAndForwardQueue.open(dir, options);
    expect(view(reopened.peek())).toEqual(left);
    expect(reopened.append(item(100))).toBe(101);
    reopened.close();
  });

  it('[CTL-09] refuses invalid and oversized items with typed errors; returns copies', { tags: ['CTL-09', 'CTL-16'] }, () => {
    const queue = StoreAndForwardQueue.open(dir, { capacityBytes: 1024 });
    expect(codeOf(() => queue.append({ channel: '', priority: 'normal', bytes: Buffer.alloc(1) }))).toBe('ERR_QUEUE_INVALID_ITEM');
    expect(codeOf(() => queue.append({ channel: 'é'.repeat(128), priority: 'normal', bytes: Buffer.alloc(1) }))).toBe('ERR_QUEUE_INVALID_ITEM');
    expect(codeOf(() => queue.append({ channel: 'x', priority: 'urgent' as QueuePriority, bytes: Buffer.alloc(1) }))).toBe('ERR_QUEUE_INVALID_ITEM');
    expect(codeOf(() => queue.append({ channel: 'x', priority: 'alarm', bytes: Buffer.alloc(1024) }))).toBe('ERR_QUEUE_ITEM_TOO_LARGE');
    expect(queue.size).toBe(0);
    expect(queue.nextId).toBe(1);
    const id = queue.append({ channel: 'x', priority: 'normal', bytes: Buffer.from('sealed') })!;
    queue.peek()[0]!.bytes.fill(0);
    expect(queue.peek()[0]!.bytes.toString()).toBe('sealed');
    expect(queue.has(id)).toBe(true);
    queue.close();
  });

  it('[CTL-23] a CRC-valid record that is not a queue record is refused with a typed error', { tags: ['CTL-23'] }, () => {
    const flash = SimulatedFlash.open(join(dir, STORE_AND_FORWARD_FILE));
    flash.append(Buffer.from([0x09, 1, 2, 3]));
    flash.close();
    expect(codeOf(() => StoreAndForwardQueue.open(dir))).toBe('ERR_QUEUE_CORRUPT');
  });
});
