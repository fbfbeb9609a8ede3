/**
 * Update delivery for devices (issue 5, "Gateway side"; CTL-05, CTL-06, CTL-12, CTL-16): its own
 * HTTPS listener (`firmware.port`) with mutual TLS, apart from the people's API, speaking only
 * to enrolled devices. Routes:
 *
 *   GET  /v1/firmware/repository/metadata/{name}     TUF metadata (404 ends a root rotation)
 *   GET  /v1/firmware/repository/targets/{path}      an image, `<model>/<sha256>.<name>.bin`
 *   GET  /v1/firmware/director/{deviceId}[?nonce=]   the device's signed instruction, 204 if none
 *   POST /v1/firmware/director/{deviceId}/report     the device's progress and outcome
 *
 * Who may connect, in order: the listener's connection cap (`firmware.maxConnections`, excess
 * sockets are dropped before TLS); TLS 1.3, or 1.2 with AEAD suites only, within
 * `firmware.connectTimeoutMs`, with a client certificate from the gateway's CA (a missing or
 * foreign one fails the handshake); the certificate's device enrolled and not revoked (checked
 * at connection and again on every request; a revocation closes the device's connections); at
 * most `firmware.maxConnectionsPerDevice` connections per device. Then every request counts
 * against the device's `firmware.requestsPerMinute`, and the director routes answer only for the
 * device the certificate names (403 otherwise). Refusals are audited; connections are closed
 * without explanation (no oracle), requests answered `{ code, message }`.
 *
 * Files are served with ETag (the SHA-256) and single Range requests (byte-range.ts), so an
 * interrupted download resumes where it stopped; images stream from disk, metadata (at most
 * 5 MB) is read whole.
 */
import type { AuditStream } from '@medsim/logging';
import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/config.js';
import type { TlsMaterial } from '../context.js';
import { deviceListenerTls } from '../pki/device-tls.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import { FirmwareNotFoundError, FirmwareRangeError, FirmwareRateLimitedError, FirmwareReportInvalidError, FirmwareTooLargeError, GatewayError } from '../errors.js';
import { RateLimiter } from '../limits/rate-limit.js';
import { deviceUri } from '../pki/local-ca.js';
import { problemOf } from '../user-plane/http-errors.js';
import type { BlobStore } from './blob-store.js';
import { parseByteRange } from './byte-range.js';
import type { Campaigns } from './campaigns.js';
import { parseDeviceReport } from './device-report.js';
import type { Director } from './director.js';
import type { FirmwareStore } from './firmware-store.js';
import { parseMetadataName, parseTargetFileName } from './repository-names.js';

/** Options of DeliveryServer. */
export interface DeliveryServerOptions {
  readonly config: GatewayConfig;
  readonly tls: TlsMaterial;
  readonly devices: DeviceRegistry;
  readonly audit: AuditStream;
  readonly logger: Logger;
  readonly now: () => number;
  readonly store: FirmwareStore;
  readonly blobs: BlobStore;
  readonly director: Director;
  readonly campaigns: Campaigns;
}

/** The device a connection's certificate names. */
interface Peer {
  readonly deviceId: string;
  readonly serial: string;
  readonly source: string;
}

/** A file to send. */
interface ServedFile {
  readonly sha256: string;
  readonly length: number;
  readonly contentType: string;
  /** Metadata is read whole; images stream. */
  readonly whole: boolean;
}

const PREFIX = '/v1/firmware/';
const NONCE = /^[A-Za-z0-9_-]{22}$/u;
const DEVICE_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/u;

/** The device id a client certificate names: its URI SAN, which must agree with its CN. */
function deviceIdOf(cert: X509Certificate): string | undefined {
  const cn = /(?:^|\n)CN=([^\n]+)/u.exec(cert.subject)?.[1];
  if (cn === undefined) return undefined;
  return (cert.subjectAltName ?? '').split(', ').includes(`URI:${deviceUri(cn)}`) ? cn : undefined;
}

