/**
 * WAL checkpoints on their own connection in their own thread. With synchronous=FULL a
 * checkpoint copies the WAL into the database file and syncs it; run by SQLite's automatic
 * checkpoint, that happens inside whichever commit crosses the threshold, on the gateway's event
 * loop, stalling every device behind it. Here a worker runs PASSIVE checkpoints every
 * `intervalMs` (they never block the writer), and the writer's automatic checkpoint stays as a
 * safety net at a much larger threshold, should the worker ever stop.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from './database.js';

/** Automatic checkpoint threshold of the writer while the worker runs, in pages (~64 MiB). */
export const SAFETY_NET_PAGES = 16_384;

// An eval worker (CommonJS), so the same code runs from TypeScript sources in tests and from dist.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ done: true, log: row.log, checkpointed: row.checkpointed });
  } catch (error) { parentPort.postMessage({ error: String(error && error.code || error) }); }
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.postMessage({ stopped: true }); });
`;

/** A running checkpoint worker. */
export class Checkpointer {
  readonly #worker: Worker;
  #checkpoints = 0;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  /** Checkpoints the worker completed so far. */
  get checkpoints(): number {
    return this.#checkpoints;
  }

  /**
   * Starts checkpointing the database at `path` every `intervalMs`. After each of the worker's
   * checkpoints the writer `db` runs a PASSIVE one itself: only the few frames written meanwhile
   * are left to copy, and a checkpoint that completes on the writer's own connection lets its
   * next transaction restart the WAL from the beginning, so the file stays small.
   */
  static start(path: string, db: Database, intervalMs = 500, onError: (code: string) => void = () => undefined): Checkpointer {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, intervalMs, driver } });
    const checkpointer = new Checkpointer(worker);
    worker.on('message', (message: { error?: string; done?: boolean }) => {
      if (message.error !== undefined) onError(message.error);
      if (message.done === true) checkpointer.#checkpoints += 1;
      if (message.done === true && db.open) {
        try {
          db.pragma('wal_checkpoint(PASSIVE)');
        } catch (error) {
          onError(String((error as { code?: string }).code ?? error));
        }
      }
    });
    worker.on('error', (error) => onError(String(error)));
    worker.unref();
    return checkpointer;
  }

  /** Stops the worker (after its current checkpoint) and closes its connection. */
  async stop(): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      this.#worker.once('message', () => resolve());
      this.#worker.once('exit', () => resolve());
    });
    this.#worker.postMessage('stop');
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 2000))]);
    await this.#worker.terminate();
  }
}
