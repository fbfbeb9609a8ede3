/**
 * The maintenance migration (issue 4) rebuilds therapy_commands to let a maintenance command name
 * no patient: every existing command must survive it unchanged, as therapy, and the store must
 * keep refusing what it refused before (deleting a command, rewriting a signed one), now with
 * purpose and patient frozen by the signature too.
 */
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';

/** The migration that introduced `purpose` (the last one when it was written). */
const MAINTENANCE_MIGRATION = MIGRATIONS.findIndex((sql) => sql.includes('therapy_commands_v2'));

const insertMaintenance = (db: BetterSqlite3.Database, id: number, patientId: string | null): void => {
  db.prepare(
    `INSERT INTO therapy_commands (command_id, device_id, purpose, patient_id, issuer_user_id, issuer_session_id, action_kind, action_enc, status, created_at, confirm_deadline)
     VALUES (?, 'us-1', 'maintenance', ?, 'tech', 'session', 'run-diagnostics', x'01', 'awaiting-confirmation', 1, 2)`,
  ).run(Buffer.alloc(16, id), patientId);
};

describe('schema migrations', () => {
  it('[CTL-15] the maintenance migration keeps every therapy command and its evidence guards; maintenance commands name no patient', { tags: ['CTL-15'] }, () => {
    expect(MAINTENANCE_MIGRATION).toBeGreaterThan(0);
    const db = new BetterSqlite3(':memory:');
    try {
      db.pragma('foreign_keys = ON');
      for (const sql of MIGRATIONS.slice(0, MAINTENANCE_MIGRATION)) db.transaction(() => db.exec(sql))();
      db.prepare("INSERT INTO patients (id, display_name_enc, created_at) VALUES ('p1', x'00', 1)").run();
      const insert = db.prepare(
        `INSERT INTO therapy_commands (command_id, device_id, patient_id, sequence, issuer_user_id, issuer_session_id, action_kind, action_enc, status, created_at, confirm_deadline, signature)
         VALUES (?, 'pump-1', 'p1', ?, 'clin', 'session', 'insulin-bolus', x'01', ?, 1, 2, ?)`,
      );
      insert.run(Buffer.alloc(16, 1), 1, 'sent', Buffer.from('signature'));
      insert.run(Buffer.alloc(16, 2), null, 'awaiting-confirmation', null);
      const before = db.prepare('SELECT * FROM therapy_commands ORDER BY command_id').all();

      for (const sql of MIGRATIONS.slice(MAINTENANCE_MIGRATION)) db.transaction(() => db.exec(sql))();

      const after = db.prepare('SELECT * FROM therapy_commands ORDER BY command_id').all() as Record<string, unknown>[];
      expect(after.map(({ purpose: _purpose, ...rest }) => rest)).toEqual(before);
      expect(after.map((row) => row['purpose'])).toEqual(['therapy', 'therapy']);
      expect(() => db.exec('DELETE FROM therapy_commands')).toThrow(/never deleted/u);
      expect(() => db.exec("UPDATE therapy_commands SET purpose = 'maintenance', patient_id = NULL WHERE sequence = 1")).toThrow(/immutable/u);
      expect(() => db.exec("UPDATE therapy_commands SET patient_id = NULL WHERE sequence = 1")).toThrow(/immutable/u);
      // A therapy command always names its patient, a maintenance command never does.
      expect(() => insertMaintenance(db, 3, 'p1')).toThrow(/CHECK constraint/u);
      expect(() => insertMaintenance(db, 4, null)).not.toThrow();
      expect(() => db.exec("UPDATE therapy_commands SET patient_id = NULL WHERE sequence IS NULL AND purpose = 'therapy'")).toThrow(/CHECK constraint/u);
    } finally {
      db.close();
    }
  });
});
