/**
 * FaultProxy: an in-process TCP proxy between a simulated device and the gateway's MQTT port that
 * gives the (TLS-encrypted, opaque) byte stream the conditions of a NetworkProfile, and injects
 * outages. It stands in for netem/tc, which this machine lacks (attacks-and-faults.md §5.1, F5).
 *
 * Each accepted connection opens one connection to the target, and each direction goes through
 * a LinkShaper (bandwidth, latency, jitter, loss as a TCP retransmission timeout, in order).
 * Memory is bounded: a direction stops reading its source while more than `maxQueuedBytes` wait
 * in its queue (at most one socket read, 64 KiB, above the bound), so the sender's TCP window
 * closes as it would behind a slow link.
 *
 * Outages:
 * - blackhole: nothing moves either way (no data, no FIN, no reset), connections stay open, and a
 *   new connection is accepted but not forwarded: only keepalives (MQTT 3.1.1 §3.1.2.10, PINGREQ)
 *   can tell. When it ends, what was queued is delivered, nothing lost.
 * - reset: every connection is reset (RST on both sides), new ones are refused for the duration.
 * - refuse: new connections are refused (ECONNREFUSED: the listener is closed and reopened on the
 *   same port), existing ones keep flowing.
 * A profile's random outages are blackholes (coverage holes, rain fade).
 *
 * On a public profile (NetworkProfile.public) the first bytes each way must be a TLS record
 * (RFC 8446 §5.1: content type 22 handshake or 21 alert, major version 3); anything else is reset
 * and reported, because nothing may cross a public network in clear (CTL-06).
 *
 * Not modelled: packet reordering, MTU and fragmentation, asymmetric routes and figures,
 * congestion control (the rate is fixed), the SYN handshake's delay.
 */
import { EventEmitter } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { componentLogger, silentLogger, type Logger } from '@medsim/logging';
import { InvalidNetworkOptionsError, NetworkListenFailedError, NetworkProxyStateError } from '../errors.js';
import { SeededRandom } from '../physiology/seeded-random.js';
import { LinkShaper } from './link-shaper.js';
import { validateNetworkProfile, type NetworkProfile } from './network-profile.js';

/** Default limits of a FaultProxy. */
export const FAULT_PROXY_LIMITS = {
  /** Connections open at once; one more is reset on accept. */
  maxConnections: 10_000,
  /** Bytes queued per direction of a connection before its source is paused: 1 MiB. */
  maxQueuedBytes: 1_048_576,
  /** Longest outage, ms: 24 h. */
  maxOutageMs: 86_400_000,
} as const;

/** How an outage breaks the link. */
export type OutageMode = 'blackhole' | 'reset' | 'refuse';

/** Options of FaultProxy.outage(). */
export interface OutageOptions {
  /** How long, ms (1 to 86,400,000). */
  readonly durationMs: number;
  readonly mode: OutageMode;
}

/** An outage as reported by the outage-start and outage-end events. */
export interface OutageInfo {
  readonly mode: OutageMode;
  readonly durationMs: number;
  /** True for an outage drawn from the profile's outage pattern. */
  readonly random: boolean;
}

/** The two directions of a proxied connection. */
export type ProxyDirection = 'client-to-target' | 'target-to-client';

