/**
 * The FaultProxy over real sockets on 127.0.0.1 (port 0), in front of real echo servers, plain
 * and TLS 1.3. Timing bounds are strict below (the proxy must never deliver early) and loose
 * above (a noisy 2-core machine). Every random draw is seeded.
 */
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { createLogger } from '@medsim/logging';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy, type FaultProxyOptions } from '../../src/network/fault-proxy.js';
import {
  closedSocket,
  collect,
  connect,
  connectOutcome,
  customServer,
  echoServer,
  ending,
  payload,
  selfSignedCertificate,
  sleep,
  testProfile,
  tlsEchoServer,
  type TestServer,
} from './fixtures.js';

const MiB = 1024 * 1024;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(make: Promise<TestServer>): Promise<TestServer> {
  const made = await make;
  cleanups.push(() => made.close());
  return made;
}

async function proxyTo(target: TestServer, options: Partial<FaultProxyOptions> = {}): Promise<{ proxy: FaultProxy; port: number }> {
  const proxy = new FaultProxy({ target: { host: '127.0.0.1', port: target.port }, profile: testProfile(), seed: 1, ...options });
  cleanups.push(() => proxy.close());
  const port = await proxy.listen(0, '127.0.0.1');
  return { proxy, port };
}

async function client(port: number): Promise<Socket> {
  const socket = await connect(port);
  socket.on('error', () => undefined);
  cleanups.push(async () => {
    socket.destroy();
    await closedSocket(socket);
  });
  return socket;
}

/** Sends `message` and times until its echo is back, ms. */
async function roundTrip(socket: Socket, message: Buffer): Promise<number> {
  const started = performance.now();
  const echoed = collect(socket, message.length);
  socket.write(message);
  expect(await echoed).toEqual(message);
  return performance.now() - started;
}

