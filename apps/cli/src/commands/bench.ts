/**
 * `medsim bench [crypto|gateway|firmware|fleet|rollout]`: the benchmarks (crypto, gateway and
 * firmware by default, as `npm run bench` runs them; fleet and rollout only when named).
 * crypto: messages/s and MB/s per path and size side by side, the ratios against the raw AES-GCM
 * baseline and the JWE baseline, the openssl reference and the goals. gateway: readings/s and
 * latency through the whole gateway beside Mosquitto relaying the same load
 * (bench/gateway/run-gateway-benchmark.ts). `--json` prints the same as JSON (one object with
 * `crypto` and `gateway`, or just the one asked for); `--check` exits 1 when a goal is missed.
 * fleet: simulated devices against a gateway in a child process, readings/s, CPU and resident
 * memory per device (bench/fleet/run-fleet-benchmark.ts). firmware: streaming verification of a
 * 64 MiB image against raw SHA-256 of the same bytes (bench/firmware/verify-benchmark.ts).
 * rollout: a firmware campaign over N lean update devices against a gateway in a child process,
 * time and bytes moved (bench/rollout/run-rollout-benchmark.ts).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  DEFAULT_ROUNDS,
  DEFAULT_SIZES,
  DEFAULT_SLICE_MS,
  PATHS,
  runCryptoBenchmark,
  sliceCount,
  type BenchmarkResult,
} from '../bench/run-benchmark.js';
import { PATH_LABELS } from '../bench/paths.js';
import { mark, number, paint, progress, table } from '../ui/terminal.js';
import { UsageError } from './usage-error.js';
import { runGatewayBenchmark, type GatewayBenchResult } from '../bench/gateway/run-gateway-benchmark.js';
import { runFleetBenchmark, type FleetBenchResult } from '../bench/fleet/run-fleet-benchmark.js';
import { parseModels } from '../bench/fleet/fleet-plan.js';
import { renderFleet } from '../bench/fleet/render-fleet.js';
import { runFirmwareBenchmark, type FirmwareBenchResult } from '../bench/firmware/verify-benchmark.js';
import { ROLLOUT_LIMITS, rolloutSettings, runRolloutBenchmark } from '../bench/rollout/run-rollout-benchmark.js';
import { renderRollout } from '../bench/rollout/render-rollout.js';

/** Usage of `medsim bench`. */
export const benchUsage = `medsim bench [crypto|gateway|firmware|fleet|rollout] [--json] [--out FILE] [--check]
             [--rounds N] [--slice-ms MS] [--sizes 64,256,...] [--no-openssl]
             [--devices N] [--rate N] [--latency-rate N] [--seconds N] [--gateway-rounds N] [--no-mosquitto]
             [--workers W] [--processes] [--duration S] [--model mix|MODEL,...] [--interval S]
             [--image-kib K] [--concurrency C] [--stages 10,50,100]

crypto   the crypto path: raw node:crypto AES-256-GCM, the tuned envelope, batched waveform
         frames and the jose per-reading JWE baseline, at 64 B, 256 B, 1 KiB and 16 KiB.
gateway  N devices over mTLS publishing QoS 1 readings through the whole gateway (decrypt,
         validate, durable commit, WebSocket fan-out), beside Mosquitto on 127.0.0.1:1883
         relaying the same load (skipped when absent). Defaults: 1,000 devices, 10,000/s
         sustained, latency at 5,000/s, 5 s runs, 3 paired rounds.
firmware streaming verification (header, SHA-256, TLVs, Ed25519) of a 64 MiB firmware image
         against raw node:crypto SHA-256 of the same bytes in the same run, 7 paired rounds.
fleet    N simulated devices (default 1,000, at most 10,000) over MQTT against a gateway in a
         child process, each reporting every --interval seconds (default 1): start time, readings/s generated and
         delivered, CPU and resident memory per device. --workers W splits the devices over W
         worker threads (default 1: the main thread); --processes makes each worker a child
         process (its own memory and file-descriptor limit: needed past about 9,000 devices, as
         each device holds two descriptors); --duration S is the measuring window
         (default 20 s); --model is mix (the six monitoring models) or model names. Flash fsync
         is off: the simulation is measured, not the disk. MQTT only (BLE needs the gateway's
         radio in its process).
rollout  a firmware campaign over N devices (default 1,000, at most ${ROLLOUT_LIMITS.maxDevices.toLocaleString('en-US')}) against a gateway
         in a child process: the release signed offline and published, the campaign created by
         a technician and approved by an admin with TOTP, then every device (a real update
         stack: keystore, mTLS, bootloader on files, TUF client, update agent; no MQTT) updates,
         at most --concurrency C at once (default 32): check, download, install, reboot,
         confirm. Prints the time from approval to the last confirm, devices/min, p50/p95 per
         device, time per stage, and bytes moved (image, metadata, director, reports; TCP both
         ways) per device against the image. --image-kib K: the image payload (default 1,024,
         at most ${ROLLOUT_LIMITS.maxImageKiB.toLocaleString('en-US')}); --stages: the campaign's percentages (default 100: one stage).
         Exits 1 unless every device confirmed. Flash fsync is off.
Without a name, crypto, gateway and firmware run.`;

