/**
 * `medsim bench`: the crypto benchmark. Prints messages/s and MB/s per path and size side by
 * side, the ratios against the raw AES-GCM baseline and the JWE baseline, the openssl reference
 * and the goals; `--json` prints the same as JSON, `--check` exits 1 when a goal is missed.
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

/** Usage of `medsim bench`. */
export const benchUsage = `medsim bench [--json] [--out FILE] [--rounds N] [--slice-ms MS] [--sizes 64,256,...] [--no-openssl] [--check]

Measures the crypto path: raw node:crypto AES-256-GCM, the tuned envelope, batched waveform
frames and the jose per-reading JWE baseline, at 64 B, 256 B, 1 KiB and 16 KiB.`;

/** Runs `medsim bench`; returns the exit code. */
export async function bench(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      rounds: { type: 'string', default: String(DEFAULT_ROUNDS) },
      'slice-ms': { type: 'string', default: String(DEFAULT_SLICE_MS) },
      sizes: { type: 'string', default: DEFAULT_SIZES.join(',') },
      'no-openssl': { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const rounds = Number(values.rounds);
  const sliceMs = Number(values['slice-ms']);
  if (sizes.some((s) => !Number.isInteger(s) || s < 1 || s > 60 * 1024) || !Number.isInteger(rounds) || rounds < 1 || !(sliceMs >= 20)) {
    throw new UsageError('sizes must be 1..61440 bytes, rounds a whole number >= 1, slice-ms >= 20');
  }
  const options = { sizes, rounds, sliceMs, openssl: !values['no-openssl'] };
  const bar = progress('measuring', sliceCount(options));
  const result = await runCryptoBenchmark({ ...options, onSlice: () => bar.tick() });
  bar.done();
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (values.out !== undefined) await writeFile(values.out, json);
  process.stdout.write(values.json ? json : render(result));
  return values.check && result.goals.some((g) => g.met === false) ? 1 : 0;
}

/** A wrong command line. */
export class UsageError extends Error {}

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
