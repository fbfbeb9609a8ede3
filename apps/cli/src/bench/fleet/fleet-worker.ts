/**
 * A share of the benchmark fleet in its own worker thread (its own event loop, V8 heap and CPU
 * clock). Devices enrol through the main thread, which forwards each request to the gateway
 * process: the device's keystore made the CSR, so the request goes out and the certificate comes
 * back, one message each way, matched by id.
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

const port = parentPort!;
const data = workerData as FleetWorkerData;
const send = (reply: FleetWorkerReply): void => port.postMessage(reply);

const pending = new Map<number, { resolve: (answer: DeviceEnrolment) => void; reject: (error: Error) => void }>();
let nextId = 0;
const provisioner: Provisioner = (request) =>
  new Promise((resolve, reject) => {
    nextId += 1;
    pending.set(nextId, { resolve, reject });
    send({ type: 'enrol', id: nextId, request });
  });

const host = new FleetHost({ spec: data.spec, dataDir: data.dataDir, mqttPort: data.mqttPort, concurrency: data.concurrency, provisioner });

port.on('message', (message: FleetWorkerRequest) => {
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
