/**
 * The bootloader's boot state and the store that keeps it across power cycles: which slot is the
 * confirmed (primary) one and what each slot holds. It plays the part of MCUboot's image trailers
 * (magic, image_ok, copy_done), gathered in one place.
 *
 * The store is two copies in two 4 KiB sectors of one flash file, each
 *
 *   magic "MSBS" ‖ sequence u32 ‖ length u32 ‖ crc32 u32 (of sequence ‖ length ‖ payload) ‖ payload (JSON)
 *
 * (big-endian). Open reads both and keeps the valid copy with the higher sequence. A save writes the
 * OTHER copy with the next sequence, in one write, so the copy holding the last good state is never
 * touched: a torn save leaves a copy that fails its CRC (or, at 2^-32 odds, its shape check), and
 * the previous state wins at the next open. The CRC guards our storage against torn writes; it is
 * not a security control (anyone who can write the file can fix it up), which is why secure boot
 * verifies every image from its bytes and never trusts this state for integrity.
 */
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { FlashRegionOptions } from './flash-region.js';
import { FlashRegion } from './flash-region.js';

/** The two image slots. */
export type SlotName = 'A' | 'B';
/** Both slots, in boot-priority order when nothing else decides. */
export const SLOT_NAMES: readonly SlotName[] = ['A', 'B'];

/** The other slot. */
export const otherSlot = (slot: SlotName): SlotName => (slot === 'A' ? 'B' : 'A');

/** What the update metadata declares about an image before its bytes arrive. */
export interface InstallTarget {
  /** Bytes of the whole image (header, payload, TLV area), exactly. */
  readonly size: number;
  /** Device model the image is for. */
  readonly model: string;
  /** MAJOR.MINOR.PATCH. */
  readonly version: string;
  /** Anti-rollback counter (u32). */
  readonly securityCounter: number;
}

/** A verified image in a slot, as recorded when it was installed. */
export interface SlotImage {
  /** SHA-256 of header and payload (the image's hash TLV), hex. */
  readonly hash: string;
  /** Bytes of the whole image. */
  readonly size: number;
  readonly version: string;
  readonly securityCounter: number;
}

/** Why a slot was marked bad. */
export type BadSlotReason =
  /** A trial boot ended (crash, power loss, reboot) without confirm(): automatic revert. */
  | 'not-confirmed'
  /** revert() after a failed health check. */
  | 'reverted'
  /** The image failed verification at install (finish). */
  | 'refused-at-install'
  /** The image failed secure boot. */
  | 'refused-at-boot';

/**
 * What a slot holds. `writing`: an install in progress, `written` bytes durable; `pending`: installed
 * and verified, waiting for its one trial boot; `trial`: that boot was started (the attempt is
 * spent); `good`: confirmed, bootable; `bad`: never booted again until a new image is written there.
 */
export type SlotState =
  | { readonly status: 'empty' }
  | { readonly status: 'writing'; readonly target: InstallTarget; readonly written: number }
  | { readonly status: 'pending' | 'trial' | 'good'; readonly image: SlotImage }
  | { readonly status: 'bad'; readonly reason: BadSlotReason };

/** The whole boot state. */
export interface BootState {
  /** The confirmed slot booted when no trial is due; null before provisioning. */
  readonly primary: SlotName | null;
  readonly slots: Readonly<Record<SlotName, SlotState>>;
}

/** The state of a device that was never provisioned. */
export const EMPTY_BOOT_STATE: BootState = { primary: null, slots: { A: { status: 'empty' }, B: { status: 'empty' } } };

/** `state` with one slot replaced. */
export function withSlot(state: BootState, slot: SlotName, next: SlotState): BootState {
  return { primary: state.primary, slots: { ...state.slots, [slot]: next } };
}

/** Name of the state file in the bootloader's directory. */
export const BOOT_STATE_FILE = 'boot-state.bin';
/** Bytes per copy (one flash sector). */
export const BOOT_STATE_SECTOR_BYTES = 4096;
const MAGIC = Buffer.from('MSBS', 'ascii');
const COPY_HEADER_BYTES = 16;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isU32 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff_ffff;
const isSize = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const hasKeys = (o: Record<string, unknown>, keys: readonly string[]): boolean => Object.keys(o).length === keys.length && keys.every((k) => k in o);

function decodeTarget(v: unknown): InstallTarget | undefined {
  if (!isObject(v) || !hasKeys(v, ['size', 'model', 'version', 'securityCounter'])) return undefined;
  const { size, model, version, securityCounter } = v;
  return isSize(size) && typeof model === 'string' && typeof version === 'string' && isU32(securityCounter) ? { size, model, version, securityCounter } : undefined;
}

function decodeImage(v: unknown): SlotImage | undefined {
  if (!isObject(v) || !hasKeys(v, ['hash', 'size', 'version', 'securityCounter'])) return undefined;
  const { hash, size, version, securityCounter } = v;
  return typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash) && isSize(size) && typeof version === 'string' && isU32(securityCounter) ? { hash, size, version, securityCounter } : undefined;
}

const BAD_REASONS: readonly string[] = ['not-confirmed', 'reverted', 'refused-at-install', 'refused-at-boot'] satisfies BadSlotReason[];

