/**
 * The firmware tables guard themselves (CTL-12, CTL-14): whatever the application does, a
 * published metadata file or target is never rewritten or deleted (only timestamp.json moves on),
 * a campaign is never deleted, and no campaign is approved by its creator.
 */
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';

let db: BetterSqlite3.Database;

beforeEach(() => {
  db = new BetterSqlite3(':memory:');
  db.pragma('foreign_keys = ON');
  for (const sql of MIGRATIONS) db.transaction(() => db.exec(sql))();
  const metadata = db.prepare("INSERT INTO firmware_metadata (name, role, version, sha256, length, published_at, published_by) VALUES (?, ?, ?, ?, 10, 1, 'tech')");
  metadata.run('1.root.json', 'root', 1, 'a'.repeat(64));
  metadata.run('timestamp.json', 'timestamp', 1, 'b'.repeat(64));
  db.prepare(
    `INSERT INTO firmware_targets (file_path, target_path, model, version, version_major, version_minor, version_patch, security_counter, length, sha256, encrypted, published_at, published_by)
     VALUES ('us/x.us-1.0.0.bin', 'us/us-1.0.0.bin', 'us', '1.0.0', 1, 0, 0, 1, 100, ?, 0, 1, 'tech')`,
  ).run('c'.repeat(64));
  db.prepare(
    `INSERT INTO firmware_campaigns (campaign_id, model, version, target_path, stages, failure_threshold_percent, min_failure_sample, status, created_by, created_at, updated_at)
     VALUES ('c1', 'us', '1.0.0', 'us/us-1.0.0.bin', '[100]', 20, 3, 'awaiting-approval', 'tech', 1, 1)`,
  ).run();
});
afterEach(() => db.close());

describe('firmware tables (CTL-12)', () => {
  it('[CTL-12] published metadata and targets are never rewritten or deleted; only timestamp.json moves on', { tags: ['CTL-12'] }, () => {
    expect(() => db.exec(`UPDATE firmware_metadata SET sha256 = '${'d'.repeat(64)}' WHERE name = '1.root.json'`)).toThrow(/immutable/u);
    expect(() => db.exec("DELETE FROM firmware_metadata WHERE name = '1.root.json'")).toThrow(/never deleted/u);
    expect(() => db.exec("DELETE FROM firmware_metadata WHERE name = 'timestamp.json'")).toThrow(/never deleted/u);
    expect(() => db.exec("UPDATE firmware_metadata SET role = 'root' WHERE name = 'timestamp.json'")).toThrow(/immutable/u);
    expect(() => db.exec(`UPDATE firmware_metadata SET version = 2, sha256 = '${'e'.repeat(64)}' WHERE name = 'timestamp.json'`)).not.toThrow();
    expect(() => db.exec('UPDATE firmware_targets SET security_counter = 0')).toThrow(/immutable/u);
    expect(() => db.exec('DELETE FROM firmware_targets')).toThrow(/never deleted/u);
  });

  it('[CTL-01][CTL-14] a campaign is never deleted and never approved by its creator', { tags: ['CTL-01', 'CTL-14'] }, () => {
    expect(() => db.exec("UPDATE firmware_campaigns SET approved_by = 'tech', status = 'running'")).toThrow(/CHECK constraint/u);
    expect(() => db.exec("UPDATE firmware_campaigns SET approved_by = 'admin', status = 'running'")).not.toThrow();
    expect(() => db.exec('DELETE FROM firmware_campaigns')).toThrow(/never deleted/u);
  });
});