/** The mTLS HTTPS listener serving updates to devices. */
export class DeliveryServer {
  readonly server: Server;
  readonly #o: DeliveryServerOptions;
  readonly #log: Logger;
  readonly #peers = new WeakMap<Socket, Peer>();
  readonly #byDevice = new Map<string, Set<Socket>>();
  readonly #sockets = new Set<Socket>();
  readonly #requests: RateLimiter;
  readonly #onRevoked = (deviceId: string): void => {
    for (const socket of this.#byDevice.get(deviceId) ?? []) socket.destroy();
  };

  constructor(options: DeliveryServerOptions) {
    this.#o = options;
    const { config } = options;
    this.#log = options.logger.child({ component: 'firmware-delivery' });
    this.#requests = new RateLimiter(config['firmware.requestsPerMinute'], options.now);
    this.server = createServer(
      {
        ...deviceListenerTls(options.tls, config['firmware.connectTimeoutMs']),
        // 8 KiB of headers is plenty for these four routes.
        maxHeaderSize: 8192,
        // Node checks the header and request timeouts on this period (30 s by default): a slow
        // client is cut within a second of its deadline instead of up to 30 s after it.
        connectionsCheckingInterval: Math.min(1_000, config['firmware.connectTimeoutMs']),
        noDelay: true,
      },
      (request, response) => {
        this.#handle(request, response).catch((error: unknown) => this.#fail(response, error));
      },
    );
    this.server.maxConnections = config['firmware.maxConnections'];
    this.server.headersTimeout = config['firmware.connectTimeoutMs'];
    this.server.requestTimeout = 2 * config['firmware.connectTimeoutMs'];
    this.server.keepAliveTimeout = config['firmware.idleTimeoutMs'];
    this.server.timeout = config['firmware.idleTimeoutMs'];
    this.server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    this.server.on('drop', (data?: { remoteAddress?: string }) =>
      this.#audit('firmware.connection-limit', 'denied', 'medium', data?.remoteAddress ?? 'unknown', undefined, 'ERR_FIRMWARE_CONNECTION_LIMIT'),
    );
    this.server.on('tlsClientError', (error, socket) => {
      // As on the device plane (broker.ts): the reason is on the socket, and closing is ours.
      const reason = (socket as { authorizationError?: unknown }).authorizationError;
      this.#audit('firmware.tls-refused', 'denied', 'medium', socket.remoteAddress ?? 'unknown', undefined, typeof reason === 'string' ? reason : (error as { code?: string }).code);
      socket.destroy();
    });
    this.server.on('secureConnection', (socket: TLSSocket) => this.#admit(socket));
    options.devices.on('revoked', this.#onRevoked);
  }

  /** Starts listening; resolves with the bound port. */
  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and closes every connection, in TLS handshake or not. */
  async close(): Promise<void> {
    this.#o.devices.off('revoked', this.#onRevoked);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** After the handshake: the certificate's device must be enrolled, and under its connection cap. */
  #admit(socket: TLSSocket): void {
    const source = socket.remoteAddress ?? 'unknown';
    const cert = socket.getPeerX509Certificate();
    const deviceId = cert === undefined ? undefined : deviceIdOf(cert);
    const status = deviceId === undefined ? 'unknown' : this.#o.devices.certificateStatus(deviceId, cert!.serialNumber);
    if (status !== 'ok') {
      this.#audit('firmware.delivery-refused', 'denied', status === 'revoked' ? 'high' : 'medium', source, deviceId, status === 'revoked' ? 'ERR_DEVICE_REVOKED' : 'ERR_DEVICE_UNKNOWN');
      socket.destroy();
      return;
    }
    const open = this.#byDevice.get(deviceId!) ?? new Set<Socket>();
    if (open.size >= this.#o.config['firmware.maxConnectionsPerDevice']) {
      this.#audit('firmware.connection-limit', 'denied', 'medium', source, deviceId, 'ERR_FIRMWARE_CONNECTION_LIMIT');
      socket.destroy();
      return;
    }
    open.add(socket);
    this.#byDevice.set(deviceId!, open);
    socket.once('close', () => {
      open.delete(socket);
      if (open.size === 0 && this.#byDevice.get(deviceId!) === open) this.#byDevice.delete(deviceId!);
    });
    this.#peers.set(socket, { deviceId: deviceId!, serial: cert!.serialNumber, source });
  }

  /** One request: re-check the device, count it, route it. */
  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const peer = this.#peers.get(request.socket);
    if (peer === undefined || this.#o.devices.certificateStatus(peer.deviceId, peer.serial) !== 'ok') {
      if (peer !== undefined) this.#audit('firmware.delivery-refused', 'denied', 'high', peer.source, peer.deviceId, 'ERR_DEVICE_REVOKED');
      request.socket.destroy();
      return;
    }
    const decision = this.#requests.take(peer.deviceId);
    if (!decision.ok) {
      if (decision.first) this.#audit('firmware.rate-limited', 'denied', 'low', peer.source, peer.deviceId, 'ERR_FIRMWARE_RATE_LIMITED');
      throw new FirmwareRateLimitedError(decision.retryAfterS);
    }
    const url = request.url ?? '';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const query = queryAt === -1 ? '' : url.slice(queryAt + 1);
    const [area, kind, name, extra, ...rest] = path.startsWith(PREFIX) ? path.slice(PREFIX.length).split('/') : [];
    if (area === 'repository' && request.method === 'GET' && query === '' && name !== undefined) {
      const item = [name, extra, ...rest].filter((part) => part !== undefined).join('/');
      if (kind === 'metadata') return this.#sendFile(request, response, this.#metadataFile(item));
      if (kind === 'targets') return this.#sendFile(request, response, this.#targetFile(item));
    }
    if (area === 'director' && kind !== undefined && DEVICE_ID.test(kind) && rest.length === 0) {
      if (request.method === 'GET' && name === undefined) return this.#instruction(peer, kind, query, response);
      if (request.method === 'POST' && name === 'report' && extra === undefined && query === '') return this.#report(peer, kind, request, response);
    }
    throw new GatewayError('ERR_NOT_FOUND', 'no such route');
  }

  #metadataFile(name: string): ServedFile {
    const record = this.#exists(() => parseMetadataName(name)) ? this.#o.store.metadataRecord(name) : undefined;
    if (record === undefined) throw new FirmwareNotFoundError();
    return { sha256: record.sha256, length: record.length, contentType: 'application/json', whole: true };
  }

  #targetFile(filePath: string): ServedFile {
    const record = this.#exists(() => parseTargetFileName(filePath)) ? this.#o.store.targetByFile(filePath) : undefined;
    if (record === undefined) throw new FirmwareNotFoundError();
    return { sha256: record.sha256, length: record.length, contentType: 'application/octet-stream', whole: false };
  }