function decodeSlot(v: unknown): SlotState | undefined {
  if (!isObject(v)) return undefined;
  switch (v.status) {
    case 'empty':
      return hasKeys(v, ['status']) ? { status: 'empty' } : undefined;
    case 'writing': {
      const target = decodeTarget(v.target);
      return hasKeys(v, ['status', 'target', 'written']) && target !== undefined && isSize(v.written) && v.written <= target.size ? { status: 'writing', target, written: v.written } : undefined;
    }
    case 'pending':
    case 'trial':
    case 'good': {
      const image = decodeImage(v.image);
      return hasKeys(v, ['status', 'image']) && image !== undefined ? { status: v.status, image } : undefined;
    }
    case 'bad':
      return hasKeys(v, ['status', 'reason']) && typeof v.reason === 'string' && BAD_REASONS.includes(v.reason) ? { status: 'bad', reason: v.reason as BadSlotReason } : undefined;
    default:
      return undefined;
  }
}

/** A state read back from JSON, checked field by field; undefined when it is not one. */
export function decodeBootState(v: unknown): BootState | undefined {
  if (!isObject(v) || !hasKeys(v, ['primary', 'slots']) || !isObject(v.slots) || !hasKeys(v.slots, SLOT_NAMES)) return undefined;
  const { primary } = v;
  const a = decodeSlot(v.slots.A);
  const b = decodeSlot(v.slots.B);
  if (a === undefined || b === undefined || (primary !== null && primary !== 'A' && primary !== 'B')) return undefined;
  return { primary, slots: { A: a, B: b } };
}

function decodeCopy(sector: Buffer): { sequence: number; state: BootState } | undefined {
  if (!sector.subarray(0, 4).equals(MAGIC)) return undefined;
  const sequence = sector.readUInt32BE(4);
  const length = sector.readUInt32BE(8);
  if (length > BOOT_STATE_SECTOR_BYTES - COPY_HEADER_BYTES) return undefined;
  const payload = sector.subarray(COPY_HEADER_BYTES, COPY_HEADER_BYTES + length);
  if (crc32(payload, crc32(sector.subarray(4, 12))) !== sector.readUInt32BE(12)) return undefined;
  try {
    const state = decodeBootState(JSON.parse(payload.toString('utf8')));
    return state === undefined ? undefined : { sequence, state };
  } catch {
    return undefined;
  }
}

/** The two-copy store of the boot state (see the file comment). */
export class BootStateStore {
  readonly #region: FlashRegion;
  #state: BootState;
  #sequence: number;
  /** The copy holding the current state (the next save writes the other); -1 when none is valid. */
  #current: number;

  private constructor(region: FlashRegion) {
    this.#region = region;
    const copies = [0, 1].map((i) => decodeCopy(region.read(i * BOOT_STATE_SECTOR_BYTES, BOOT_STATE_SECTOR_BYTES)));
    const [first, second] = copies;
    this.#current = first === undefined ? (second === undefined ? -1 : 1) : second === undefined || first.sequence > second.sequence ? 0 : 1;
    const chosen = this.#current === -1 ? undefined : copies[this.#current];
    this.#state = chosen?.state ?? EMPTY_BOOT_STATE;
    this.#sequence = chosen?.sequence ?? 0;
  }

  /** Opens the state file in `dir` (created blank at first use). Throws ERR_BOOT_UNAVAILABLE. */
  static open(dir: string, options: FlashRegionOptions = {}): BootStateStore {
    return new BootStateStore(FlashRegion.open(join(dir, BOOT_STATE_FILE), 2 * BOOT_STATE_SECTOR_BYTES, options));
  }

  /** The current state (EMPTY_BOOT_STATE when no copy is valid). */
  get state(): BootState {
    return this.#state;
  }

  /** Sequence number of the current state (0 when none). */
  get sequence(): number {
    return this.#sequence;
  }

  /** True when a valid copy was found or saved. */
  get hasState(): boolean {
    return this.#current !== -1;
  }

  /**
   * Writes `next` to the other copy (one write) and makes it current. Throws ERR_BOOT_WRITE_FAILED
   * or ERR_BOOT_POWER_LOST; either way the previous state stays the stored one.
   */
  save(next: BootState): void {
    const payload = Buffer.from(JSON.stringify(next), 'utf8');
    if (payload.length > BOOT_STATE_SECTOR_BYTES - COPY_HEADER_BYTES) throw new RangeError('the boot state does not fit its sector');
    const copy = Buffer.alloc(COPY_HEADER_BYTES + payload.length);
    MAGIC.copy(copy, 0);
    copy.writeUInt32BE(this.#sequence + 1, 4);
    copy.writeUInt32BE(payload.length, 8);
    payload.copy(copy, COPY_HEADER_BYTES);
    copy.writeUInt32BE(crc32(payload, crc32(copy.subarray(4, 12))), 12);
    const target = this.#current === 0 ? 1 : 0;
    this.#region.write(target * BOOT_STATE_SECTOR_BYTES, copy);
    this.#current = target;
    this.#sequence += 1;
    this.#state = next;
  }

  /** Closes the state file. */
  close(): void {
    this.#region.close();
  }
}
