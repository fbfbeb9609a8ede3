/**
 * Output of the `medsim firmware` actions: one JSON document per run with --json (for harnesses),
 * text for people otherwise, and a fixed bar for a share (a campaign's confirmed devices).
 */

/** Prints `value` as one JSON line. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Prints lines of text. */
export function printLines(lines: readonly string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `[██████░░░░] 3/5`: a bar for `done` of `total`, 20 cells. */
export function meter(done: number, total: number): string {
  const filled = total === 0 ? 0 : Math.round((Math.min(done, total) / total) * 20);
  return `[${'█'.repeat(filled)}${'░'.repeat(20 - filled)}] ${done}/${total}`;
}

/** The first 16 hex digits of an id or hash, as key files and tables show it. */
export const short = (id: string): string => id.slice(0, 16);
