import { describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { openDatabase } from '../../src/index.js';
import { Checkpointer, SAFETY_NET_PAGES } from '../../src/store/checkpointer.js';
import { tempDataDir } from '../fixtures.js';

describe('WAL checkpoints off the event loop', () => {
  it('[CTL-16] keep the WAL bounded while the writer commits continuously, without losing a row', { tags: ['CTL-16'] }, async () => {
    const dir = tempDataDir();
    const path = join(dir.path, 'gateway.db');
    const db = openDatabase(path);
    db.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
    db.exec('CREATE TABLE load (n INTEGER PRIMARY KEY, payload BLOB NOT NULL)');
    const errors: string[] = [];
    const checkpointer = Checkpointer.start(path, db, 100, (code) => errors.push(code));
    const insert = db.prepare('INSERT INTO load (n, payload) VALUES (?, ?)');
    const payload = Buffer.alloc(400, 7);
    let n = 0;
    const commit = db.transaction(() => {
      for (let i = 0; i < 200; i += 1) insert.run((n += 1), payload);
    });
    const written = () => n * 400;
    let largestWal = 0;
    const deadline = Date.now() + 2500;
    while (Date.now() < deadline) {
      commit();
      largestWal = Math.max(largestWal, statSync(`${path}-wal`).size);
      await turn();
    }
    await checkpointer.stop();
    // Far below what was written, and far below the writer's own safety-net threshold.
    expect(written()).toBeGreaterThan(8 * 1024 * 1024);
    expect(largestWal).toBeLessThan(written() / 2);
    expect(largestWal).toBeLessThan((SAFETY_NET_PAGES * 4096) / 2);
    expect(errors).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare('SELECT count(*) AS rows FROM load').get()).toEqual({ rows: n });
    db.close();
    dir.cleanup();
  });
});
