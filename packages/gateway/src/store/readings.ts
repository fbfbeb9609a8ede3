/**
 * Readings: stored encrypted at rest (CTL-10), idempotent on the envelope identity (device,
 * session key id, stream, sequence), so a QoS 1 redelivery or a device resend after a lost
 * PUBACK is stored once (M15, F1). The sequence namespace is the session, hence the key id in
 * the key. Committed readings are announced on the feed for the live stream.
 */
import { ContentType, decodeMessage, vitalSignReadingToJson, type VitalSignReadingJson } from '@medsim/protocol';
import { EventEmitter } from 'node:events';
import { GatewayError } from '../errors.js';
import type { DataKey } from './at-rest.js';
import { isStoreFull, type Database } from './database.js';

/** A reading to store, as the ingest path has it after decryption and validation. */
export interface NewReading {
  readonly deviceId: string;
  readonly keyId: Uint8Array;
  readonly streamId: number;
  readonly sequence: number;
  readonly patientId: string | null;
  readonly contentType: ContentType;
  readonly measuredAtMs: number;
  readonly receivedAtMs: number;
  /** The validated protobuf payload. */
  readonly payload: Uint8Array;
}

/** A stored reading in its API form. */
export interface ReadingJson {
  readonly id: number;
  readonly patientId: string | null;
  readonly deviceId: string;
  readonly kind: 'vital-sign-reading' | 'alarm' | 'device-status' | 'waveform-frame' | 'other';
  readonly measuredAt: string;
  readonly receivedAt: string;
  /** The vital-sign reading (kind vital-sign-reading). */
  readonly reading?: VitalSignReadingJson;
}

/** Time range and page of a reading query. */
export interface ReadingQuery {
  readonly fromMs?: number;
  readonly toMs?: number;
  /** Return rows with id greater than this (the cursor of the previous page). */
  readonly afterId?: number;
  readonly limit?: number;
}

interface ReadingRow {
  id: number;
  device_id: string;
  key_id: Buffer;
  stream_id: number;
  sequence: number;
  patient_id: string | null;
  content_type: number;
  measured_at: number;
  received_at: number;
  payload_enc: Buffer;
}

const KINDS: Partial<Record<ContentType, ReadingJson['kind']>> = {
  [ContentType.CONTENT_TYPE_VITAL_SIGN_READING]: 'vital-sign-reading',
  [ContentType.CONTENT_TYPE_ALARM]: 'alarm',
  [ContentType.CONTENT_TYPE_DEVICE_STATUS]: 'device-status',
  [ContentType.CONTENT_TYPE_WAVEFORM_FRAME]: 'waveform-frame',
};

/** Largest page of a reading query. */
export const MAX_READING_PAGE = 1000;

/** Largest page of a maintenance report query: a report may hold 200 log entries (48 KiB). */
export const MAX_MAINTENANCE_REPORT_PAGE = 100;

const contextOf = (r: { deviceId: string; keyId: Uint8Array; streamId: number; sequence: number }): string =>
  `reading|${r.deviceId}|${Buffer.from(r.keyId).toString('hex')}|${r.streamId}|${r.sequence}`;

/** Committed readings, for the live stream. */
export class ReadingFeed extends EventEmitter<{ reading: [ReadingJson] }> {}

/** The readings table. */
export class ReadingStore {
  readonly #db: Database;
  readonly #key: DataKey;
  readonly #insert;

