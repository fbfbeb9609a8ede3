/**
 * The ingest path of one envelope: open (key id → session, replay window, AES-GCM tag), decode
 * and validate the payload, check its content type belongs on the channel it came on, then
 * commit it to SQLite. It resolves only after the commit: the broker calls it inside
 * authorizePublish, so the device's PUBACK is sent after the reading is durable (aedes sends
 * PUBACK before subscribers run, attacks-and-faults §3.7; a gateway killed at any instant loses
 * nothing a device saw acknowledged).
 *
 * Commits are grouped: envelopes arriving in the same turn of the event loop share one
 * transaction (one WAL fsync), which is what lets a 2-core machine keep up with thousands of
 * devices while every PUBACK still follows its own durable commit.
 */
import { CryptoError } from '@medsim/crypto';
import type { AuditStream } from '@medsim/logging';
import { ContentType, decodePayload, type Channel } from '@medsim/protocol';
import { GatewayError } from '../errors.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import type { Database } from '../store/database.js';
import type { NewReading, ReadingFeed, ReadingStore } from '../store/readings.js';
import type { DeviceSessions } from './device-sessions.js';

/** Content types a device may send on each of its channels. */
export const CHANNEL_CONTENT: Partial<Record<Channel, readonly ContentType[]>> = {
  telemetry: [ContentType.CONTENT_TYPE_VITAL_SIGN_READING, ContentType.CONTENT_TYPE_WAVEFORM_FRAME],
  // A maintenance report answers a maintenance command (issue 4): device health, no patient data.
  status: [ContentType.CONTENT_TYPE_DEVICE_STATUS, ContentType.CONTENT_TYPE_ALARM, ContentType.CONTENT_TYPE_MAINTENANCE_REPORT],
  events: [ContentType.CONTENT_TYPE_SECURITY_EVENT],
  commandAcks: [ContentType.CONTENT_TYPE_THERAPY_COMMAND_ACK],
  updateStatus: [ContentType.CONTENT_TYPE_FIRMWARE_UPDATE_STATUS],
};

/**
 * Most envelopes remembered as authenticated-but-not-committed (F7); beyond it the oldest are
 * forgotten, and their resends are refused as replays as before (bounded memory under a long
 * disk-full episode: 10,000 identities of about 100 bytes).
 */
const MAX_UNCOMMITTED = 10_000;

const identity = (r: { deviceId: string; keyId: Uint8Array; streamId: number; sequence: number }): string =>
  `${r.deviceId}|${Buffer.from(r.keyId).toString('hex')}|${r.streamId}|${r.sequence}`;

interface Pending {
  readonly reading: NewReading;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** An envelope just committed for the first time (its plaintext payload, validated, as stored). */
export type CommittedEnvelope = Readonly<NewReading> & { readonly id: number };

/** Options of Ingest. */
export interface IngestOptions {
  readonly db: Database;
  readonly readings: ReadingStore;
  readonly feed: ReadingFeed;
  readonly audit: AuditStream;
  readonly devices: DeviceRegistry;
  readonly sessions: DeviceSessions;
  readonly now: () => number;
  /**
   * Called once per envelope after its first durable commit (never for a redelivered duplicate),
   * synchronously inside the flush: the therapy service takes command acknowledgements here. A
   * hook that throws is audited and ignored: the envelope is stored and acknowledged regardless.
   */
  readonly onCommitted?: (envelope: CommittedEnvelope) => void;
}

/** Counters, for status and the benchmark. */
export interface IngestCounters {
  stored: number;
  duplicates: number;
  refused: number;
  commits: number;
}

/** Opens, validates and durably stores device envelopes. */
export class Ingest {
  readonly #o: IngestOptions;
  #pending: Pending[] = [];
  #scheduled = false;
  readonly counters: IngestCounters = { stored: 0, duplicates: 0, refused: 0, commits: 0 };
  /** Identities of envelopes that opened but whose commit failed (F7). */
  readonly #uncommitted = new Set<string>();
  readonly #exists;

  constructor(options: IngestOptions) {
    this.#o = options;
    this.#exists = options.db.prepare('SELECT 1 FROM readings WHERE device_id = ? AND key_id = ? AND stream_id = ? AND sequence = ?');
  }

