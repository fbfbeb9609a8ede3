/**
 * The parent's side of gateway-process.ts: forks it, waits until it listens (its `ready` carries
 * the ports, the CA, the online keys' public halves and the operators), and turns its IPC replies
 * into promises, matched by request id.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DeviceEnrolment } from '@medsim/devices';
import type { CampaignDeviceView, CampaignView, EnrolmentRequest, RolloutGatewayInfo, RolloutGatewayReply, RolloutGatewayRequest } from './gateway-process.js';

/** 60 s: a gateway that has not opened its database and listeners by then is not coming. */
const READY_TIMEOUT_MS = 60_000;
/** 20 s for a clean close, then 5 s more before SIGKILL. */
const STOP_TIMEOUT_MS = 20_000;
const KILL_AFTER_MS = 5_000;

type Request = Exclude<RolloutGatewayRequest, { type: 'stop' }>;
type Reply<T extends RolloutGatewayReply['type']> = Extract<RolloutGatewayReply, { type: T }>;

/** The gateway process of the rollout benchmark. */
export class RolloutGatewayChild {
  readonly info: RolloutGatewayInfo;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (reply: RolloutGatewayReply) => void; reject: (error: Error) => void }>();
  #nextId = 0;
  #exited: Error | undefined;
  #onStopped: (() => void) | undefined;

  private constructor(child: ChildProcess, info: RolloutGatewayInfo) {
    this.#child = child;
    this.info = info;
    child.on('message', (reply: RolloutGatewayReply) => {
      if (reply.type === 'stopped') this.#onStopped?.();
      if (!('id' in reply)) return;
      const waiting = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.type === 'failed') waiting?.reject(new Error(reply.message));
      else waiting?.resolve(reply);
    });
    child.once('exit', (code, signal) => {
      this.#exited = new Error(`the gateway process exited (${signal ?? `code ${code}`})`);
      for (const waiting of this.#pending.values()) waiting.reject(this.#exited);
      this.#pending.clear();
      this.#onStopped?.();
    });
  }

  /** Forks the gateway process; resolves when it listens. */
  static async start(): Promise<RolloutGatewayChild> {
    // Advanced (structured-clone) serialisation: enrolment answers carry nested JWK objects.
    const child = fork(fileURLToPath(new URL('./gateway-process.js', import.meta.url)), [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const info = await new Promise<RolloutGatewayInfo>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('the gateway process did not start in 60 s'));
      }, READY_TIMEOUT_MS);
      child.once('message', (reply: RolloutGatewayReply) => {
        clearTimeout(timer);
        if (reply.type === 'ready') resolve(reply.info);
        else reject(new Error(`the gateway process said ${reply.type} before ready`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the gateway process exited before listening (code ${code})`));
      });
    });
    return new RolloutGatewayChild(child, info);
  }

  #request<T extends Request['type']>(type: T, message: Omit<Extract<Request, { type: T }>, 'id' | 'type'>): Promise<Reply<T>> {
    if (this.#exited !== undefined) return Promise.reject(this.#exited);
    this.#nextId += 1;
    const id = this.#nextId;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (reply: RolloutGatewayReply) => void, reject });
      this.#child.send({ ...message, type, id });
    });
  }

  /** Enrols one device with its own CSR and identity (what POST /v1/devices/enrol does). */
  async enrol(request: EnrolmentRequest): Promise<DeviceEnrolment> {
    return (await this.#request('enrol', { request })).answer;
  }

  /** A campaign's status and current stage. */
  async campaign(campaignId: string): Promise<CampaignView> {
    return (await this.#request('campaign', { campaignId })).campaign;
  }

  /** The devices of a campaign, with the stage each was first offered the update in. */
  async campaignDevices(campaignId: string): Promise<readonly CampaignDeviceView[]> {
    return (await this.#request('campaign-devices', { campaignId })).devices;
  }

  /** CPU seconds (user + system) and RSS of the gateway process now. */
  async sample(): Promise<{ cpuSeconds: number; rssBytes: number }> {
    const { cpuSeconds, rssBytes } = await this.#request('sample', {});
    return { cpuSeconds, rssBytes };
  }

  /** Closes the gateway (it removes its data directory) and ends the process. */
  async stop(): Promise<void> {
    if (this.#exited !== undefined) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    await new Promise<void>((resolve) => {
      this.#onStopped = resolve;
      this.#child.send({ type: 'stop' } satisfies RolloutGatewayRequest);
      // A gateway that does not close in time is killed (its temp directory may stay behind).
      setTimeout(resolve, STOP_TIMEOUT_MS).unref();
    });
    if (this.#child.connected) this.#child.disconnect();
    const killer = setTimeout(() => this.#child.kill('SIGKILL'), KILL_AFTER_MS);
    await exited;
    clearTimeout(killer);
  }
}
