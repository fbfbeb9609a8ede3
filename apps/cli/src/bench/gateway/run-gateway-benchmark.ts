/**
 * The gateway benchmark (`medsim bench`, gateway section): N device clients over TLS publish
 * QoS 1 readings through the full path (decrypt, validate, durable commit, fan-out to a
 * WebSocket subscriber), and the same load goes through Mosquitto as a plain relay, in paired
 * runs that alternate which goes first. Reported: readings/s, loss, and p50/p99 latency from
 * device publish to subscriber receipt; the goals are ratios of medians over the rounds.
 */
import { DeviceClient, DeviceCredentials, pulseOximeterReading } from '@medsim/testkit';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { median } from '../measure.js';
import type { GatewayWorkerReady, GatewayWorkerRequest } from './gateway-worker.js';
import { LatencyBook, type RunResult } from './latency.js';
import { closedLoop, drain, openLoop, type Publisher } from './load.js';
import type { ReceiptBatch, SubscriberTarget } from './subscriber-worker.js';
import { connectGatewayFleet, connectMosquittoFleet, gatewayPublisher, mosquittoAvailable } from './targets.js';

/** Settings of the gateway benchmark. */
export interface GatewayBenchOptions {
  readonly devices?: number;
  /** Offered rate of the sustained run, readings/s (goal: 10,000 from 1,000 devices, nothing lost). */
  readonly rate?: number;
  /** Offered rate of the latency run, readings/s (goal: p99 ≤ 2 × Mosquitto's at 5,000/s). */
  readonly latencyRate?: number;
  readonly seconds?: number;
  readonly rounds?: number;
  /** Also drive Mosquitto (skipped when none answers on 127.0.0.1:1883). */
  readonly mosquitto?: boolean;
  readonly onProgress?: (stage: string) => void;
}

/** One system's three runs in one round. */
export interface SystemRound {
  readonly sustained: RunResult;
  readonly latency: RunResult;
  readonly saturation: RunResult;
}

/** A goal and whether this run met it. */
export interface GatewayGoal {
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | null;
}

/** The benchmark's result (also what `--json` prints). */
export interface GatewayBenchResult {
  readonly settings: Required<Omit<GatewayBenchOptions, 'onProgress'>>;
  readonly mosquitto: boolean;
  readonly rounds: readonly { readonly gateway: SystemRound; readonly mosquitto?: SystemRound }[];
  readonly medians: {
    readonly gateway: { readonly sustainedPerSecond: number; readonly saturationPerSecond: number; readonly p50Ms: number; readonly p99Ms: number; readonly lost: number };
    readonly mosquitto?: { readonly sustainedPerSecond: number; readonly saturationPerSecond: number; readonly p50Ms: number; readonly p99Ms: number; readonly lost: number };
    /** Median over rounds of gateway ÷ Mosquitto saturation throughput. */
    readonly throughputRatio?: number;
    /** Median over rounds of gateway ÷ Mosquitto p99 at the latency rate. */
    readonly p99Ratio?: number;
  };
  readonly goals: readonly GatewayGoal[];
  /** The gateway's ingest counters at the end: readings stored, duplicates, refusals, commits (fsyncs). */
  readonly ingest: { readonly stored: number; readonly duplicates: number; readonly refused: number; readonly commits: number; readonly walBytes: number };
}

/** A subscriber in its own thread; receipts go to whichever book is current. */
async function startSubscriber(target: SubscriberTarget, onReceipts: (batch: ReceiptBatch) => void, onClosed: (reason: string) => void): Promise<Worker> {
  const worker = new Worker(new URL('./subscriber-worker.js', import.meta.url), { workerData: target });
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (message: { type: string; reason?: string } | ReceiptBatch) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'receipts') onReceipts(message as ReceiptBatch);
      else if (message.type === 'closed') onClosed((message as { reason: string }).reason);
    });
  });
  return worker;
}

async function stopSubscriber(worker: Worker): Promise<void> {
  worker.postMessage('stop');
  await new Promise<void>((resolve) => {
    worker.on('message', (message: { type: string }) => message.type === 'stopped' && resolve());
    setTimeout(resolve, 2000);
  });
  await worker.terminate();
}