describe('FaultProxy', () => {
  it('[F5] bytes arrive intact and in order under jitter and loss (1 MiB each way, 3 seeds)', { tags: ['F5'] }, async () => {
    const echo = await server(echoServer());
    const profile = testProfile({ latencyMs: 5, jitterMs: 10, lossRate: 0.05 });
    const runs = [1, 2, 3].map(async (seed) => {
      const { proxy, port } = await proxyTo(echo, { profile, seed });
      const socket = await client(port);
      const sent = payload(MiB, seed);
      const echoed = collect(socket, sent.length);
      socket.write(sent);
      const received = await echoed;
      expect(received.length).toBe(sent.length);
      expect(received.equals(sent)).toBe(true);
      return proxy.stats();
    });
    const stats = await Promise.all(runs);
    for (const s of stats) {
      expect(s.bytesClientToTarget).toBe(MiB);
      expect(s.bytesTargetToClient).toBe(MiB);
      expect(s.chunksDelayed).toBeGreaterThan(0);
    }
    // Loss is exercised (about 5 % of the chunks needed a simulated retransmission).
    expect(stats.reduce((sum, s) => sum + s.simulatedLosses, 0)).toBeGreaterThan(0);
  });

  it('[CTL-06] carries TLS 1.3 over a public link intact (1 MiB, jitter and loss)', { tags: ['CTL-06', 'F5'] }, async () => {
    const credentials = await selfSignedCertificate();
    const echo = await server(tlsEchoServer(credentials));
    const { proxy, port } = await proxyTo(echo, { profile: testProfile({ public: true, latencyMs: 2, jitterMs: 4, lossRate: 0.02 }), seed: 7 });
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: credentials.certPem, minVersion: 'TLSv1.3' });
    socket.on('error', () => undefined);
    cleanups.push(async () => {
      socket.destroy();
      await closedSocket(socket);
    });
    await once(socket, 'secureConnect');
    expect(socket.getProtocol()).toBe('TLSv1.3');
    const sent = payload(MiB, 99);
    const echoed = collect(socket, sent.length);
    socket.write(sent);
    expect((await echoed).equals(sent)).toBe(true);
    expect(proxy.stats().cleartextRefused).toBe(0);
  });

  it('[CTL-06] resets a connection that sends in clear on a public link, forwards none of it, and reports it', { tags: ['CTL-06', 'CTL-22'] }, async () => {
    let forwarded = 0;
    const target = await server(customServer((socket) => socket.on('data', (chunk: Buffer) => (forwarded += chunk.length))));
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const { proxy, port } = await proxyTo(target, { profile: testProfile({ public: true }), logger: createLogger({ level: 'warn', destination }) });
    const refused = once(proxy, 'cleartext-refused');
    const socket = await client(port);
    const ended = ending(socket);
    // An MQTT 3.1.1 CONNECT in clear (fixed header 0x10, "MQTT", level 4).
    socket.write(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]));
    expect(await ended).toBe('reset');
    expect(await refused).toEqual([{ id: 1, direction: 'client-to-target' }]);
    await sleep(50);
    expect(forwarded).toBe(0);
    expect(proxy.stats()).toMatchObject({ cleartextRefused: 1, bytesClientToTarget: 0 });
    expect(lines.join('')).toContain('bytes in clear on a public link');
  });

  it('[F5] adds the configured latency each way, and setProfile() applies at runtime', { tags: ['F5'] }, async () => {
    const echo = await server(echoServer());
    const { proxy, port } = await proxyTo(echo, { profile: testProfile({ latencyMs: 100 }) });
    const socket = await client(port);
    for (let i = 0; i < 3; i += 1) {
      const rtt = await roundTrip(socket, Buffer.from(`ping ${i}`));
      // Strict lower bound: 100 ms each way. Loose upper bound: a busy machine.
      expect(rtt).toBeGreaterThanOrEqual(200);
      expect(rtt).toBeLessThan(1200);
    }
    proxy.setProfile(testProfile({ latencyMs: 0 }));
    expect(await roundTrip(socket, Buffer.from('fast'))).toBeLessThan(150);
    proxy.setProfile(testProfile({ latencyMs: 150, jitterMs: 50 }));
    expect(await roundTrip(socket, Buffer.from('slow'))).toBeGreaterThanOrEqual(200);
  });

  it('[F5] caps bandwidth: 200 KiB at 1 Mbit/s takes about 1.6 s', { tags: ['F5'] }, async () => {
    const size = 200 * 1024;
    let receivedAt = 0;
    let received = 0;
    const sink = await server(
      customServer((socket) =>
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received >= size) receivedAt = performance.now();
        }),
      ),
    );
    const { proxy, port } = await proxyTo(sink, { profile: testProfile({ bandwidthBitsPerSecond: 1_000_000 }) });
    const socket = await client(port);
    const started = performance.now();
    socket.write(payload(size, 5));
    while (received < size) await sleep(20);
    const elapsed = receivedAt - started;
    // (204,800 - 2,500 bytes of initial bucket) / 125,000 bytes/s = 1.618 s.
    expect(elapsed).toBeGreaterThanOrEqual(1600);
    expect(elapsed).toBeLessThan(3500);
    expect(proxy.stats().bytesClientToTarget).toBe(size);
  });

  it('[F5] blackhole: nothing moves either way, connections stay open, then everything arrives', { tags: ['F5'] }, async () => {
    let atTarget = 0;
    const echo = await server(
      customServer((socket) => {
        socket.on('data', (chunk: Buffer) => (atTarget += chunk.length));
        socket.pipe(socket);
      }),
    );
    const { proxy, port } = await proxyTo(echo, { profile: testProfile({ latencyMs: 1 }) });
    const socket = await client(port);
    await roundTrip(socket, Buffer.from('before'));
    const targetBefore = atTarget;
    const events: string[] = [];
    proxy.on('outage-start', (info) => events.push(`start:${info.mode}`));
    proxy.on('outage-end', (info) => events.push(`end:${info.mode}`));

    const over = proxy.outage({ durationMs: 600, mode: 'blackhole' });
    expect(proxy.blackholed).toBe(true);
    const sent = payload(64 * 1024, 3);
    let echoedBytes = 0;
    socket.on('data', (chunk: Buffer) => (echoedBytes += chunk.length));
    const echoed = collect(socket, sent.length);
    socket.write(sent);
    // A new connection is accepted (the listener is up) but goes nowhere.
    expect(await connectOutcome(port)).toBe('connected');
    await sleep(350);
    expect(atTarget).toBe(targetBefore);
    expect(echoedBytes).toBe(0);
    expect(socket.destroyed).toBe(false);

    await over;
    const healedAt = performance.now();
    expect((await echoed).equals(sent)).toBe(true);
    expect(performance.now() - healedAt).toBeLessThan(1000);
    expect(events).toEqual(['start:blackhole', 'end:blackhole']);
    expect(proxy.stats().outages).toBe(1);
  });

  it('[F5] reset: both sides see a reset, new connections are refused during the outage, then accepted', { tags: ['F5'] }, async () => {
    const targetEndings: Promise<string>[] = [];
    const echo = await server(
      customServer((socket) => {
        targetEndings.push(ending(socket));
        socket.pipe(socket);
      }),
    );
    const { proxy, port } = await proxyTo(echo);
    const socket = await client(port);
    await roundTrip(socket, Buffer.from('hello'));
    const clientEnding = ending(socket);

    const over = proxy.outage({ durationMs: 400, mode: 'reset' });
    expect(await clientEnding).toBe('reset');
    expect(await targetEndings[0]).toBe('reset');
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    await over;

    const again = await client(port);
    expect(proxy.port).toBe(port);
    await roundTrip(again, Buffer.from('after the outage'));
    expect(proxy.stats()).toMatchObject({ connectionsReset: 1, connectionsAccepted: 2, connectionsActive: 1 });
  });

  it('[F5] refuse: new connections are refused, existing ones keep flowing', { tags: ['F5'] }, async () => {
    const echo = await server(echoServer());
    const { proxy, port } = await proxyTo(echo);
    const socket = await client(port);
    const over = proxy.outage({ durationMs: 300, mode: 'refuse' });
    expect(proxy.refusing).toBe(true);
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    await roundTrip(socket, Buffer.from('still here'));
    await over;
    expect(await connectOutcome(port)).toBe('connected');
  });

  it('heal() ends every outage at once', async () => {
    const echo = await server(echoServer());
    const { proxy, port } = await proxyTo(echo);
    const blackhole = proxy.outage({ durationMs: 60_000, mode: 'blackhole' });
    const refuse = proxy.outage({ durationMs: 60_000, mode: 'refuse' });
    await proxy.heal();
    await Promise.all([blackhole, refuse]);
    expect(proxy.blackholed || proxy.refusing).toBe(false);
    await roundTrip(await client(port), Buffer.from('healed'));
  });

  it('propagates half-close both ways, and resets in both directions', async () => {
    // The target answers only once the client has finished sending (half-open connection).
    const accepted: Socket[] = [];
    const target = await server(
      customServer((socket) => {
        accepted.push(socket);
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => {
          if (chunk.toString() === 'RESET') socket.resetAndDestroy();
          else chunks.push(chunk);
        });
        socket.on('end', () => socket.end(`got:${Buffer.concat(chunks).toString()}`));
      }),
    );
    const { port } = await proxyTo(target, { profile: testProfile({ latencyMs: 5, jitterMs: 5 }) });

    const halfClosing = await client(port);
    const answer = collect(halfClosing, 'got:hello'.length);
    const finished = once(halfClosing, 'end');
    halfClosing.end('hello');
    expect((await answer).toString()).toBe('got:hello');
    await finished;

    // Target resets: the client sees a reset.
    const resetByTarget = await client(port);
    const clientEnding = ending(resetByTarget);
    resetByTarget.write('RESET');
    expect(await clientEnding).toBe('reset');

    // Client resets: the target sees a reset.
    const resetByClient = await client(port);
    resetByClient.write('x');
    while (accepted.length < 3) await sleep(5);
    const targetSide = ending(accepted[2]!);
    resetByClient.resetAndDestroy();
    expect(await targetSide).toBe('reset');
  });

  it('resets the client when the target refuses the connection', async () => {
    const gone = await customServer(() => undefined);
    await gone.close();
    const { proxy, port } = await proxyTo(gone);
    const socket = await client(port);
    expect(await ending(socket)).toBe('reset');
    expect(proxy.stats().connectionsReset).toBe(1);
  });

  it('[CTL-16] resets connections beyond maxConnections', { tags: ['CTL-16'] }, async () => {
    const echo = await server(echoServer());
    const { proxy, port } = await proxyTo(echo, { maxConnections: 2 });
    const first = await client(port);
    const second = await client(port);
    await roundTrip(first, Buffer.from('1'));
    await roundTrip(second, Buffer.from('2'));
    // The reset may come before or after the client's connect completes.
    const third = createConnection({ host: '127.0.0.1', port });
    expect(await ending(third)).toBe('reset');
    expect(proxy.stats()).toMatchObject({ connectionsAccepted: 2, connectionsRefused: 1, connectionsActive: 2 });
  });

  it('[CTL-16] bounds memory: a target that stops reading pauses the sender', { tags: ['CTL-16'] }, async () => {
    const stalled = await server(customServer((socket) => socket.pause()));
    const { proxy, port } = await proxyTo(stalled, { maxQueuedBytes: 65_536 });
    const socket = await client(port);
    // 32 MiB is more than every kernel buffer on the path can hold (loopback autotuning: ~4-6 MiB each).
    socket.write(Buffer.alloc(32 * MiB, 0x5a));
    await sleep(400);
    const stats = proxy.stats();
    expect(stats.queuedBytes).toBeLessThanOrEqual(65_536 + 65_536);
    expect(socket.writableLength).toBeGreaterThan(0);
  });

  it('starts the profile\'s random outages (seeded) as blackholes', async () => {
    const echo = await server(echoServer());
    const profile = testProfile({ outages: { meanTimeBetweenMs: 1000, meanDurationMs: 100 } });
    // random() = 0.5: the gap is 1000 × ln 2 = 693 ms and the outage 69 ms.
    const { proxy } = await proxyTo(echo, { profile, random: () => 0.5 });
    const started = performance.now();
    const [info] = await once(proxy, 'outage-start');
    expect(info).toEqual({ mode: 'blackhole', durationMs: 69, random: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(680);
    await once(proxy, 'outage-end');
    expect(proxy.stats().outages).toBe(1);
  });

  it('close() releases every socket, server and timer, and settles pending outages', async () => {
    const echo = await server(echoServer());
    const tally = (): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
      return counts;
    };
    // Handles of earlier tests finish closing on a later loop turn: let them settle first.
    const settled = async (): Promise<Record<string, number>> => {
      let last = JSON.stringify(tally());
      for (let i = 0; i < 50; i += 1) {
        await sleep(20);
        const now = JSON.stringify(tally());
        if (now === last) break;
        last = now;
      }
      return tally();
    };
    const before = await settled();
    const profile = testProfile({ latencyMs: 50, outages: { meanTimeBetweenMs: 60_000, meanDurationMs: 1000 } });
    const proxy = new FaultProxy({ target: { host: '127.0.0.1', port: echo.port }, profile, seed: 3 });
    const port = await proxy.listen(0);
    const sockets = [await connect(port), await connect(port)];
    for (const socket of sockets) socket.on('error', () => undefined);
    await roundTrip(sockets[0]!, Buffer.from('x'.repeat(1000)));
    sockets[1]!.write('queued'); // in flight (50 ms latency timer) when close() runs
    const outage = proxy.outage({ durationMs: 60_000, mode: 'refuse' });
    await proxy.close();
    await outage;
    await Promise.all(sockets.map(closedSocket));
    for (let i = 0; i < 100 && echo.sockets.size > 0; i += 1) await sleep(10);
    expect(echo.sockets.size).toBe(0);
    const after = await settled();
    // Sockets and servers exactly as before; timers never more (the test worker's own startup
    // timer may expire meanwhile). A leaked proxy timer (60 s outage, 60 s random outage, 50 ms
    // latency) would show as one more Timeout.
    const { Timeout: timersAfter = 0, ...handlesAfter } = after;
    const { Timeout: timersBefore = 0, ...handlesBefore } = before;
    expect(handlesAfter).toEqual(handlesBefore);
    expect(timersAfter).toBeLessThanOrEqual(timersBefore);
    await expect(proxy.outage({ durationMs: 10, mode: 'blackhole' })).rejects.toMatchObject({ code: 'ERR_NETWORK_PROXY_STATE' });
    await proxy.close(); // idempotent
  });

  it('[CTL-23] refuses bad options and wrong states with typed errors', { tags: ['CTL-23'] }, async () => {
    const base = { target: { host: '127.0.0.1', port: 1883 }, profile: testProfile(), seed: 1 };
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return undefined;
    };
    expect(code(() => new FaultProxy({ ...base, target: { host: '127.0.0.1', port: 0 } }))).toBe('ERR_NETWORK_INVALID_OPTIONS');
    expect(code(() => new FaultProxy({ ...base, target: { host: '', port: 1883 } }))).toBe('ERR_NETWORK_INVALID_OPTIONS');
    expect(code(() => new FaultProxy({ ...base, seed: 1.5 }))).toBe('ERR_NETWORK_INVALID_OPTIONS');
    expect(code(() => new FaultProxy({ ...base, maxConnections: 0 }))).toBe('ERR_NETWORK_INVALID_OPTIONS');
    expect(code(() => new FaultProxy({ ...base, maxQueuedBytes: 1024 }))).toBe('ERR_NETWORK_INVALID_OPTIONS');
    expect(code(() => new FaultProxy({ ...base, profile: testProfile({ lossRate: 2 }) }))).toBe('ERR_NETWORK_INVALID_PROFILE');

    const proxy = new FaultProxy(base);
    cleanups.push(() => proxy.close());
    await expect(proxy.outage({ durationMs: 100, mode: 'reset' })).rejects.toMatchObject({ code: 'ERR_NETWORK_PROXY_STATE' });
    const port = await proxy.listen(0);
    await expect(proxy.listen(0)).rejects.toMatchObject({ code: 'ERR_NETWORK_PROXY_STATE' });
    await expect(proxy.outage({ durationMs: 0, mode: 'reset' })).rejects.toMatchObject({ code: 'ERR_NETWORK_INVALID_OPTIONS' });
    await expect(proxy.outage({ durationMs: 100, mode: 'drop' as 'reset' })).rejects.toMatchObject({ code: 'ERR_NETWORK_INVALID_OPTIONS' });
    expect(code(() => proxy.setProfile(testProfile({ bandwidthBitsPerSecond: -1 })))).toBe('ERR_NETWORK_INVALID_PROFILE');

    const taken = new FaultProxy(base);
    await expect(taken.listen(port)).rejects.toMatchObject({ code: 'ERR_NETWORK_LISTEN_FAILED' });
    await taken.close();
  });
});
