/**
 * One benchmark path in its own worker thread, that is its own V8 isolate: the JIT state of one
 * path (inline caches in node's crypto internals, deoptimizations) can never slow another, as it
 * measurably does when all paths share an isolate. The main thread asks for turns of N ms.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { opsPerSecond } from './measure.js';
import { createParties, handshakeOperation, operationFor, type PathName } from './paths.js';

/** What the main thread starts a worker with. */
export interface PathWorkerData {
  readonly path: PathName | 'handshake';
  readonly bytes: number;
}

const { path, bytes } = workerData as PathWorkerData;
const parties = await createParties();
const operation = path === 'handshake' ? handshakeOperation(parties) : operationFor(path, parties, bytes);
await opsPerSecond(operation, 100); // warm up the JIT before the first measured turn
parentPort!.on('message', (turnMs: number) => {
  void opsPerSecond(operation, turnMs).then((rate) => parentPort!.postMessage(rate));
});
parentPort!.postMessage('ready');