  constructor(db: Database, key: DataKey) {
    this.#db = db;
    this.#key = key;
    this.#insert = db.prepare(
      `INSERT INTO readings (device_id, key_id, stream_id, sequence, patient_id, content_type, measured_at, received_at, payload_enc)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, key_id, stream_id, sequence) DO NOTHING`,
    );
  }

  /**
   * Commits a reading (durably: WAL, synchronous=FULL) before returning. Returns the new row id,
   * or undefined when this envelope was stored before. Throws ERR_STORE_FULL when the disk or
   * page limit is reached (the caller must not acknowledge).
   */
  insert(reading: NewReading): number | undefined {
    const payloadEnc = this.#key.seal(reading.payload, contextOf(reading));
    try {
      const result = this.#insert.run(
        reading.deviceId,
        Buffer.from(reading.keyId),
        reading.streamId,
        reading.sequence,
        reading.patientId,
        reading.contentType,
        reading.measuredAtMs,
        reading.receivedAtMs,
        payloadEnc,
      );
      return result.changes === 1 ? Number(result.lastInsertRowid) : undefined;
    } catch (cause) {
      if (isStoreFull(cause)) throw new GatewayError('ERR_STORE_FULL', 'the store cannot take the reading', { cause });
      throw cause;
    }
  }

  /** The API form of a stored reading. */
  toJson(row: NewReading & { readonly id: number }): ReadingJson {
    const kind = KINDS[row.contentType] ?? 'other';
    return {
      id: row.id,
      patientId: row.patientId,
      deviceId: row.deviceId,
      kind,
      measuredAt: new Date(row.measuredAtMs).toISOString(),
      receivedAt: new Date(row.receivedAtMs).toISOString(),
      ...(kind === 'vital-sign-reading' ? { reading: vitalSignReadingToJson(row.deviceId, decodeMessage('VitalSignReading', row.payload)) } : {}),
    };
  }

  #fromRow(row: ReadingRow): ReadingJson {
    const identity = { deviceId: row.device_id, keyId: row.key_id, streamId: row.stream_id, sequence: row.sequence };
    return this.toJson({
      ...identity,
      id: row.id,
      patientId: row.patient_id,
      contentType: row.content_type,
      measuredAtMs: row.measured_at,
      receivedAtMs: row.received_at,
      payload: this.#key.open(row.payload_enc, contextOf(identity)),
    });
  }

  /** A patient's readings in a time range, oldest first, paged by id. */
  forPatient(patientId: string, query: ReadingQuery = {}): ReadingJson[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM readings WHERE patient_id = ? AND measured_at >= ? AND measured_at < ? AND id > ?
         ORDER BY id LIMIT ?`,
      )
      .all(
        patientId,
        query.fromMs ?? 0,
        query.toMs ?? Number.MAX_SAFE_INTEGER,
        query.afterId ?? 0,
        Math.min(Math.max(query.limit ?? 100, 1), MAX_READING_PAGE),
      ) as ReadingRow[];
    return rows.map((row) => this.#fromRow(row));
  }

  /** Number of readings stored for a device (tests and status). */
  countForDevice(deviceId: string): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM readings WHERE device_id = ?').get(deviceId) as { n: number }).n;
  }

  /**
   * Every envelope payload stored for a device, decrypted, in commit order (tests, conformance
   * and evidence tools; the API serves patients' readings through forPatient).
   */
  payloadsForDevice(deviceId: string): StoredPayload[] {
    const rows = this.#db.prepare('SELECT * FROM readings WHERE device_id = ? ORDER BY id').all(deviceId) as ReadingRow[];
    return rows.map((row) => this.#payloadOf(row));
  }

  /**
   * A device's maintenance reports (CONTENT_TYPE_MAINTENANCE_REPORT), newest first, paged by id:
   * rows below `beforeId` (the previous page's last id), at most MAX_MAINTENANCE_REPORT_PAGE.
   * The content type is a literal so that SQLite uses the partial index readings_maintenance_reports.
   */
  maintenanceReportsOf(deviceId: string, query: { readonly beforeId?: number; readonly limit?: number } = {}): StoredPayload[] {
    const rows = this.#db
      .prepare(`SELECT * FROM readings WHERE device_id = ? AND content_type = ${ContentType.CONTENT_TYPE_MAINTENANCE_REPORT} AND id < ? ORDER BY id DESC LIMIT ?`)
      .all(deviceId, query.beforeId ?? Number.MAX_SAFE_INTEGER, Math.min(Math.max(query.limit ?? MAX_MAINTENANCE_REPORT_PAGE, 1), MAX_MAINTENANCE_REPORT_PAGE)) as ReadingRow[];
    return rows.map((row) => this.#payloadOf(row));
  }

  #payloadOf(row: ReadingRow): StoredPayload {
    return {
      id: row.id,
      contentType: row.content_type,
      streamId: row.stream_id,
      sequence: row.sequence,
      measuredAtMs: row.measured_at,
      receivedAtMs: row.received_at,
      payload: this.#key.open(row.payload_enc, contextOf({ deviceId: row.device_id, keyId: row.key_id, streamId: row.stream_id, sequence: row.sequence })),
    };
  }
}

/** One stored envelope payload, decrypted. */
export interface StoredPayload {
  readonly id: number;
  readonly contentType: ContentType;
  readonly streamId: number;
  readonly sequence: number;
  readonly measuredAtMs: number;
  /** Gateway clock at ingest. */
  readonly receivedAtMs: number;
  readonly payload: Uint8Array;
}
