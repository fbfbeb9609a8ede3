/**
 * The documents are built once as blocks (headings, paragraphs, tables, lists, a status chart) and
 * rendered twice: Markdown for the repository and review tools, printable HTML for the submission
 * (A4, tables that break across pages with their headers repeated, a chart that prints in gray).
 * One source for both, so the two can never say different things.
 */
import type { StatusCounts } from '../evaluation/index.js';

/** One block of a document. */
export type Block =
  | { readonly kind: 'heading'; readonly level: 1 | 2 | 3; readonly text: string; readonly anchor?: string }
  | { readonly kind: 'paragraph'; readonly text: string }
  | { readonly kind: 'list'; readonly items: readonly string[] }
  | { readonly kind: 'table'; readonly head: readonly string[]; readonly rows: readonly (readonly string[])[] }
  | { readonly kind: 'chart'; readonly title: string; readonly bars: readonly ({ readonly label: string } & StatusCounts)[] };

/** A document: a title and its blocks. */
export interface DocumentBlocks {
  readonly title: string;
  readonly blocks: readonly Block[];
}

const mdCell = (text: string): string => text.replace(/\|/gu, '\\|').replace(/\r?\n/gu, '<br>');

/** Markdown (GitHub flavour): the chart becomes a table of counts. */
export function renderMarkdown(doc: DocumentBlocks): string {
  const out: string[] = [`# ${doc.title}`, ''];
  for (const block of doc.blocks) {
    switch (block.kind) {
      case 'heading':
        out.push(`${'#'.repeat(block.level + 1)} ${block.text}`, '');
        break;
      case 'paragraph':
        out.push(block.text, '');
        break;
      case 'list':
        out.push(...block.items.map((item) => `- ${item}`), '');
        break;
      case 'table':
        out.push(`| ${block.head.map(mdCell).join(' | ')} |`, `| ${block.head.map(() => '---').join(' | ')} |`, ...block.rows.map((row) => `| ${row.map(mdCell).join(' | ')} |`), '');
        break;
      case 'chart':
        out.push(
          `**${block.title}**`,
          '',
          '| | applied | gap | not verified | not applicable | total |',
          '| --- | --- | --- | --- | --- | --- |',
          ...block.bars.map((b) => `| ${mdCell(b.label)} | ${b.applied} | ${b.gap} | ${b.notVerified} | ${b.notApplicable} | ${b.total} |`),
          '',
        );
        break;
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

const escapeHtml = (text: string): string => text.replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;').replace(/"/gu, '&quot;');

/** `code` spans and **bold** of the Markdown the blocks use, on escaped text. */
const inline = (text: string): string =>
  escapeHtml(text)
    .replace(/`([^`]+)`/gu, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/gu, '<strong>$1</strong>');

/** Fills and hatching per status: readable in color and printed in gray. */
const STATUS_STYLE = [
  { key: 'applied', label: 'applied', fill: '#2e7d32' },
  { key: 'gap', label: 'gap', fill: '#c62828' },
  { key: 'notVerified', label: 'not verified', fill: '#f9a825' },
  { key: 'notApplicable', label: 'not applicable', fill: '#9e9e9e' },
] as const;

/** A horizontal stacked bar per group, as inline SVG (no script, prints as is). */
function chartSvg(block: Extract<Block, { kind: 'chart' }>): string {
  const labelWidth = 260;
  const barWidth = 360;
  const rowHeight = 22;
  const height = block.bars.length * rowHeight + 34;
  const rows = block.bars.map((bar, i) => {
    const y = i * rowHeight + 4;
    let x = labelWidth;
    const parts = STATUS_STYLE.map(({ key, fill, label }) => {
      const count = bar[key];
      if (count === 0 || bar.total === 0) return '';
      const width = (barWidth * count) / bar.total;
      const rect = `<rect x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="16" fill="${fill}" stroke="#000" stroke-width="0.5"><title>${escapeHtml(`${bar.label}: ${count} ${label}`)}</title></rect>`;
      x += width;
      return rect;
    });
    return `<text x="${labelWidth - 6}" y="${y + 12}" text-anchor="end" font-size="11">${escapeHtml(bar.label)}</text>${parts.join('')}<text x="${labelWidth + barWidth + 6}" y="${y + 12}" font-size="11">${bar.applied}/${bar.total}</text>`;
  });
  const legendY = block.bars.length * rowHeight + 20;
  const legend = STATUS_STYLE.map(({ fill, label }, i) => `<rect x="${labelWidth + i * 95}" y="${legendY - 10}" width="10" height="10" fill="${fill}" stroke="#000" stroke-width="0.5"/><text x="${labelWidth + i * 95 + 14}" y="${legendY}" font-size="11">${label}</text>`).join('');
  return `<figure><figcaption>${inline(block.title)}</figcaption><svg role="img" aria-label="${escapeHtml(block.title)}" width="${labelWidth + barWidth + 60}" height="${height}" xmlns="http://www.w3.org/2000/svg">${rows.join('')}${legend}</svg></figure>`;
}

const CSS = `
body { font: 11pt/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #111; }
h1 { font-size: 18pt; } h2 { font-size: 14pt; margin-top: 1.6em; } h3 { font-size: 12pt; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0 1.2em; font-size: 9.5pt; }
th, td { border: 1px solid #999; padding: 3px 5px; vertical-align: top; text-align: left; }
thead { display: table-header-group; } tr { break-inside: avoid; }
th { background: #eee; } code { font-size: 9pt; }
figure { margin: 1em 0; } figcaption { font-weight: bold; margin-bottom: 0.3em; }
@page { size: A4; margin: 15mm; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
`;

/** A standalone, printable HTML page. */
export function renderHtml(doc: DocumentBlocks): string {
  const body = doc.blocks.map((block) => {
    switch (block.kind) {
      case 'heading': {
        const level = block.level + 1;
        return `<h${level}${block.anchor === undefined ? '' : ` id="${escapeHtml(block.anchor)}"`}>${inline(block.text)}</h${level}>`;
      }
      case 'paragraph':
        return `<p>${inline(block.text)}</p>`;
      case 'list':
        return `<ul>${block.items.map((item) => `<li>${inline(item)}</li>`).join('')}</ul>`;
      case 'table':
        return `<table><thead><tr>${block.head.map((h) => `<th>${inline(h)}</th>`).join('')}</tr></thead><tbody>${block.rows.map((row) => `<tr>${row.map((cell) => `<td>${inline(cell).replace(/\r?\n/gu, '<br>')}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
      case 'chart':
        return chartSvg(block);
    }
  });
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.title)}</title><style>${CSS}</style></head><body><h1>${inline(doc.title)}</h1>\n${body.join('\n')}\n</body></html>\n`;
}