/** Runs `medsim bench`; returns the exit code. */
export async function bench(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      devices: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '10000' },
      'latency-rate': { type: 'string', default: '5000' },
      seconds: { type: 'string', default: '5' },
      'gateway-rounds': { type: 'string', default: '3' },
      'no-mosquitto': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      rounds: { type: 'string', default: String(DEFAULT_ROUNDS) },
      'slice-ms': { type: 'string', default: String(DEFAULT_SLICE_MS) },
      sizes: { type: 'string', default: DEFAULT_SIZES.join(',') },
      'no-openssl': { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      workers: { type: 'string', default: '1' },
      processes: { type: 'boolean', default: false },
      duration: { type: 'string', default: '20' },
      model: { type: 'string', default: 'mix' },
      interval: { type: 'string', default: '1' },
      'image-kib': { type: 'string', default: '1024' },
      concurrency: { type: 'string', default: '32' },
      stages: { type: 'string', default: '100' },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const rounds = Number(values.rounds);
  const sliceMs = Number(values['slice-ms']);
  if (sizes.some((s) => !Number.isInteger(s) || s < 1 || s > 60 * 1024) || !Number.isInteger(rounds) || rounds < 1 || !(sliceMs >= 20)) {
    throw new UsageError('sizes must be 1..61440 bytes, rounds a whole number >= 1, slice-ms >= 20');
  }
  const which = positionals[0] ?? 'all';
  if (!['all', 'crypto', 'gateway', 'firmware', 'fleet', 'rollout'].includes(which) || positionals.length > 1) {
    throw new UsageError('say crypto, gateway, firmware, fleet, rollout, or nothing for crypto, gateway and firmware');
  }
  const gatewayOptions = {
    devices: Number(values.devices),
    rate: Number(values.rate),
    latencyRate: Number(values['latency-rate']),
    seconds: Number(values.seconds),
    rounds: Number(values['gateway-rounds']),
    mosquitto: !values['no-mosquitto'],
  };
  if (Object.values(gatewayOptions).some((v) => typeof v === 'number' && !(Number.isInteger(v) && v >= 1))) {
    throw new UsageError('devices, rate, latency-rate, seconds and gateway-rounds must be whole numbers >= 1');
  }
  if (which === 'fleet') return benchFleet(values);
  if (which === 'rollout') return benchRollout(values);
  let crypto: BenchmarkResult | undefined;
  if (which === 'all' || which === 'crypto') {
    const options = { sizes, rounds, sliceMs, openssl: !values['no-openssl'] };
    const bar = progress('crypto benchmark', sliceCount(options));
    crypto = await runCryptoBenchmark({ ...options, onSlice: () => bar.tick() });
    bar.done();
    if (!values.json) process.stdout.write(render(crypto));
  }
  let gateway: GatewayBenchResult | undefined;
  if (which === 'all' || which === 'gateway') {
    const tty = process.stderr.isTTY;
    gateway = await runGatewayBenchmark({ ...gatewayOptions, onProgress: (stage) => tty && process.stderr.write(`\r\u001b[2Kgateway benchmark: ${stage}`) });
    if (tty) process.stderr.write('\r\u001b[2K');
    if (!values.json) process.stdout.write(`${crypto === undefined ? '' : '\n'}${renderGateway(gateway)}`);
  }
  let firmware: FirmwareBenchResult | undefined;
  if (which === 'all' || which === 'firmware') {
    const bar = progress('firmware benchmark', 7);
    firmware = runFirmwareBenchmark({ onRound: () => bar.tick() });
    bar.done();
    if (!values.json) process.stdout.write(`${which === 'all' ? '\n' : ''}${renderFirmware(firmware)}`);
  }
  const only = { crypto, gateway, firmware }[which as 'crypto' | 'gateway' | 'firmware'];
  const json = `${JSON.stringify(which === 'all' ? { crypto, gateway, firmware } : only, null, 2)}\n`;
  if (values.out !== undefined) await writeFile(values.out, json);
  if (values.json) process.stdout.write(json);
  const missed = [...(crypto?.goals ?? []), ...(gateway?.goals ?? []), ...(firmware?.goals ?? [])].some((g) => g.met === false);
  return values.check && missed ? 1 : 0;
}

