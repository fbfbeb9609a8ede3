/**
 * The audit trail (CTL-14): an append-only SQLite table where each entry commits to the one
 * before it, hash = SHA-256(prev_hash ‖ canonical entry). Editing, deleting, inserting or
 * reordering any entry breaks verification from that entry on; `medsim audit verify` runs
 * verifyAuditChain(). Entries carry ids and codes, never PHI or secrets (the canary test).
 *
 * A chain alone cannot show that its newest entries were cut off; exportAuditLog() output or
 * the head printed by `medsim audit verify` serves as the external anchor for that.
 */
import type { AuditRecord, AuditSink } from '@medsim/logging';
import { createHash } from 'node:crypto';
import type { Database } from '../store/database.js';

/** SHA-256 of nothing-before-the-first-entry: 32 zero bytes. */
export const GENESIS_HASH = Buffer.alloc(32);

/** One stored entry. */
export interface AuditEntry extends AuditRecord {
  readonly seq: number;
  /** Hex SHA-256 of the previous entry (zeros for the first). */
  readonly prevHash: string;
  /** Hex SHA-256 of this entry. */
  readonly hash: string;
}

interface AuditRow {
  seq: number;
  at: string;
  event: string;
  outcome: string;
  severity: string;
  actor: string;
  role: string | null;
  source: string | null;
  object: string | null;
  code: string | null;
  prev_hash: Buffer;
  hash: Buffer;
}

/** A record's columns after seq, in table order: what is stored and what is hashed. */
function columnsOf(record: AuditRecord): (string | null)[] {
  return [record.at, record.event, record.outcome, record.severity, record.actor, record.role ?? null, record.source ?? null, record.object ?? null, record.code ?? null];
}

/** The hashed bytes of one entry: a JSON array in fixed field order (no key-order ambiguity). */
function entryHash(prevHash: Uint8Array, seq: number, record: AuditRecord): Buffer {
  const canonical = JSON.stringify([seq, ...columnsOf(record)]);
  return createHash('sha256').update(prevHash).update(canonical, 'utf8').digest();
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    event: row.event,
    outcome: row.outcome as AuditRecord['outcome'],
    severity: row.severity as AuditRecord['severity'],
    actor: row.actor,
    ...(row.role === null ? {} : { role: row.role }),
    ...(row.source === null ? {} : { source: row.source }),
    ...(row.object === null ? {} : { object: row.object }),
    ...(row.code === null ? {} : { code: row.code }),
    prevHash: row.prev_hash.toString('hex'),
    hash: row.hash.toString('hex'),
  };
}

/** The audit table as an AuditStream sink. */
export class AuditLog implements AuditSink {
  readonly #insert;
  readonly #head;
  #last: { seq: number; hash: Buffer } | undefined;

  constructor(db: Database) {
    this.#insert = db.prepare(
      `INSERT INTO audit_log (seq, at, event, outcome, severity, actor, role, source, object, code, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#head = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  }

  /** Appends a record, chained to the newest entry. */
  append(record: AuditRecord): void {
    const last = this.#last ?? (this.#head.get() as { seq: number; hash: Buffer } | undefined) ?? { seq: 0, hash: GENESIS_HASH };
    const seq = last.seq + 1;
    const hash = entryHash(last.hash, seq, record);
    this.#insert.run(seq, ...columnsOf(record), last.hash, hash);
    this.#last = { seq, hash };
  }
}

/** Result of verifying the chain. */
export interface AuditVerification {
  readonly ok: boolean;
  readonly entries: number;
  /** The newest entry's sequence number and hash: the anchor to keep outside the gateway. */
  readonly head?: { readonly seq: number; readonly hash: string };
  /** The first entry that does not verify, and why. */
  readonly firstBad?: { readonly seq: number; readonly reason: 'hash' | 'link' | 'gap' };
}

/** Walks the whole table in order and checks every link and hash. */
export function verifyAuditChain(db: Database): AuditVerification {
  let previous: Buffer = GENESIS_HASH;
  let expectedSeq = 1;
  let entries = 0;
  let head: AuditVerification['head'];
  for (const row of db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<AuditRow>) {
    if (row.seq !== expectedSeq) return { ok: false, entries, firstBad: { seq: row.seq, reason: 'gap' } };
    if (!row.prev_hash.equals(previous)) return { ok: false, entries, firstBad: { seq: row.seq, reason: 'link' } };
    const entry = toEntry(row);
    if (!entryHash(previous, row.seq, entry).equals(row.hash)) return { ok: false, entries, firstBad: { seq: row.seq, reason: 'hash' } };
    previous = row.hash;
    expectedSeq += 1;
    entries += 1;
    head = { seq: row.seq, hash: entry.hash };
  }
  return { ok: true, entries, ...(head === undefined ? {} : { head }) };
}

/** Query of the audit log. */
export interface AuditQuery {
  readonly afterSeq?: number;
  readonly limit?: number;
  readonly event?: string;
  readonly actor?: string;
  readonly fromIso?: string;
  readonly toIso?: string;
}

/** Entries matching `query`, oldest first. */
export function queryAuditLog(db: Database, query: AuditQuery = {}): AuditEntry[] {
  const where = ['seq > ?'];
  const params: (string | number)[] = [query.afterSeq ?? 0];
  if (query.event !== undefined) {
    where.push('event = ?');
    params.push(query.event);
  }
  if (query.actor !== undefined) {
    where.push('actor = ?');
    params.push(query.actor);
  }
  if (query.fromIso !== undefined) {
    where.push('at >= ?');
    params.push(query.fromIso);
  }
  if (query.toIso !== undefined) {
    where.push('at < ?');
    params.push(query.toIso);
  }
  params.push(Math.min(Math.max(query.limit ?? 100, 1), 1000));
  const rows = db.prepare(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`).all(...params) as AuditRow[];
  return rows.map(toEntry);
}

/** The whole log as JSON lines (SIEM-friendly), oldest first. */
export function* exportAuditLog(db: Database): Generator<string> {
  for (const row of db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<AuditRow>) {
    yield JSON.stringify(toEntry(row));
  }
}