/** An accepted connection, as reported by the connection event. */
export interface ProxyConnectionInfo {
  /** Sequence number of the connection in this proxy, from 1. */
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** A connection reset because its first bytes were not TLS on a public link. */
export interface CleartextRefusal {
  readonly id: number;
  readonly direction: ProxyDirection;
}

/** Events of a FaultProxy. */
export interface FaultProxyEvents {
  connection: [ProxyConnectionInfo];
  'outage-start': [OutageInfo];
  'outage-end': [OutageInfo];
  'cleartext-refused': [CleartextRefusal];
}

/** Options of new FaultProxy(). */
export interface FaultProxyOptions {
  /** Where accepted connections go (the gateway's MQTT port). */
  readonly target: { readonly host: string; readonly port: number };
  readonly profile: NetworkProfile;
  /**
   * Seed of jitter, loss and random outages (a safe integer, taken modulo 2^32, or a string): the
   * same seed and the same sequence of socket reads give the same delays.
   */
  readonly seed: number | string;
  /** Replaces the generator drawn from `seed` (e.g. a fork of the device's seeded generator); numbers in [0, 1). */
  readonly random?: () => number;
  /** pino logger; logs nothing without one. */
  readonly logger?: Logger;
  /** Connections open at once (1 to 1,000,000; default 10,000). */
  readonly maxConnections?: number;
  /** Bytes queued per direction of a connection before reading pauses (65,536 to 1 GiB; default 1 MiB). */
  readonly maxQueuedBytes?: number;
}

/** Counters of a FaultProxy since it was made. */
export interface FaultProxyStats {
  readonly connectionsAccepted: number;
  readonly connectionsActive: number;
  /** Reset on accept because maxConnections were open. */
  readonly connectionsRefused: number;
  /** Reset by the proxy: reset outages, propagated resets, cleartext on a public link. */
  readonly connectionsReset: number;
  /** Bytes delivered to the target. */
  readonly bytesClientToTarget: number;
  /** Bytes delivered to the client. */
  readonly bytesTargetToClient: number;
  /** Chunks (slices) that were held back before delivery. */
  readonly chunksDelayed: number;
  /** Simulated retransmissions (each cost an RTO). */
  readonly simulatedLosses: number;
  /** Outages started, explicit and random. */
  readonly outages: number;
  readonly cleartextRefused: number;
  /** Bytes queued now, all connections and directions (each direction is bounded by maxQueuedBytes + one 64 KiB read). */
  readonly queuedBytes: number;
}

type MutableStats = { -readonly [K in keyof Omit<FaultProxyStats, 'queuedBytes'>]: FaultProxyStats[K] };

interface ActiveOutage {
  readonly info: OutageInfo;
  timer: NodeJS.Timeout | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** What a connection needs from its proxy. */
interface ProxyContext {
  blackholed(): boolean;
  readonly maxQueuedBytes: number;
  readonly stats: MutableStats;
  readonly log: Logger;
  connectTarget(): Socket;
  cleartext(connection: Connection, direction: ProxyDirection): void;
  release(connection: Connection): void;
}

// RFC 8446 §5.1 ContentType: alert(21), handshake(22); ProtocolVersion major 3 (TLS 1.0-1.3).
const TLS_ALERT = 0x15;
const TLS_HANDSHAKE = 0x16;
const TLS_MAJOR = 0x03;

function looksLikeTls(chunk: Buffer, direction: ProxyDirection): boolean {
  const type = chunk[0];
  // A client must open with a ClientHello; a server may answer with an alert.
  const typeOk = type === TLS_HANDSHAKE || (direction === 'target-to-client' && type === TLS_ALERT);
  return typeOk && (chunk.length < 2 || chunk[1] === TLS_MAJOR);
}

/** Resets a socket (RST where the handle allows it), unless it is already gone. */
function resetSocket(socket: Socket | undefined): void {
  if (socket === undefined || socket.destroyed) return;
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

/** A promise settled once the socket has closed. */
function closed(socket: Socket | undefined): Promise<void> {
  if (socket === undefined || socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

type Entry = { readonly data: Buffer; readonly at: number } | { readonly data: null; readonly at: number };

/** One direction of a connection: its queue, its shaper, its timer. */
class Direction {
  readonly name: ProxyDirection;
  readonly shaper: LinkShaper;
  source: Socket | undefined;
  destination: Socket | undefined;
  /** True once the end of the stream was delivered. */
  done = false;
  readonly #context: ProxyContext;
  readonly #checkTls: boolean;
  #sawData = false;
  #queue: Entry[] = [];
  #head = 0;
  #queuedBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #waitingForDrain = false;
  #paused = false;
  readonly #onRejected: () => void;

  constructor(name: ProxyDirection, shaper: LinkShaper, context: ProxyContext, checkTls: boolean, onRejected: () => void) {
    this.name = name;
    this.shaper = shaper;
    this.#context = context;
    this.#checkTls = checkTls;
    this.#onRejected = onRejected;
  }

  /** Bytes waiting in the queue. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  data(chunk: Buffer): void {
    if (!this.#sawData) {
      this.#sawData = true;
      if (this.#checkTls && !looksLikeTls(chunk, this.name)) {
        this.#onRejected();
        return;
      }
    }
    const now = performance.now();
    const stats = this.#context.stats;
    for (const slice of this.shaper.schedule(chunk.length, now)) {
      this.#queue.push({ data: chunk.subarray(slice.offset, slice.offset + slice.length), at: slice.deliverAt });
      if (slice.deliverAt > now) stats.chunksDelayed += 1;
      stats.simulatedLosses += slice.retransmissions;
    }
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes > this.#context.maxQueuedBytes && !this.#paused) {
      this.#paused = true;
      this.source?.pause();
    }
    this.pump();
  }

  end(): void {
    this.#queue.push({ data: null, at: this.shaper.scheduleEnd(performance.now()) });
    this.pump();
  }

  /** Delivers what is due, then sleeps until the next entry is. */
  pump(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const destination = this.destination;
    if (this.#context.blackholed() || this.#waitingForDrain || destination === undefined || this.done || destination.destroyed) return;
    const now = performance.now();
    while (this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head]!;
      if (entry.at > now) {
        // Timers may fire early by up to a millisecond of loop-clock staleness; pump() re-checks.
        this.#timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(entry.at - now)));
        break;
      }
      this.#head += 1;
      if (entry.data === null) {
        this.done = true;
        destination.end();
        break;
      }
      this.#queuedBytes -= entry.data.length;
      if (this.name === 'client-to-target') this.#context.stats.bytesClientToTarget += entry.data.length;
      else this.#context.stats.bytesTargetToClient += entry.data.length;
      if (!destination.write(entry.data)) {
        this.#waitingForDrain = true;
        destination.once('drain', () => {
          this.#waitingForDrain = false;
          this.pump();
        });
        break;
      }
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= 1024) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    // Hysteresis: resume at half the bound, so reading does not flap on every chunk.
    if (this.#paused && this.#queuedBytes <= this.#context.maxQueuedBytes / 2) {
      this.#paused = false;
      this.source?.resume();
    }
  }

  /** Drops everything queued and stops the timer. */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
  }
}

/** One client connection and its connection to the target. */
class Connection {
  readonly id: number;
  readonly client: Socket;
  upstream: Socket | undefined;
  readonly up: Direction;
  readonly down: Direction;
  /** Torn down (reset or destroyed): no more forwarding. */
  finished = false;
  readonly #context: ProxyContext;
  #resetWhenHealed = false;
  #clientClosed = false;
  #upstreamClosed = false;
  #released = false;

  constructor(id: number, client: Socket, profile: NetworkProfile, random: () => number, context: ProxyContext) {
    this.id = id;
    this.client = client;
    this.#context = context;
    const checkTls = profile.public;
    this.up = new Direction('client-to-target', new LinkShaper(profile, random), context, checkTls, () => context.cleartext(this, 'client-to-target'));
    this.down = new Direction('target-to-client', new LinkShaper(profile, random), context, checkTls, () => context.cleartext(this, 'target-to-client'));
    this.up.source = client;
    this.down.destination = client;
    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => {
      if (!this.finished) this.up.data(chunk);
    });
    client.on('end', () => {
      if (!this.finished) this.up.end();
    });
    client.on('error', (error) => this.#failed('client', error));
    client.on('close', () => {
      this.#clientClosed = true;
      this.#closed('client');
    });
  }

  /** Opens the target connection, unless a blackhole holds it back (a SYN would be lost too). */
  start(): void {
    if (!this.#context.blackholed()) this.#openUpstream();
  }

  #openUpstream(): void {
    const upstream = this.#context.connectTarget();
    this.upstream = upstream;
    this.up.destination = upstream;
    this.down.source = upstream;
    upstream.setNoDelay(true);
    upstream.on('data', (chunk: Buffer) => {
      if (!this.finished) this.down.data(chunk);
    });
    upstream.on('end', () => {
      if (!this.finished) this.down.end();
    });
    upstream.on('error', (error) => this.#failed('target', error));
    upstream.on('close', () => {
      this.#upstreamClosed = true;
      this.#closed('target');
    });
    this.up.pump();
  }

  /** A blackhole ended: apply what it held back. */
  healed(): void {
    if (this.finished) return;
    if (this.#resetWhenHealed) {
      this.reset();
      return;
    }
    if (this.upstream === undefined) this.#openUpstream();
    this.up.pump();
    this.down.pump();
  }

  setProfile(profile: NetworkProfile): void {
    this.up.shaper.setProfile(profile);
    this.down.shaper.setProfile(profile);
  }

  /** Resets both sides (RST) and drops what is queued. */
  reset(): void {
    if (this.finished) return;
    this.finished = true;
    this.#context.stats.connectionsReset += 1;
    this.up.clear();
    this.down.clear();
    resetSocket(this.client);
    resetSocket(this.upstream);
    this.#maybeRelease();
  }

  /** Destroys both sides (close()) and settles once they have closed. */
  async destroy(): Promise<void> {
    this.finished = true;
    this.up.clear();
    this.down.clear();
    this.client.destroy();
    this.upstream?.destroy();
    await Promise.all([closed(this.client), closed(this.upstream)]);
  }

  #failed(side: 'client' | 'target', error: Error): void {
    if (this.finished) return;
    this.#context.log.debug({ connection: this.id, side, err: error }, 'socket error: resetting the other side');
    this.#propagateReset();
  }

  #propagateReset(): void {
    // A reset sent into a blackhole is lost: the other side learns at heal time, as TCP would
    // when its next segment is answered with RST.
    if (this.#context.blackholed()) this.#resetWhenHealed = true;
    else this.reset();
  }

  #closed(side: 'client' | 'target'): void {
    if (!this.finished) {
      // The direction toward the closed socket can deliver nothing more: like TCP answering data
      // for a closed socket with RST, the other side is reset.
      const toward = side === 'client' ? this.down : this.up;
      if (!toward.done) this.#propagateReset();
    }
    this.#maybeRelease();
  }

  #maybeRelease(): void {
    if (this.#released || !this.#clientClosed) return;
    if (this.upstream !== undefined && !this.#upstreamClosed) return;
    this.#released = true;
    this.up.clear();
    this.down.clear();
    this.#context.release(this);
  }
}

function invalidOption(message: string, field: string): never {
  throw new InvalidNetworkOptionsError(`fault proxy ${message}`, { details: { field } });
}

function integerOption(value: number | undefined, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) invalidOption(`${field} must be an integer in [${min}, ${max}]`, field);
  return value;
}

/** A TCP proxy that shapes a device's link to the gateway and injects outages (see the file comment). */
export class FaultProxy extends EventEmitter<FaultProxyEvents> {
  /** Where accepted connections go. */
  readonly target: { readonly host: string; readonly port: number };
  readonly maxConnections: number;
  readonly maxQueuedBytes: number;
  #profile: NetworkProfile;
  readonly #random: () => number;
  readonly #log: Logger;
  #state: 'new' | 'listening' | 'closed' = 'new';
  #server: Server | undefined;
  #host = '127.0.0.1';
  #port = 0;
  #reopening: Promise<void> | undefined;
  readonly #connections = new Set<Connection>();
  #nextId = 1;
  readonly #outages = new Set<ActiveOutage>();
  #randomOutageTimer: NodeJS.Timeout | undefined;
  readonly #stats: MutableStats = {
    connectionsAccepted: 0,
    connectionsActive: 0,
    connectionsRefused: 0,
    connectionsReset: 0,
    bytesClientToTarget: 0,
    bytesTargetToClient: 0,
    chunksDelayed: 0,
    simulatedLosses: 0,
    outages: 0,
    cleartextRefused: 0,
  };
  readonly #context: ProxyContext;

  /** An unstarted proxy; throws ERR_NETWORK_INVALID_OPTIONS or ERR_NETWORK_INVALID_PROFILE. */
  constructor(options: FaultProxyOptions) {
    super();
    const { target, seed } = options;
    if (typeof target?.host !== 'string' || target.host === '') invalidOption('target.host must be a host name or address', 'target.host');
    integerOption(target.port, 'target.port', 1, 65_535, 0);
    if (typeof seed !== 'string' && !Number.isSafeInteger(seed)) invalidOption('seed must be a safe integer or a string', 'seed');
    if (options.random !== undefined && typeof options.random !== 'function') invalidOption('random must be a function', 'random');
    this.target = { host: target.host, port: target.port };
    this.#profile = validateNetworkProfile(options.profile);
    this.maxConnections = integerOption(options.maxConnections, 'maxConnections', 1, 1_000_000, FAULT_PROXY_LIMITS.maxConnections);
    this.maxQueuedBytes = integerOption(options.maxQueuedBytes, 'maxQueuedBytes', 65_536, 1_073_741_824, FAULT_PROXY_LIMITS.maxQueuedBytes);
    if (options.random === undefined) {
      // The simulation's seeded generator, on a substream of its own.
      const generator = new SeededRandom(seed).fork('fault-proxy');
      this.#random = () => generator.next();
    } else {
      this.#random = options.random;
    }
    this.#log = componentLogger(options.logger ?? silentLogger, 'fault-proxy');
    this.#context = {
      blackholed: () => this.blackholed,
      maxQueuedBytes: this.maxQueuedBytes,
      stats: this.#stats,
      log: this.#log,
      connectTarget: () => createConnection({ host: this.target.host, port: this.target.port, allowHalfOpen: true }),
      cleartext: (connection, direction) => this.#cleartext(connection, direction),
      release: (connection) => {
        if (this.#connections.delete(connection)) this.#stats.connectionsActive -= 1;
      },
    };
  }

  /** The profile applied to new chunks. */
  get profile(): NetworkProfile {
    return this.#profile;
  }

  /** True while a blackhole outage holds every byte. */
  get blackholed(): boolean {
    for (const outage of this.#outages) if (outage.info.mode === 'blackhole') return true;
    return false;
  }

  /** True while new connections are refused (reset or refuse outage). */
  get refusing(): boolean {
    for (const outage of this.#outages) if (outage.info.mode !== 'blackhole') return true;
    return false;
  }

  /** The port listened on (0 before listen()). */
  get port(): number {
    return this.#port;
  }

  /**
   * Opens the listening socket and returns its port (pass 0 for a free one). Throws
   * ERR_NETWORK_PROXY_STATE if called twice, ERR_NETWORK_LISTEN_FAILED if the port cannot be had.
   */
  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    if (this.#state !== 'new') throw new NetworkProxyStateError(`listen() on a ${this.#state} fault proxy`);
    integerOption(port, 'port', 0, 65_535, 0);
    this.#state = 'listening';
    this.#host = host;
    try {
      this.#port = await this.#openListener(port);
    } catch (error) {
      this.#state = 'closed';
      throw error;
    }
    this.#log.info({ port: this.#port, target: this.target, profile: this.#profile.name }, 'fault proxy listening');
    this.#scheduleRandomOutage();
    return this.#port;
  }

  #openListener(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer({ allowHalfOpen: true }, (socket) => this.#accept(socket));
      const onError = (cause: Error): void => reject(new NetworkListenFailedError(`cannot listen on ${this.#host}:${port}`, { cause, details: { port } }));
      server.once('error', onError);
      server.listen(port, this.#host, () => {
        server.off('error', onError);
        server.on('error', (error) => this.#log.warn({ err: error }, 'listener error'));
        this.#server = server;
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  #accept(socket: Socket): void {
    if (this.#state !== 'listening' || this.refusing || this.#connections.size >= this.maxConnections) {
      socket.on('error', () => undefined);
      if (this.#connections.size >= this.maxConnections) {
        this.#stats.connectionsRefused += 1;
        this.#log.warn({ maxConnections: this.maxConnections }, 'connection refused: too many open');
      }
      resetSocket(socket);
      return;
    }
    const connection = new Connection(this.#nextId, socket, this.#profile, this.#random, this.#context);
    this.#nextId += 1;
    this.#connections.add(connection);
    this.#stats.connectionsAccepted += 1;
    this.#stats.connectionsActive += 1;
    const info = { id: connection.id, remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0 };
    this.#log.debug({ connection: connection.id }, 'connection accepted');
    this.emit('connection', info);
    connection.start();
  }

  #cleartext(connection: Connection, direction: ProxyDirection): void {
    this.#stats.cleartextRefused += 1;
    this.#log.warn({ connection: connection.id, direction, profile: this.#profile.name }, 'bytes in clear on a public link: connection reset');
    connection.reset();
    this.emit('cleartext-refused', { id: connection.id, direction });
  }

  /** Applies `profile` to new chunks of every connection (queued ones keep their times) and to random outages. */
  setProfile(profile: NetworkProfile): void {
    if (this.#state === 'closed') throw new NetworkProxyStateError('setProfile() on a closed fault proxy');
    this.#profile = validateNetworkProfile(profile);
    for (const connection of this.#connections) connection.setProfile(this.#profile);
    this.#log.info({ profile: this.#profile.name }, 'profile changed');
    this.#scheduleRandomOutage();
  }

  /** Counters since the proxy was made. */
  stats(): FaultProxyStats {
    let queuedBytes = 0;
    for (const connection of this.#connections) queuedBytes += connection.up.queuedBytes + connection.down.queuedBytes;
    return { ...this.#stats, queuedBytes };
  }

  /**
   * Starts an outage now; the promise settles when it is over (and, after a reset or refuse
   * outage, once the port accepts again). Rejects with ERR_NETWORK_INVALID_OPTIONS for a bad
   * duration or mode, ERR_NETWORK_PROXY_STATE before listen() or after close(), and
   * ERR_NETWORK_LISTEN_FAILED if the port cannot be reopened. close() settles it.
   */
  async outage(options: OutageOptions): Promise<void> {
    if (this.#state !== 'listening') throw new NetworkProxyStateError(`outage() on a ${this.#state} fault proxy`);
    const { durationMs, mode } = options;
    if (!Number.isFinite(durationMs) || durationMs <= 0 || durationMs > FAULT_PROXY_LIMITS.maxOutageMs) {
      invalidOption(`outage durationMs must be in (0, ${FAULT_PROXY_LIMITS.maxOutageMs}]`, 'durationMs');
    }
    if (mode !== 'blackhole' && mode !== 'reset' && mode !== 'refuse') invalidOption("outage mode must be 'blackhole', 'reset' or 'refuse'", 'mode');
    // Runs synchronously up to here: a reset outage has reset every connection when outage() returns.
    return this.#startOutage({ mode, durationMs, random: false });
  }

  /** Ends every outage now; settles when the port accepts again. */
  async heal(): Promise<void> {
    await Promise.all([...this.#outages].map((outage) => this.#endOutage(outage)));
  }

  #startOutage(info: OutageInfo): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wasRefusing = this.refusing;
      const outage: ActiveOutage = { info, timer: undefined, resolve, reject };
      this.#outages.add(outage);
      this.#stats.outages += 1;
      this.#log.info(info, 'outage started');
      if (info.mode === 'reset') for (const connection of [...this.#connections]) connection.reset();
      if (!wasRefusing && this.refusing) this.#closeListener();
      outage.timer = setTimeout(() => void this.#endOutage(outage), info.durationMs);
      this.emit('outage-start', info);
    });
  }

  async #endOutage(outage: ActiveOutage): Promise<void> {
    if (!this.#outages.has(outage)) return;
    const wasBlackholed = this.blackholed;
    const wasRefusing = this.refusing;
    this.#outages.delete(outage);
    clearTimeout(outage.timer);
    try {
      if (wasRefusing && !this.refusing) await this.#reopenListener();
      if (wasBlackholed && !this.blackholed) for (const connection of [...this.#connections]) connection.healed();
      this.#log.info(outage.info, 'outage ended');
      if (this.#state === 'listening') this.emit('outage-end', outage.info);
      outage.resolve();
    } catch (error) {
      outage.reject(error);
    }
  }

  #closeListener(): void {
    const server = this.#server;
    this.#server = undefined;
    // Existing connections stay open; only the listening socket goes, so a SYN meets RST.
    server?.close();
  }

  #reopenListener(): Promise<void> {
    if (this.#state !== 'listening' || this.#server !== undefined) return Promise.resolve();
    this.#reopening ??= this.#openListener(this.#port).then(
      () => {
        this.#reopening = undefined;
        // Closed, or another refusing outage began while the port was reopening.
        if (this.#state !== 'listening' || this.refusing) this.#closeListener();
      },
      (error: unknown) => {
        this.#reopening = undefined;
        throw error;
      },
    );
    return this.#reopening;
  }

  #scheduleRandomOutage(): void {
    if (this.#randomOutageTimer !== undefined) clearTimeout(this.#randomOutageTimer);
    this.#randomOutageTimer = undefined;
    const pattern = this.#profile.outages;
    if (pattern === undefined || this.#state !== 'listening') return;
    this.#randomOutageTimer = setTimeout(() => {
      this.#randomOutageTimer = undefined;
      const durationMs = this.#exponential(pattern.meanDurationMs);
      this.#startOutage({ mode: 'blackhole', durationMs, random: true }).then(
        () => this.#scheduleRandomOutage(),
        (error: unknown) => this.#log.warn({ err: error }, 'random outage failed'),
      );
    }, this.#exponential(pattern.meanTimeBetweenMs));
  }

  /** An exponentially distributed duration (Poisson arrivals), ms, between 1 and 20 × the mean. */
  #exponential(meanMs: number): number {
    const u = this.#random();
    return Math.min(20 * meanMs, Math.max(1, Math.round(-meanMs * Math.log(1 - u))));
  }

  /** Closes the listener and every connection, clears every timer; settles when all is released. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#randomOutageTimer !== undefined) clearTimeout(this.#randomOutageTimer);
    this.#randomOutageTimer = undefined;
    for (const outage of [...this.#outages]) {
      clearTimeout(outage.timer);
      this.#outages.delete(outage);
      outage.resolve();
    }
    await this.#reopening?.catch(() => undefined);
    const server = this.#server;
    this.#server = undefined;
    const serverClosed = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([...this.#connections].map((connection) => connection.destroy()));
    this.#connections.clear();
    this.#stats.connectionsActive = 0;
    await serverClosed;
    this.#log.info({ port: this.#port }, 'fault proxy closed');
  }
}