/** `medsim bench fleet`: its own options, no goals (so --check never fails it). */
async function benchFleet(values: { devices: string; workers: string; processes: boolean; duration: string; model: string; interval: string; json: boolean; out?: string | undefined }): Promise<number> {
  const devices = Number(values.devices);
  const intervalS = Number(values.interval);
  if (!(intervalS >= 0.1 && intervalS <= 3600)) throw new UsageError('fleet: --interval must be 0.1 to 3600 seconds');
  const workers = Number(values.workers);
  const durationS = Number(values.duration);
  if (!Number.isInteger(devices) || devices < 1 || devices > 10_000 || !Number.isInteger(workers) || workers < 1 || workers > devices || !Number.isInteger(durationS) || durationS < 1) {
    throw new UsageError('fleet: devices must be 1..10000, workers 1..devices, duration a whole number of seconds >= 1');
  }
  let models;
  try {
    models = parseModels(values.model);
  } catch (error) {
    throw new UsageError(`fleet: ${(error as Error).message}`);
  }
  const tty = process.stderr.isTTY;
  const fleet: FleetBenchResult = await runFleetBenchmark({ devices, workers, isolation: values.processes ? 'process' : 'thread', durationS, models, reportMs: intervalS * 1000, onProgress: (stage) => tty && process.stderr.write(`\r\u001b[2Kfleet benchmark: ${stage}`) });
  if (tty) process.stderr.write('\r\u001b[2K');
  const json = `${JSON.stringify(fleet, null, 2)}\n`;
  if (values.out !== undefined) await writeFile(values.out, json);
  process.stdout.write(values.json ? json : renderFleet(fleet));
  return 0;
}

/** `medsim bench rollout`: its own options; exits 1 unless every device confirmed. */
async function benchRollout(values: { devices: string; 'image-kib': string; concurrency: string; stages: string; json: boolean; out?: string | undefined }): Promise<number> {
  let settings;
  try {
    settings = rolloutSettings({ devices: Number(values.devices), imageKiB: Number(values['image-kib']), concurrency: Number(values.concurrency), stages: values.stages.split(',').map(Number) });
  } catch (error) {
    throw new UsageError(`rollout: ${(error as Error).message}`);
  }
  const tty = process.stderr.isTTY;
  const rollout = await runRolloutBenchmark({ ...settings, onProgress: (stage) => tty && process.stderr.write(`\r\u001b[2Krollout benchmark: ${stage}`) });
  if (tty) process.stderr.write('\r\u001b[2K');
  const json = `${JSON.stringify(rollout, null, 2)}\n`;
  if (values.out !== undefined) await writeFile(values.out, json);
  process.stdout.write(values.json ? json : renderRollout(rollout));
  const { rollout: r } = rollout;
  return r.confirmed === settings.devices && r.runningNewVersion === settings.devices ? 0 : 1;
}

function renderFirmware(result: FirmwareBenchResult): string {
  const { settings } = result;
  const lines = [
    paint('bold', `medsim bench firmware: a ${number(settings.imageBytes / 1024 / 1024, 0)} MiB image in ${number(settings.chunkBytes / 1024)} KiB chunks, medians of ${settings.rounds} paired rounds`),
    '',
    table(
      ['path', 'throughput'],
      [
        ['raw node:crypto SHA-256', `${number(result.rawSha256MBps)} MB/s`],
        ['ImageStreamVerifier (header, SHA-256, TLVs, Ed25519)', `${number(result.verifyMBps)} MB/s`],
      ],
    ),
    '',
    ...result.goals.map((g) => `${mark(g.met)} ${g.goal}: ${number(g.actual, 3)}× (goal ≥ ${g.target}×)`),
    '',
  ];
  return lines.join('\n');
}