  /**
   * Takes one envelope from `deviceId` on `channel`; resolves once it is committed (or was
   * committed before), rejects with a typed error (crypto, protocol or gateway) otherwise.
   */
  envelope(deviceId: string, channel: Channel, bytes: Uint8Array): Promise<void> {
    let reading: NewReading;
    try {
      try {
        reading = this.#open(deviceId, channel, bytes, false);
      } catch (error) {
        if (!(error instanceof CryptoError && error.code === 'ERR_CRYPTO_REPLAY')) throw error;
        if (this.#storedBefore(deviceId, bytes)) {
          // A redelivery (QoS 1 DUP, or a resend after a lost PUBACK) of a stored envelope:
          // acknowledge again, store nothing (M15).
          this.counters.duplicates += 1;
          return Promise.resolve();
        }
        // F7: authenticated before, but its commit failed (disk full), so the replay window
        // already holds its sequence; the device kept it and resends it now. Opened again
        // outside the window (tag still verified) so that the reading is not lost.
        if (!this.#uncommitted.has(this.#identityOf(deviceId, bytes) ?? '')) throw error;
        reading = this.#open(deviceId, channel, bytes, true);
      }
    } catch (error) {
      this.counters.refused += 1;
      return Promise.reject(error instanceof Error ? error : new GatewayError('ERR_INGEST_REFUSED', 'envelope refused'));
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ reading, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #open(deviceId: string, channel: Channel, bytes: Uint8Array, outsideWindow: boolean): NewReading {
    const allowed = CHANNEL_CONTENT[channel];
    if (allowed === undefined) throw new GatewayError('ERR_MQTT_NOT_AUTHORIZED', 'devices do not publish envelopes on this channel');
    const { header, plaintext } = outsideWindow ? this.#o.sessions.reopen(bytes, deviceId) : this.#o.sessions.open(bytes, deviceId);
    if (!allowed.includes(header.contentType)) {
      throw new GatewayError('ERR_INGEST_REFUSED', 'the content type does not belong on this channel', {
        details: { channel, contentType: header.contentType },
      });
    }
    const payload = decodePayload(header.contentType, plaintext);
    const measuredAtMs =
      payload.contentType === ContentType.CONTENT_TYPE_VITAL_SIGN_READING ? payload.message.measuredAtMs : header.timestampMs;
    if (payload.contentType === ContentType.CONTENT_TYPE_SECURITY_EVENT) {
      this.#o.audit.record({ event: 'device.security-event', outcome: 'failure', severity: 'high', actor: deviceId, role: 'device', object: deviceId });
    }
    return {
      deviceId,
      keyId: header.keyId,
      streamId: header.streamId,
      sequence: header.sequence,
      // A maintenance report is the device's own account, not a reading of its patient: stored
      // without one, so it never shows in a patient's history.
      patientId: header.contentType === ContentType.CONTENT_TYPE_MAINTENANCE_REPORT ? null : this.#o.devices.patientOf(deviceId),
      contentType: header.contentType,
      measuredAtMs,
      receivedAtMs: this.#o.now(),
      payload: plaintext,
    };
  }

  /** The envelope's identity as the readings table keys it, from its header (unauthenticated). */
  #identityOf(deviceId: string, bytes: Uint8Array): string | undefined {
    try {
      const { header } = this.#o.sessions.peek(bytes);
      return identity({ deviceId, keyId: header.keyId, streamId: header.streamId, sequence: header.sequence });
    } catch {
      return undefined;
    }
  }

  #storedBefore(deviceId: string, bytes: Uint8Array): boolean {
    try {
      const { header } = this.#o.sessions.peek(bytes);
      return this.#exists.get(deviceId, Buffer.from(header.keyId), header.streamId, header.sequence) !== undefined;
    } catch {
      return false;
    }
  }

  /** Runs the onCommitted hook; its faults never reach the device or the rest of the batch. */
  #committed(envelope: CommittedEnvelope): void {
    try {
      this.#o.onCommitted!(envelope);
    } catch (error) {
      try {
        const code = error instanceof GatewayError ? error.code : 'ERR_INTERNAL';
        this.#o.audit.record({ event: 'ingest.hook-failed', outcome: 'failure', severity: 'high', actor: 'system', object: envelope.deviceId, code });
      } catch {
        // The audit trail itself failed (disk full, F7): nothing more can be done here.
      }
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    const ids: (number | undefined)[] = [];
    try {
      this.#o.db.transaction(() => {
        for (const { reading } of batch) ids.push(this.#o.readings.insert(reading));
      })();
    } catch (error) {
      this.counters.refused += batch.length;
      for (const { reading } of batch) {
        // Authenticated but not stored: a resend of these is not a replay (see envelope()).
        if (this.#uncommitted.size >= MAX_UNCOMMITTED) this.#uncommitted.delete(this.#uncommitted.values().next().value!);
        this.#uncommitted.add(identity(reading));
      }
      for (const pending of batch) pending.reject(error);
      return;
    }
    this.counters.commits += 1;
    if (this.#uncommitted.size > 0) for (const { reading } of batch) this.#uncommitted.delete(identity(reading));
    batch.forEach(({ reading, resolve }, i) => {
      const id = ids[i];
      if (id === undefined) this.counters.duplicates += 1;
      else this.counters.stored += 1;
      resolve();
      if (id !== undefined && this.#o.feed.listenerCount('reading') > 0) this.#o.feed.emit('reading', this.#o.readings.toJson({ ...reading, id }));
      if (id !== undefined && this.#o.onCommitted !== undefined) this.#committed({ ...reading, id });
    });
  }
}