  /** Whether a name passes its pattern (a name that cannot exist is a 404 like any other). */
  #exists(parse: () => unknown): boolean {
    try {
      parse();
      return true;
    } catch {
      return false;
    }
  }

  /** 200 with the whole file, or 206 with the range asked (416 for a range not served). */
  async #sendFile(request: IncomingMessage, response: ServerResponse, file: ServedFile): Promise<void> {
    const etag = `"${file.sha256}"`;
    const ifRange = request.headers['if-range'];
    // If-Range with another validator: the file changed (timestamp.json), so the whole new one.
    const range = ifRange !== undefined && ifRange !== etag ? undefined : parseByteRange(request.headers.range, file.length);
    const { start, end } = range ?? { start: 0, end: file.length - 1 };
    response.statusCode = range === undefined ? 200 : 206;
    response.setHeader('content-type', file.contentType);
    response.setHeader('etag', etag);
    response.setHeader('accept-ranges', 'bytes');
    response.setHeader('cache-control', 'no-store');
    response.setHeader('content-length', String(end - start + 1));
    if (range !== undefined) response.setHeader('content-range', `bytes ${start}-${end}/${file.length}`);
    if (file.whole) {
      response.end((await this.#o.blobs.read(file.sha256)).subarray(start, end + 1));
      return;
    }
    try {
      await pipeline(this.#o.blobs.stream(file.sha256, start, end), response);
    } catch (error) {
      // Usually the device went away mid-download; it resumes with a Range request.
      this.#log.debug({ err: error }, 'image download ended early');
    }
  }

  /** GET /v1/firmware/director/{deviceId}: 200 `{ instruction }` or 204. */
  async #instruction(peer: Peer, deviceId: string, query: string, response: ServerResponse): Promise<void> {
    this.#ownDevice(peer, deviceId);
    const params = new URLSearchParams(query);
    const keys = [...params.keys()];
    const nonce = params.get('nonce') ?? undefined;
    if (keys.some((key) => key !== 'nonce') || keys.length > 1 || (nonce !== undefined && !NONCE.test(nonce))) {
      throw new GatewayError('ERR_BAD_REQUEST', 'the only query parameter is nonce, 22 base64url characters');
    }
    const jws = await this.#o.director.instructionFor(deviceId, nonce, peer.source);
    if (jws === undefined) {
      response.writeHead(204).end();
      return;
    }
    this.#json(response, 200, { instruction: jws });
  }

  /** POST /v1/firmware/director/{deviceId}/report: 204 once recorded. */
  async #report(peer: Peer, deviceId: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.#ownDevice(peer, deviceId);
    const refuse = (error: GatewayError): never => {
      this.#audit('firmware.report', 'denied', 'medium', peer.source, deviceId, error.code);
      throw error;
    };
    if (request.headers['content-type']?.split(';')[0]?.trim() !== 'application/json') refuse(new FirmwareReportInvalidError('a report is application/json'));
    let body: Buffer;
    try {
      body = await this.#readBody(request, this.#o.config['firmware.reportMaxBytes']);
    } catch (error) {
      return refuse(error as GatewayError);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    } catch {
      refuse(new FirmwareReportInvalidError('a report is UTF-8 JSON'));
    }
    let report;
    try {
      report = parseDeviceReport(parsed);
    } catch (error) {
      return refuse(error as GatewayError);
    }
    this.#o.campaigns.report(deviceId, report, peer.source);
    response.writeHead(204).end();
  }

  /** The director routes answer only for the certificate's own device. */
  #ownDevice(peer: Peer, deviceId: string): void {
    if (deviceId === peer.deviceId) return;
    this.#audit('access.denied', 'denied', 'high', peer.source, peer.deviceId, 'ERR_FORBIDDEN', `device/${deviceId}`);
    throw new GatewayError('ERR_FORBIDDEN', 'a device reads and reports its own updates only');
  }

  /** The request body, at most `limit` bytes (413 as soon as it is known to be more). */
  #readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
    const tooLarge = (): FirmwareTooLargeError => new FirmwareTooLargeError(`a report is at most ${limit} bytes`, { details: { limit } });
    if (Number(request.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > limit) {
          request.off('data', onData);
          reject(tooLarge());
          return;
        }
        chunks.push(chunk);
      };
      request.on('data', onData);
      request.once('end', () => resolve(Buffer.concat(chunks)));
      request.once('error', reject);
    });
  }

  #json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, type = 'application/json'): void {
    const text = JSON.stringify(body);
    response.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store', ...headers }).end(text);
  }

  /** Answers an error as `{ code, message }` (internals only in the log); a response under way is cut. */
  #fail(response: ServerResponse, error: unknown): void {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const problem = problemOf(error);
    if (problem.status >= 500) this.#log.error({ err: error }, 'update request failed');
    const headers: Record<string, string> = {};
    if (problem.retryAfterS !== undefined) headers['retry-after'] = String(problem.retryAfterS);
    if (error instanceof FirmwareRangeError) headers['content-range'] = `bytes */${error.length}`;
    // A body left unread (a refused report) is not drained: the connection closes after the answer.
    if (!response.req.complete) headers['connection'] = 'close';
    this.#json(response, problem.status, { code: problem.code, message: problem.message }, headers, 'application/problem+json');
  }

  /**
   * Records an audit event; a store that cannot take it (full disk, F7) must not throw out of a
   * socket callback, so the loss is logged instead (broker.ts does the same).
   */
  #audit(event: string, outcome: 'denied', severity: 'low' | 'medium' | 'high', source: string, deviceId: string | undefined, code: string | undefined, object?: string): void {
    const about = object ?? deviceId;
    try {
      this.#o.audit.record({
        event,
        outcome,
        severity,
        actor: deviceId ?? 'unknown-device',
        role: 'device',
        source,
        ...(about === undefined ? {} : { object: about }),
        ...(code === undefined ? {} : { code }),
      });
    } catch (error) {
      this.#log.error({ err: error, event, code, deviceId }, 'audit record lost');
    }
  }
}
