/**
 * The parent's side of gateway-process.ts: forks it, waits until it listens, and turns its IPC
 * messages into promises (enrolment answers and samples are matched by request id).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DeviceEnrolment } from '@medsim/devices';
import type { EnrolmentRequest, GatewayProcessReply, GatewayProcessRequest, GatewaySample } from './gateway-process.js';

/** 60 s: a gateway that has not opened its database and listeners by then is not coming. */
const READY_TIMEOUT_MS = 60_000;

/** The gateway process of the fleet benchmark. */
export class GatewayChild {
  readonly mqttPort: number;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (reply: GatewayProcessReply) => void; reject: (error: Error) => void }>();
  #nextId = 0;
  #exited: Error | undefined;
  #onStopped: (() => void) | undefined;

  private constructor(child: ChildProcess, mqttPort: number) {
    this.#child = child;
    this.mqttPort = mqttPort;
    child.on('message', (reply: GatewayProcessReply) => {
      if (reply.type === 'stopped') this.#onStopped?.();
      if (!('id' in reply)) return;
      const waiting = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      waiting?.resolve(reply);
    });
    child.once('exit', (code, signal) => {
      this.#exited = new Error(`the gateway process exited (${signal ?? `code ${code}`})`);
      for (const waiting of this.#pending.values()) waiting.reject(this.#exited);
      this.#pending.clear();
      this.#onStopped?.();
    });
  }

  /** Forks the gateway process; resolves when it listens. */
  static async start(): Promise<GatewayChild> {
    // Advanced (structured-clone) serialisation: enrolment answers carry nested JWK objects.
    const child = fork(fileURLToPath(new URL('./gateway-process.js', import.meta.url)), [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const mqttPort = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the gateway process did not start in 60 s')), READY_TIMEOUT_MS);
      child.once('message', (reply: GatewayProcessReply) => {
        clearTimeout(timer);
        if (reply.type === 'ready') resolve(reply.mqttPort);
        else reject(new Error(`the gateway process said ${reply.type} before ready`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the gateway process exited before listening (code ${code})`));
      });
    });
    return new GatewayChild(child, mqttPort);
  }

  #request(message: (id: number) => GatewayProcessRequest): Promise<GatewayProcessReply> {
    if (this.#exited !== undefined) return Promise.reject(this.#exited);
    this.#nextId += 1;
    const id = this.#nextId;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send(message(id));
    });
  }

  /** Enrols one device with its own CSR and identity (what POST /v1/devices/enrol does). */
  async enrol(request: EnrolmentRequest): Promise<DeviceEnrolment> {
    const reply = await this.#request((id) => ({ type: 'enrol', id, request }));
    if (reply.type === 'enrolled') return reply.answer;
    throw new Error(`enrolment refused: ${reply.type === 'enrol-failed' ? reply.message : reply.type}`);
  }

  /** The gateway's ingest counters, CPU and RSS now. */
  async sample(): Promise<GatewaySample> {
    const reply = await this.#request((id) => ({ type: 'sample', id }));
    if (reply.type !== 'sample') throw new Error(`the gateway process answered ${reply.type} to a sample`);
    return reply.sample;
  }

  /** Closes the gateway (it removes its data directory) and ends the process. */
  async stop(): Promise<void> {
    if (this.#exited !== undefined) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    await new Promise<void>((resolve) => {
      this.#onStopped = resolve;
      this.#child.send({ type: 'stop' } satisfies GatewayProcessRequest);
      // A gateway that does not close in 20 s is killed (its temp directory may stay behind).
      setTimeout(resolve, 20_000).unref();
    });
    if (this.#child.connected) this.#child.disconnect();
    const killer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }
}
