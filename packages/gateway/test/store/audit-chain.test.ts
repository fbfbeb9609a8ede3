import { describe, expect, it } from 'vitest';
import { AuditStream, createLogger } from '@medsim/logging';
import { join } from 'node:path';
import { exportAuditLog, openDatabase, queryAuditLog, verifyAuditChain } from '../../src/index.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { LogCapture, tempDataDir } from '../fixtures.js';

function auditedStore(entries = 10) {
  const dir = tempDataDir();
  const db = openDatabase(join(dir.path, 'gateway.db'));
  const audit = new AuditStream(createLogger({ level: 'info', destination: new LogCapture() }));
  audit.addSink(new AuditLog(db));
  for (let i = 0; i < entries; i += 1) {
    audit.record({ event: 'auth.login', outcome: i % 3 === 0 ? 'failure' : 'success', severity: 'info', actor: `user-${i}`, role: 'clinician', source: '127.0.0.1' });
  }
  return { db, audit, cleanup: () => (db.close(), dir.cleanup()) };
}

describe('hash-chained audit trail (CTL-14)', () => {
  it('[CTL-14] an untouched chain verifies and names its head', { tags: ['CTL-14'] }, () => {
    const { db, cleanup } = auditedStore();
    const result = verifyAuditChain(db);
    expect(result).toMatchObject({ ok: true, entries: 10, head: { seq: 10 } });
    expect(result.head?.hash).toMatch(/^[0-9a-f]{64}$/u);
    cleanup();
  });

  it('[CTL-14] detects an edited entry', { tags: ['CTL-14'] }, () => {
    const { db, cleanup } = auditedStore();
    db.prepare("UPDATE audit_log SET outcome = 'success' WHERE seq = 4").run();
    expect(verifyAuditChain(db)).toMatchObject({ ok: false, firstBad: { seq: 4, reason: 'hash' } });
    cleanup();
  });

  it('[CTL-14] detects an edited entry whose hash was recomputed by the editor (the next link breaks)', { tags: ['CTL-14'] }, () => {
    const { db, cleanup } = auditedStore();
    db.prepare("UPDATE audit_log SET actor = 'someone-else', hash = zeroblob(32) WHERE seq = 5").run();
    const result = verifyAuditChain(db);
    expect(result.ok).toBe(false);
    expect(result.firstBad?.seq).toBe(5);
    cleanup();
  });

  it('[CTL-14] detects a deleted entry', { tags: ['CTL-14'] }, () => {
    const { db, cleanup } = auditedStore();
    db.prepare('DELETE FROM audit_log WHERE seq = 6').run();
    expect(verifyAuditChain(db)).toMatchObject({ ok: false, firstBad: { seq: 7, reason: 'gap' } });
    cleanup();
  });

  it('[CTL-14] detects reordered entries', { tags: ['CTL-14'] }, () => {
    const { db, cleanup } = auditedStore();
    db.transaction(() => {
      db.prepare('UPDATE audit_log SET seq = -1 WHERE seq = 2').run();
      db.prepare('UPDATE audit_log SET seq = 2 WHERE seq = 3').run();
      db.prepare('UPDATE audit_log SET seq = 3 WHERE seq = -1').run();
    })();
    expect(verifyAuditChain(db)).toMatchObject({ ok: false, firstBad: { seq: 2 } });
    cleanup();
  });

  it('[CTL-14] exports JSON lines in order and filters queries', { tags: ['CTL-14'] }, () => {
    const { db, cleanup } = auditedStore(5);
    const lines = [...exportAuditLog(db)].map((line) => JSON.parse(line) as { seq: number; actor: string; hash: string; prevHash: string });
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(lines[1]?.prevHash).toBe(lines[0]?.hash);
    expect(queryAuditLog(db, { actor: 'user-3' }).map((e) => e.seq)).toEqual([4]);
    expect(queryAuditLog(db, { afterSeq: 3, limit: 1 }).map((e) => e.seq)).toEqual([4]);
    cleanup();
  });
});
