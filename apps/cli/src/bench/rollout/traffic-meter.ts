/**
 * Bytes moved by a rollout, counted on the devices' side at two layers:
 *
 * - payload: what the update stack asked for and sent, by wrapping its two variation points (the
 *   TUF Fetcher and the DirectorChannel): image bytes, metadata bytes, director instructions
 *   (signed JWS; 204 when the device's stage has not opened) and progress reports, with request
 *   counts. Counted where the device consumes them, so a resumed download counts what it
 *   actually fetched again.
 * - wire: every TCP byte of the update connections in both directions (TLS handshakes, records,
 *   HTTP headers included), from an https.Agent that lays TLS over a TCP socket it opened itself
 *   and reads that socket's counters (a TLSSocket's own counters are plaintext).
 *
 * One meter is shared by every device of the run (one thread).
 */
import { Agent, type AgentOptions, type RequestOptions } from 'node:https';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FetchOptions, Fetcher } from '@medsim/firmware';
import type { DirectorChannel, UpdateReport } from '@medsim/devices';

/** Requests and bytes of one kind of payload. */
export interface PayloadCount {
  requests: number;
  bytes: number;
}

/** The totals of a run (also what `--json` prints under `bytes`). */
export interface TrafficTotals {
  /** Image bytes fetched (from `targets/`). */
  readonly image: PayloadCount;
  /** TUF metadata fetched (timestamp, snapshot, targets, root versions; a 404 ends a root walk). */
  readonly metadata: PayloadCount;
  /** Director requests: signed instructions received, bytes of their JWS. */
  readonly instructions: PayloadCount;
  /** Director requests answered 204: nothing for this device yet (its stage has not opened). */
  readonly emptyPolls: number;
  /** Progress and outcome reports sent, bytes of their JSON bodies. */
  readonly reports: PayloadCount;
  /** TCP bytes of the update connections: from the gateway, to the gateway. */
  readonly wire: { readonly bytesIn: number; readonly bytesOut: number; readonly connections: number };
}

/** The counters of one run. */
export class TrafficMeter {
  readonly #image: PayloadCount = { requests: 0, bytes: 0 };
  readonly #metadata: PayloadCount = { requests: 0, bytes: 0 };
  readonly #instructions: PayloadCount = { requests: 0, bytes: 0 };
  readonly #reports: PayloadCount = { requests: 0, bytes: 0 };
  #emptyPolls = 0;
  #connections = 0;
  #closedIn = 0;
  #closedOut = 0;
  readonly #open = new Set<Socket>();

  /** A fetcher that counts what `inner` delivers. */
  fetcher(inner: Fetcher): Fetcher {
    return new MeteredFetcher(inner, (path) => (path.startsWith('targets/') ? this.#image : this.#metadata));
  }

  /** A director channel that counts what `inner` receives and sends. */
  channel(inner: DirectorChannel): DirectorChannel {
    return {
      instruction: async (checkNonce) => {
        const jws = await inner.instruction(checkNonce);
        if (jws === undefined) this.#emptyPolls += 1;
        else count(this.#instructions, jws.length);
        return jws;
      },
      report: async (report: UpdateReport) => {
        await inner.report(report);
        // The body HttpDirectorChannel sends.
        count(this.#reports, Buffer.byteLength(JSON.stringify(report)));
      },
    };
  }

  /** An https.Agent whose connections are counted at the TCP layer. */
  agent(options: AgentOptions): Agent {
    return new MeteredAgent(options, (socket) => {
      this.#connections += 1;
      this.#open.add(socket);
      socket.once('close', () => {
        this.#open.delete(socket);
        this.#closedIn += socket.bytesRead;
        this.#closedOut += socket.bytesWritten;
      });
    });
  }

  /** The counts so far (open connections count what they moved until now). */
  totals(): TrafficTotals {
    const open = [...this.#open];
    return {
      image: { ...this.#image },
      metadata: { ...this.#metadata },
      instructions: { ...this.#instructions },
      emptyPolls: this.#emptyPolls,
      reports: { ...this.#reports },
      wire: {
        bytesIn: this.#closedIn + open.reduce((sum, s) => sum + s.bytesRead, 0),
        bytesOut: this.#closedOut + open.reduce((sum, s) => sum + s.bytesWritten, 0),
        connections: this.#connections,
      },
    };
  }
}

function count(into: PayloadCount, bytes: number): void {
  into.requests += 1;
  into.bytes += bytes;
}

/** Counts each fetch and the bytes it yields, into the count `kindOf(path)` picks. */
class MeteredFetcher implements Fetcher {
  readonly #inner: Fetcher;
  readonly #kindOf: (path: string) => PayloadCount;

  constructor(inner: Fetcher, kindOf: (path: string) => PayloadCount) {
    this.#inner = inner;
    this.#kindOf = kindOf;
  }

  async *fetch(path: string, options: FetchOptions): AsyncIterable<Uint8Array> {
    const into = this.#kindOf(path);
    into.requests += 1;
    for await (const chunk of this.#inner.fetch(path, options)) {
      into.bytes += chunk.length;
      yield chunk;
    }
  }
}

/** https.Agent over a TCP socket of its own, handed to `onSocket` before TLS starts. */
class MeteredAgent extends Agent {
  readonly #onSocket: (socket: Socket) => void;

  constructor(options: AgentOptions, onSocket: (socket: Socket) => void) {
    super(options);
    this.#onSocket = onSocket;
  }

  override createConnection(options: RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const socket = connect({ host: options.host ?? 'localhost', port: Number(options.port) });
    this.#onSocket(socket);
    // tls.connect over the given socket: host and port are the socket's; servername and the
    // secure context come from the request.
    return super.createConnection({ ...options, socket } as RequestOptions, callback);
  }
}
