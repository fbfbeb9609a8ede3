/**
 * The benchmark's subscriber in its own thread, so that reading the stream never competes with
 * the load generator for one event loop: it follows the gateway's live stream (WSS) or
 * Mosquitto, and posts each received message's key with its receipt time (ms since the
 * process's time origin, comparable across threads) in batches every 20 ms.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { openReadingStream, type StreamLogin } from './stream-client.js';
import { LeanMqttClient } from './lean-client.js';
import { MOSQUITTO, TOPIC_ROOT, gatewayKey, mosquittoKey } from './keys.js';

/** What the subscriber follows. */
export type SubscriberTarget = { readonly kind: 'gateway'; readonly login: StreamLogin } | { readonly kind: 'mosquitto' };

/** A batch of receipts: keys and absolute times (performance.timeOrigin + now). */
export interface ReceiptBatch {
  readonly type: 'receipts';
  readonly keys: string[];
  readonly times: number[];
}

const port = parentPort!;
const target = workerData as SubscriberTarget;
let keys: string[] = [];
let times: number[] = [];
const receive = (key: string): void => {
  keys.push(key);
  times.push(performance.timeOrigin + performance.now());
};
const flush = setInterval(() => {
  if (keys.length === 0) return;
  port.postMessage({ type: 'receipts', keys, times } satisfies ReceiptBatch);
  keys = [];
  times = [];
}, 20);

let close: () => Promise<void>;
if (target.kind === 'gateway') {
  const stream = await openReadingStream(target.login, (reading) => receive(gatewayKey(reading.deviceId, reading.measuredAt)));
  stream.socket.once('close', (code, reason) => port.postMessage({ type: 'closed', reason: `${code} ${reason.toString()}` }));
  close = () => stream.close();
} else {
  const subscriber = await LeanMqttClient.connect({ ...MOSQUITTO, clientId: `medsim-bench-sub-${process.pid}` });
  // QoS 0 to the subscriber, like the gateway's WebSocket (no per-message acknowledgement):
  // at QoS 1 Mosquitto's 20-message inflight window to one subscriber would drop messages.
  await subscriber.subscribe(`${TOPIC_ROOT}/+`, 0, (topic, payload) => receive(mosquittoKey(topic, payload)));
  close = () => subscriber.close();
}
port.on('message', (message: string) => {
  if (message !== 'stop') return;
  void close().then(() => {
    clearInterval(flush);
    port.postMessage({ type: 'stopped' });
  });
});
port.postMessage({ type: 'ready' });
