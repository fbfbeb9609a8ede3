/**
 * The embedded store: one SQLite file (better-sqlite3), WAL with synchronous=FULL so a
 * committed reading survives a kill or power cut at any instant (attacks-and-faults F1, §5.2),
 * schema migrations by PRAGMA user_version, and an integrity check before anything is served:
 * a damaged or foreign file stops start-up instead of starting empty (F8).
 */
import BetterSqlite3 from 'better-sqlite3';
import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import { GatewayError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';

/** The better-sqlite3 database type. */
export type Database = BetterSqlite3.Database;

/** application_id stamped in the file header: "MDSM". */
export const APPLICATION_ID = 0x4d44534d;

/** Options of openDatabase. */
export interface OpenDatabaseOptions {
  /** Upper bound on the file size in pages (tests use it to simulate a full disk, F7). */
  readonly maxPageCount?: number;
  /** Open an existing database read-only (audit verification beside a running gateway). */
  readonly readonly?: boolean;
  /**
   * The data directory was initialised before (its keys exist): a missing or empty database is
   * then damage, not a first start, and is refused instead of silently starting empty (F8).
   */
  readonly mustExist?: boolean;
}

/** Checks an existing file on a read-only connection, before anything may write to it. */
function checkExisting(path: string): void {
  const probe = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    if (probe.pragma('application_id', { simple: true }) !== APPLICATION_ID) throw new Error('not a medsim gateway database');
    const version = probe.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) throw new Error(`schema version ${version} is newer than this build (${MIGRATIONS.length})`);
  } finally {
    probe.close();
  }
}

/**
 * Opens (creating and migrating) the gateway database. Throws ERR_STORE_CORRUPT for a file that
 * is not an SQLite database, fails `PRAGMA quick_check`, belongs to another application or was
 * written by a newer schema.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  const existed = existsSync(path) && statSync(path).size > 0;
  let db: Database | undefined;
  try {
    if (options.readonly === true) {
      if (!existed) throw new Error('no database here');
      db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
      if (db.pragma('application_id', { simple: true }) !== APPLICATION_ID) throw new Error('not a medsim gateway database');
      return db;
    }
    if (options.mustExist === true && !existed) throw new Error('the database is missing or empty, but this data directory was initialised before');
    // A foreign or newer file is refused before the WAL switch or a migration could change a byte.
    if (existed) checkExisting(path);
    // Created 0600 (it holds password hashes and sealed data); SQLite gives its WAL and shared-
    // memory files the database file's mode.
    if (!existsSync(path)) closeSync(openSync(path, 'wx', 0o600));
    db = new BetterSqlite3(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // 64 MiB of page cache (SQLite's default is 2 MiB): the readings indexes outgrow the default
    // within minutes at fleet rates, and every insert then pays for page reads.
    db.pragma('cache_size = -65536');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`quick_check: ${String(check)}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let next = version; next < MIGRATIONS.length; next += 1) {
      const migration = MIGRATIONS[next]!;
      db.transaction(() => {
        db!.exec(migration);
        db!.pragma(`user_version = ${next + 1}`);
      })();
    }
    if (!existed) db.pragma(`application_id = ${APPLICATION_ID}`);
    if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${options.maxPageCount}`);
    return db;
  } catch (cause) {
    db?.close();
    if (cause instanceof GatewayError) throw cause;
    throw new GatewayError('ERR_STORE_CORRUPT', `the database ${path} cannot be used: ${(cause as Error).message}`, { cause });
  }
}

/** True for SQLite's "database or disk is full" (F7). */
export function isStoreFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE' || code === 'SQLITE_IOERR';
}
