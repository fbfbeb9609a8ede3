/**
 * The device's side of the gateway's update endpoint (the delivery listener, mutual TLS with the
 * device certificate): GET /v1/firmware/director/{deviceId}?nonce= for the current instruction
 * (200 `{ "instruction": "<compact JWS>" }`, 204 when there is none) and POST
 * /v1/firmware/director/{deviceId}/report for progress and outcomes. Bodies are capped and every
 * request has a deadline: a slow or hostile endpoint costs the device a failed check, no more.
 */
import { request, type Agent, type RequestOptions } from 'node:https';
import type { SecureContext } from 'node:tls';
import { LinkDownError } from '../errors.js';
import type { DirectorChannel, UpdateReport } from './update-agent.js';

/** Limits of the channel. */
export const DIRECTOR_CHANNEL_LIMITS = {
  /** Largest response body read: 16 KiB (an instruction is at most 8 KiB). */
  maxResponseBytes: 16 * 1024,
  /** Deadline of one request: 15 s. */
  timeoutMs: 15_000,
} as const;

/** Where the endpoint is and how to reach it. */
export interface HttpDirectorChannelOptions {
  readonly deviceId: string;
  readonly host: string;
  readonly port: number;
  /** The device's TLS context (its certificate and key, the gateway CA): from its keystore. */
  readonly secureContext: SecureContext;
  /** Connection pooling (default: Node's global agent). */
  readonly agent?: Agent;
  /** Name the gateway's certificate is checked against (default 'localhost'). */
  readonly servername?: string;
}

/** The director over HTTPS (see the file comment). */
export class HttpDirectorChannel implements DirectorChannel {
  readonly #o: HttpDirectorChannelOptions;

  constructor(options: HttpDirectorChannelOptions) {
    this.#o = options;
  }

  async instruction(checkNonce: string): Promise<string | undefined> {
    const { status, body } = await this.#send('GET', `/v1/firmware/director/${this.#o.deviceId}?nonce=${encodeURIComponent(checkNonce)}`);
    if (status === 204) return undefined;
    if (status !== 200) throw new LinkDownError(`the update endpoint answered ${status}`, { details: { status } });
    const parsed = JSON.parse(body.toString('utf8')) as { instruction?: unknown };
    if (typeof parsed.instruction !== 'string') throw new LinkDownError('the update endpoint sent no instruction');
    return parsed.instruction;
  }

  async report(report: UpdateReport): Promise<void> {
    const { status } = await this.#send('POST', `/v1/firmware/director/${this.#o.deviceId}/report`, Buffer.from(JSON.stringify(report)));
    if (status !== 204 && status !== 200) throw new LinkDownError(`the update endpoint refused the report (${status})`, { details: { status } });
  }

  #send(method: 'GET' | 'POST', path: string, body?: Buffer): Promise<{ status: number; body: Buffer }> {
    // tls.connect() takes a ready secure context; https passes it through (not in RequestOptions' type).
    const options: RequestOptions & { secureContext: SecureContext } = {
      host: this.#o.host,
      port: this.#o.port,
      method,
      path,
      secureContext: this.#o.secureContext,
      // rejectUnauthorized stays at its default (true), as the fetcher's: options that differ would
      // give the two their own connection pools in the shared agent.
      servername: this.#o.servername ?? 'localhost',
      timeout: DIRECTOR_CHANNEL_LIMITS.timeoutMs,
      ...(this.#o.agent === undefined ? {} : { agent: this.#o.agent }),
      headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': body.length },
    };
    return new Promise((resolve, reject) => {
      const req = request(options, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > DIRECTOR_CHANNEL_LIMITS.maxResponseBytes) {
            response.destroy();
            reject(new LinkDownError('the update endpoint sent too much'));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
        response.on('error', (error) => reject(new LinkDownError('the update endpoint connection failed', { cause: error })));
      });
      req.on('timeout', () => req.destroy(new LinkDownError('the update endpoint did not answer in time')));
      req.on('error', (error) => reject(error instanceof LinkDownError ? error : new LinkDownError('the update endpoint is unreachable', { cause: error })));
      req.end(body);
    });
  }
}
