/**
 * `medsim audit verify|export`: checks the hash chain of a gateway's audit trail (CTL-14) and
 * writes it out as JSON lines. Opens the database read-only, so it runs beside a live gateway.
 */
import { DATA_FILES, DataDir, exportAuditLog, loadConfig, openDatabase, verifyAuditChain } from '@medsim/gateway';
import { parseArgs } from 'node:util';
import { mark, paint } from '../ui/terminal.js';
import { UsageError } from './usage-error.js';

/** Usage of `medsim audit`. */
export const auditUsage = `medsim audit verify|export [--data-dir DIR] [--json]

verify  checks every entry's hash and link; exit code 1 names the first edited, deleted,
        inserted or reordered entry. Prints the head (sequence and hash) to keep as an anchor.
export  writes the whole trail as JSON lines (SIEM-friendly) to stdout.`;

/** Runs `medsim audit`; returns the exit code. */
export function audit(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const [action] = positionals;
  if (action !== 'verify' && action !== 'export') throw new UsageError('say verify or export');
  const config = loadConfig({ env: process.env, overrides: { dataDir: values['data-dir'] } });
  const db = openDatabase(DataDir.open(config.dataDir).file(DATA_FILES.database), { readonly: true });
  try {
    if (action === 'export') {
      for (const line of exportAuditLog(db)) process.stdout.write(`${line}\n`);
      return Promise.resolve(0);
    }
    const result = verifyAuditChain(db);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else if (result.ok) {
      process.stdout.write(`${mark(true)} audit chain intact: ${result.entries} entries; head #${result.head?.seq ?? 0} ${result.head?.hash ?? '-'}\n`);
    } else {
      const bad = result.firstBad!;
      process.stdout.write(`${mark(false)} ${paint('red', `audit chain broken at entry #${bad.seq} (${bad.reason})`)}; ${result.entries} entries verified before it\n`);
    }
    return Promise.resolve(result.ok ? 0 : 1);
  } finally {
    db.close();
  }
}
