/**
 * Fixtures of the network tests: real echo and sink servers on loopback port 0, a TLS echo
 * server with a self-signed certificate made at test time, and a tiny deterministic generator.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { webcrypto } from 'node:crypto';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { NetworkProfile } from '../../src/network/network-profile.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/**
 * Numerical Recipes' 32-bit LCG (a = 1664525, c = 1013904223): enough to make a test
 * deterministic, not a generator for anything else.
 */
export function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A profile for tests: no delay, no loss, 1 Gbit/s, private, with overrides. */
export function testProfile(overrides: Partial<NetworkProfile> = {}): NetworkProfile {
  return { name: 'test', technology: 'ethernet', latencyMs: 0, jitterMs: 0, lossRate: 0, bandwidthBitsPerSecond: 1e9, public: false, ...overrides };
}

/** A pseudo-random payload (deterministic per seed) so that reordering or loss shows. */
export function payload(bytes: number, seed: number): Buffer {
  const next = lcg(seed);
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 1) out[i] = Math.floor(next() * 256);
  return out;
}

/** A listening server and the sockets it accepted. */
export interface TestServer {
  readonly port: number;
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

async function started(server: Server | TlsServer, sockets: Set<Socket>): Promise<TestServer> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function track(sockets: Set<Socket>, socket: Socket): void {
  sockets.add(socket);
  socket.on('error', () => undefined);
  socket.on('close', () => sockets.delete(socket));
}

/** Echoes every byte back; ends when the client ends. */
export async function echoServer(): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    track(sockets, socket);
    socket.pipe(socket);
  });
  return started(server, sockets);
}

/** Calls `onSocket` for each accepted socket (plain TCP, allowHalfOpen). */
export async function customServer(onSocket: (socket: Socket) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    track(sockets, socket);
    onSocket(socket);
  });
  return started(server, sockets);
}

/** A self-signed ECDSA P-256 server certificate for localhost and 127.0.0.1. */
export async function selfSignedCertificate(): Promise<{ keyPem: string; certPem: string }> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=localhost',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1'], false),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
    ],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{1,64}/gu, '$&\n')}-----END PRIVATE KEY-----\n`;
  return { keyPem, certPem: cert.toString('pem') };
}

/** A TLS 1.3 echo server with the given credentials. */
export async function tlsEchoServer(credentials: { keyPem: string; certPem: string }): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = createTlsServer({ key: credentials.keyPem, cert: credentials.certPem, minVersion: 'TLSv1.3' }, (socket) => {
    track(sockets, socket);
    socket.pipe(socket);
  });
  return started(server, sockets);
}

/** A connected plain TCP client. */
export async function connect(port: number): Promise<Socket> {
  const socket = createConnection({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  return socket;
}

/** Collects `bytes` bytes from a readable stream (rejects if it ends or fails first). */
export function collect(socket: Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= bytes) {
        cleanup();
        resolve(Buffer.concat(chunks));
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error(`stream ended after ${received} of ${bytes} bytes`));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
  });
}

/** Resolves with the error code a connection attempt fails with, or 'connected'. */
export function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

/** How the socket ended: 'reset' (ECONNRESET), 'end' (FIN) or another error code. */
export function ending(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNRESET' ? 'reset' : (error.code ?? 'error')));
    socket.once('end', () => resolve('end'));
  });
}

/** Settles once the socket has closed, however it closed (events.once would reject on 'error'). */
export function closedSocket(socket: Socket): Promise<void> {
  return socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Sleeps `ms` milliseconds (real time: these tests measure a real proxy). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