function renderGateway(result: GatewayBenchResult): string {
  const { settings, medians } = result;
  const row = (name: string, m: GatewayBenchResult['medians']['gateway']): string[] => [
    name,
    `${number(m.sustainedPerSecond)}/s`,
    `${number(m.saturationPerSecond)}/s`,
    `${number(m.p50Ms, 1)} ms`,
    `${number(m.p99Ms, 1)} ms`,
    String(m.lost),
  ];
  const rows = [row('medsim gateway (mTLS, decrypt, validate, commit, WebSocket)', medians.gateway)];
  if (medians.mosquitto !== undefined) rows.push(row('Mosquitto relay (plain TCP, QoS 1)', medians.mosquitto));
  const lines = [
    paint('bold', `medsim bench gateway: ${number(settings.devices)} devices, QoS 1, medians of ${settings.rounds} paired rounds of ${settings.seconds} s`),
    '',
    table(['system', `at ${number(settings.rate)}/s`, 'saturation', `p50 @${number(settings.latencyRate)}/s`, 'p99', 'lost'], rows),
    `gateway ingest: ${number(result.ingest.stored)} readings in ${number(result.ingest.commits)} durable commits (${number(result.ingest.stored / Math.max(1, result.ingest.commits), 1)} per fsync), ${number(result.ingest.refused)} refused`,
    '',
    paint('bold', 'Goals'),
    ...result.goals.map((g) => `  ${g.met === null ? '·' : mark(g.met)} ${g.goal.padEnd(58)} ${g.measured}`),
    '',
  ];
  return lines.join('\n');
}

/** A wrong command line. */

function render(result: BenchmarkResult): string {
  const { sizes } = result.settings;
  const cell = (path: (typeof PATHS)[number], bytes: number): string => {
    const r = result.results.find((x) => x.path === path && x.bytes === bytes)!;
    return `${number(r.messagesPerSecond)} msg/s  ${number(r.megabytesPerSecond, 1)} MB/s`;
  };
  const lines: string[] = [];
  lines.push(paint('bold', 'medsim crypto benchmark'));
  lines.push(
    paint('dim', `${result.machine.node}, ${result.machine.openssl ?? 'openssl not found'}, ${result.machine.cores} × ${result.machine.cpu}`),
  );
  lines.push(
    paint(
      'dim',
      `median of ${result.settings.rounds} rounds; in each, the four paths of a size take turns for ${result.settings.sliceMs} ms; seal + open per message; ratios are medians of per-round ratios`,
    ),
  );
  lines.push('');
  lines.push(table(['path', ...sizes.map((s) => `${s} B`)], PATHS.map((path) => [PATH_LABELS[path], ...sizes.map((s) => cell(path, s))])));
  const openssl = sizes.map((s) => result.opensslBytesPerSecond[s]);
  if (openssl.some((v) => v !== undefined)) {
    lines.push(
      table(
        ['openssl speed -evp aes-256-gcm (encrypt only)', ...sizes.map((s) => `${s} B`)],
        [['', ...openssl.map((v) => (v === undefined ? '-' : `${number(v / 1e6, 1)} MB/s`))]],
      ),
    );
  }
  lines.push('');
  const rate = (path: (typeof PATHS)[number], bytes: number): number =>
    result.results.find((x) => x.path === path && x.bytes === bytes)!.messagesPerSecond;
  const ratio = (name: string, bytes: number): number => result.ratios.find((r) => r.name === name && r.bytes === bytes)!.ratio;
  const ratioRows = [
    ['tuned / raw AES-GCM', ...sizes.map((s) => `${number(ratio('tuned / raw', s), 2)}×`)],
    ['tuned / jose JWE', ...sizes.map((s) => `${number(ratio('tuned / jwe', s), 0)}×`)],
    ['waveform / raw AES-GCM', ...sizes.map((s) => `${number(ratio('waveform / raw', s), 2)}×`)],
    ...(['waveform', 'raw'] as const).map((path) => [
      // raw / openssl is the ceiling any per-message node:crypto path can reach on this machine.
      `${path} / openssl bytes/s`,
      ...sizes.map((s) => {
        const ref = result.opensslBytesPerSecond[s];
        return ref === undefined ? '-' : `${number((100 * rate(path, s) * s) / ref, 1)}%`;
      }),
    ]),
  ];
  lines.push(table(['ratio', ...sizes.map((s) => `${s} B`)], ratioRows));
  lines.push('');
  lines.push(`session handshakes (HPKE auth mode, both sides): ${number(result.handshakesPerSecond)} /s`);
  lines.push('');
  for (const g of result.goals) {
    const actual = g.actual === undefined ? 'not measured' : number(g.actual, g.target >= 10 ? 0 : 2);
    lines.push(`${g.met === undefined ? paint('yellow', '?') : mark(g.met)} ${g.goal}: ${actual} (goal ≥ ${g.target})`);
  }
  return `${lines.join('\n')}\n`;
}
