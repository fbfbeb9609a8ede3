/**
 * A byte-level MQTT frame scanner in front of aedes, which has no packet size limit: it reads
 * each fixed header's remaining length (MQTT 3.1.1 §2.2.3) as bytes arrive and fails the
 * connection as soon as a packet announces more than the limit, before any of its body is
 * buffered (attacks-and-faults M3, M4). The first packet must be CONNECT ([MQTT-3.1.0-1]).
 */
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';

/** Why the guard closed a connection. */
export type GuardRefusal = 'too-large' | 'malformed-length' | 'not-connect-first';

/** Streaming scanner of MQTT fixed headers. */
export class MqttFrameScanner {
  readonly #maxPacketBytes: number;
  #state: 'type' | 'length' | 'body' = 'type';
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  #headerBytes = 0;
  #remaining = 0;
  #packets = 0;

  constructor(maxPacketBytes: number) {
    this.#maxPacketBytes = maxPacketBytes;
  }

  /** Packets whose header was read so far. */
  get packets(): number {
    return this.#packets;
  }

  /** Scans a chunk; returns a refusal reason, or undefined if the bytes may pass. */
  scan(chunk: Uint8Array): GuardRefusal | undefined {
    let i = 0;
    while (i < chunk.length) {
      switch (this.#state) {
        case 'type': {
          const type = chunk[i]! >> 4;
          if (this.#packets === 0 && type !== 1) return 'not-connect-first';
          this.#packets += 1;
          this.#state = 'length';
          this.#length = 0;
          this.#multiplier = 1;
          this.#lengthBytes = 0;
          i += 1;
          break;
        }
        case 'length': {
          const byte = chunk[i]!;
          i += 1;
          this.#lengthBytes += 1;
          this.#length += (byte & 0x7f) * this.#multiplier;
          this.#multiplier *= 128;
          if (byte & 0x80) {
            if (this.#lengthBytes === 4) return 'malformed-length';
            if (this.#length + 1 + this.#lengthBytes > this.#maxPacketBytes) return 'too-large';
            break;
          }
          this.#headerBytes = 1 + this.#lengthBytes;
          if (this.#length + this.#headerBytes > this.#maxPacketBytes) return 'too-large';
          this.#remaining = this.#length;
          this.#state = this.#remaining === 0 ? 'type' : 'body';
          break;
        }
        case 'body': {
          const take = Math.min(this.#remaining, chunk.length - i);
          this.#remaining -= take;
          i += take;
          if (this.#remaining === 0) this.#state = 'type';
          break;
        }
      }
    }
    return undefined;
  }
}

/**
 * Wraps a TLS socket in a Duplex that aedes reads from; bytes pass only after the scanner
 * cleared them. `onRefuse` runs once, then the socket is destroyed.
 */
export function guardSocket(socket: TLSSocket, maxPacketBytes: number, onRefuse: (reason: GuardRefusal) => void): Duplex {
  const scanner = new MqttFrameScanner(maxPacketBytes);
  const guarded = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (socket.destroyed) callback();
      else socket.write(chunk, () => callback());
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    const refusal = scanner.scan(chunk);
    if (refusal !== undefined) {
      onRefuse(refusal);
      socket.destroy();
      return;
    }
    if (!guarded.push(chunk)) socket.pause();
  });
  socket.on('end', () => guarded.push(null));
  socket.on('close', () => guarded.destroy());
  socket.on('error', () => guarded.destroy());
  return guarded;
}
