/**
 * Terminal output for people: colour only on a TTY and without NO_COLOR, a progress bar on
 * stderr, fixed-width tables. Machine output (--json) never passes through here.
 */
import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

const colour = process.stdout.isTTY && process.env['NO_COLOR'] === undefined;

/** `text` in `style` when colour is on. */
export function paint(style: Style, text: string): string {
  return colour ? styleText(style, text) : text;
}

/** A green tick or a red cross. */
export const mark = (ok: boolean): string => (ok ? paint('green', '✓') : paint('red', '✗'));

/** Renders rows as a table with right-aligned numeric columns. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const pad = (cell: string, i: number): string => {
    const gap = ' '.repeat(Math.max(0, (width[i] ?? 0) - visibleLength(cell)));
    return /^[\d.,×x%-]+$/u.test(cell.replace(ANSI, '')) ? gap + cell : cell + gap;
  };
  const line = (cells: readonly string[]): string => cells.map(pad).join('  ');
  return [paint('bold', line(header)), ...rows.map(line)].join('\n');
}

// ANSI colour sequences take no room on screen.
// eslint-disable-next-line no-control-regex -- matching the ESC control character is the point
const ANSI = /\u001b\[[0-9;]*m/gu;

function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

/** A progress bar on stderr (only on a TTY); returns update and done functions. */
export function progress(label: string, total: number): { tick(): void; done(): void } {
  const tty = process.stderr.isTTY;
  let count = 0;
  const draw = (): void => {
    if (!tty) return;
    const width = 30;
    const filled = Math.round((count / total) * width);
    process.stderr.write(`\r${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${count}/${total}`);
  };
  draw();
  return {
    tick() {
      count += 1;
      draw();
    },
    done() {
      if (tty) process.stderr.write('\r\u001b[2K');
    },
  };
}

/** Formats a number with thousands separators and `digits` decimals. */
export const number = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