async function measure(publishers: readonly Publisher[], book: LatencyBook, run: () => Promise<void>): Promise<RunResult> {
  await run();
  await drain(book, 10_000);
  return book.result();
}

/** Runs the gateway benchmark. */
export async function runGatewayBenchmark(options: GatewayBenchOptions = {}): Promise<GatewayBenchResult> {
  const settings = {
    devices: options.devices ?? 1000,
    rate: options.rate ?? 10_000,
    latencyRate: options.latencyRate ?? 5_000,
    seconds: options.seconds ?? 5,
    rounds: options.rounds ?? 3,
    mosquitto: options.mosquitto ?? true,
  };
  const progress = options.onProgress ?? ((): void => undefined);
  const durationMs = settings.seconds * 1000;
  const useMosquitto = settings.mosquitto && (await mosquittoAvailable());

  progress('starting the gateway');
  const worker = new Worker(new URL('./gateway-worker.js', import.meta.url));
  const request = async <T>(message: GatewayWorkerRequest, answer: string): Promise<T> => {
    worker.postMessage(message);
    for (;;) {
      const [reply] = (await once(worker, 'message')) as [{ type: string }];
      if (reply.type === answer) return reply as T;
    }
  };
  const [ready] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([e]) => Promise.reject(e as Error))])) as [GatewayWorkerReady];

  progress(`creating ${settings.devices} device identities`);
  const fleet = await Promise.all(Array.from({ length: settings.devices }, (_, i) => DeviceCredentials.create(`bench-${String(i).padStart(5, '0')}`)));
  const patientCount = Math.max(1, Math.ceil(settings.devices / 100));
  const enrolled = await request<{ answers: DeviceCredentials['enrolment'][]; patients: string[] }>(
    { type: 'enrol', devices: fleet.map((c) => ({ deviceId: c.deviceId, csrPem: c.csrPem, identity: c.identity.publicJwks() })), patients: patientCount },
    'enrolled',
  );
  fleet.forEach((credentials, i) => credentials.enrolled(enrolled.answers[i]!));

  let book = new LatencyBook();
  const toBook = (batch: ReceiptBatch): void => batch.keys.forEach((key, i) => book.received(key, batch.times[i]!));
  progress('connecting the WebSocket subscriber');
  let streamClosed: string | undefined;
  const stream = await startSubscriber(
    { kind: 'gateway', login: { port: ready.httpPort, caPem: ready.caPem, ...ready.clinician, patients: enrolled.patients } },
    toBook,
    (reason) => (streamClosed = reason),
  );
  progress(`connecting ${settings.devices} devices (TLS + HPKE handshake)`);
  const clients = await connectGatewayFleet(fleet, ready.mqttPort);
  const gatewayPublishers = clients.map(gatewayPublisher);
  const envelopeBytes = DeviceClient.sealReadingWith(clients[0]!.session, pulseOximeterReading(0)).length;

  let mosquittoFleet: Awaited<ReturnType<typeof connectMosquittoFleet>> | undefined;
  let mosquittoSubscriber: Worker | undefined;
  if (useMosquitto) {
    progress(`connecting ${settings.devices} Mosquitto clients`);
    mosquittoSubscriber = await startSubscriber({ kind: 'mosquitto' }, toBook, () => undefined);
    mosquittoFleet = await connectMosquittoFleet(settings.devices, envelopeBytes);
  }

  const runSystem = async (publishers: readonly Publisher[], label: string, round: number): Promise<SystemRound> => {
    if (streamClosed !== undefined) throw new Error(`the gateway closed the benchmark's WebSocket: ${streamClosed}`);
    progress(`round ${round + 1}/${settings.rounds}: ${label} sustained ${settings.rate}/s`);
    book = new LatencyBook();
    const sustained = await measure(publishers, book, () => openLoop(publishers, settings.rate, durationMs, book));
    progress(`round ${round + 1}/${settings.rounds}: ${label} latency at ${settings.latencyRate}/s`);
    book = new LatencyBook();
    const latency = await measure(publishers, book, () => openLoop(publishers, settings.latencyRate, durationMs, book));
    progress(`round ${round + 1}/${settings.rounds}: ${label} saturation`);
    book = new LatencyBook();
    const saturation = await measure(publishers, book, () => closedLoop(publishers, durationMs, book));
    return { sustained, latency, saturation };
  };

  const rounds: { gateway: SystemRound; mosquitto?: SystemRound }[] = [];
  for (let round = 0; round < settings.rounds; round += 1) {
    // Alternate which system goes first, so a slow moment of the machine falls on both.
    if (mosquittoFleet !== undefined && round % 2 === 1) {
      const mosquitto = await runSystem(mosquittoFleet.publishers, 'Mosquitto', round);
      rounds.push({ mosquitto, gateway: await runSystem(gatewayPublishers, 'gateway', round) });
    } else {
      const gateway = await runSystem(gatewayPublishers, 'gateway', round);
      rounds.push(mosquittoFleet === undefined ? { gateway } : { gateway, mosquitto: await runSystem(mosquittoFleet.publishers, 'Mosquitto', round) });
    }
  }

  progress('closing');
  const { counters } = await request<{ counters: GatewayBenchResult['ingest'] }>({ type: 'counters' }, 'counters');
  if (streamClosed !== undefined) throw new Error(`the gateway closed the benchmark's WebSocket: ${streamClosed}`);
  await Promise.all(clients.map((c) => c.client.close()));
  await mosquittoFleet?.close();
  await stopSubscriber(stream);
  if (mosquittoSubscriber !== undefined) await stopSubscriber(mosquittoSubscriber);
  await request({ type: 'stop' }, 'stopped');
  await worker.terminate();

  const summary = (pick: (r: (typeof rounds)[number]) => SystemRound | undefined) => {
    const runs = rounds.map(pick).filter((r): r is SystemRound => r !== undefined);
    return {
      sustainedPerSecond: median(runs.map((r) => r.sustained.throughput)),
      saturationPerSecond: median(runs.map((r) => r.saturation.throughput)),
      p50Ms: median(runs.map((r) => r.latency.p50Ms)),
      p99Ms: median(runs.map((r) => r.latency.p99Ms)),
      lost: runs.reduce((n, r) => n + r.sustained.lost + r.latency.lost + r.saturation.lost, 0),
    };
  };
  const gateway = summary((r) => r.gateway);
  const mosquitto = mosquittoFleet === undefined ? undefined : summary((r) => r.mosquitto);
  const throughputRatio = mosquitto === undefined ? undefined : median(rounds.map((r) => r.gateway.saturation.throughput / r.mosquitto!.saturation.throughput));
  const p99Ratio = mosquitto === undefined ? undefined : median(rounds.map((r) => r.gateway.latency.p99Ms / r.mosquitto!.latency.p99Ms));
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const goals: GatewayGoal[] = [
    {
      goal: `${fmt(settings.rate)} readings/s from ${fmt(settings.devices)} devices sustained, nothing lost`,
      measured: `${fmt(gateway.sustainedPerSecond)}/s delivered, ${gateway.lost} lost`,
      met: gateway.sustainedPerSecond >= settings.rate * 0.98 && gateway.lost === 0,
    },
    {
      goal: 'throughput ≥ 0.8 × Mosquitto (saturation, same load)',
      measured: throughputRatio === undefined ? 'Mosquitto absent' : `${throughputRatio.toFixed(2)}×`,
      met: throughputRatio === undefined ? null : throughputRatio >= 0.8,
    },
    {
      goal: `p99 at ${fmt(settings.latencyRate)}/s ≤ 2 × Mosquitto's p99`,
      measured: p99Ratio === undefined ? 'Mosquitto absent' : `${p99Ratio.toFixed(2)}× (${gateway.p99Ms.toFixed(1)} ms vs ${mosquitto!.p99Ms.toFixed(1)} ms)`,
      met: p99Ratio === undefined ? null : p99Ratio <= 2,
    },
  ];
  return {
    settings,
    mosquitto: mosquittoFleet !== undefined,
    rounds,
    medians: { gateway, ...(mosquitto === undefined ? {} : { mosquitto, throughputRatio: throughputRatio!, p99Ratio: p99Ratio! }) },
    goals,
    ingest: counters,
  };
}
