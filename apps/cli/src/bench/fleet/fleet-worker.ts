/**
 * A share of the benchmark fleet in its own worker thread (its own event loop, V8 heap and CPU
 * clock) or its own child process (`--processes`: also its own resident memory and its own
 * file-descriptor limit, which 10,000 devices need: each holds its flash file and its socket, and
 * this machine allows 20,000 descriptors per process). Devices enrol through the main thread, which
 * forwards each request to the gateway process: the device's keystore made the CSR, so the request
 * goes out and the certificate comes back, one message each way, matched by id.
 *
 * The same file serves both: as a worker thread it talks over `parentPort` and gets its data as
 * `workerData`; forked, it talks over the IPC channel and gets its data as the first argument (JSON).
 */
import type { DeviceEnrolment, FleetSpec, Provisioner } from '@medsim/devices';
import { parentPort, workerData } from 'node:worker_threads';
import { FleetHost, type HostSample } from './fleet-host.js';

/** What the worker is given. */
export interface FleetWorkerData {
  readonly spec: FleetSpec;
  readonly dataDir: string;
  readonly mqttPort: number;
  readonly concurrency: number;
}

/** Messages from the main thread. */
export type FleetWorkerRequest =
  | { readonly type: 'start' }
  | { readonly type: 'sample' }
  | { readonly type: 'stop' }
  | { readonly type: 'enrolled'; readonly id: number; readonly answer: DeviceEnrolment }
  | { readonly type: 'enrol-failed'; readonly id: number; readonly message: string };

/** Messages to the main thread. */
export type FleetWorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'enrol'; readonly id: number; readonly request: Parameters<Provisioner>[0] }
  | { readonly type: 'started'; readonly seconds: number }
  | { readonly type: 'sample'; readonly sample: HostSample }
  | { readonly type: 'stopped' }
  | { readonly type: 'failed'; readonly message: string };

/** The parent, whichever kind of worker this is. */
interface Channel {
  send(reply: FleetWorkerReply): void;
  onMessage(listener: (message: FleetWorkerRequest) => void): void;
}

function channel(): { channel: Channel; data: FleetWorkerData } {
  if (parentPort !== null) {
    const port = parentPort;
    return { channel: { send: (reply) => port.postMessage(reply), onMessage: (listener) => port.on('message', listener) }, data: workerData as FleetWorkerData };
  }
  if (process.send === undefined) throw new Error('fleet-worker.js runs as a worker thread or a forked child process');
  // The parent went away (killed, crashed): do not linger with thousands of sockets open.
  process.once('disconnect', () => process.exit(0));
  return {
    channel: { send: (reply) => void process.send?.(reply), onMessage: (listener) => process.on('message', listener) },
    data: JSON.parse(process.argv[2] ?? '') as FleetWorkerData,
  };
}

const { channel: parent, data } = channel();
const send = (reply: FleetWorkerReply): void => parent.send(reply);

const pending = new Map<number, { resolve: (answer: DeviceEnrolment) => void; reject: (error: Error) => void }>();
let nextId = 0;
const provisioner: Provisioner = (request) =>
  new Promise((resolve, reject) => {
    nextId += 1;
    pending.set(nextId, { resolve, reject });
    send({ type: 'enrol', id: nextId, request });
  });

const host = new FleetHost({ spec: data.spec, dataDir: data.dataDir, mqttPort: data.mqttPort, concurrency: data.concurrency, provisioner });

parent.onMessage((message) => {
  switch (message.type) {
    case 'enrolled':
    case 'enrol-failed': {
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.type === 'enrolled') waiting?.resolve(message.answer);
      else waiting?.reject(new Error(`enrolment refused: ${message.message}`));
      break;
    }
    case 'start':
      host.start().then(
        (seconds) => send({ type: 'started', seconds }),
        (error: unknown) => send({ type: 'failed', message: (error as Error).message }),
      );
      break;
    case 'sample':
      send({ type: 'sample', sample: host.sample() });
      break;
    case 'stop':
      host.stop().then(
        () => send({ type: 'stopped' }),
        (error: unknown) => send({ type: 'failed', message: (error as Error).message }),
      );
      break;
  }
});

send({ type: 'ready' });
