/**
 * `medsim demo`: the crypto and protocol walk-through, in one process without a network: one
 * device and the gateway's crypto path, then envelope attacks. `medsim start` (npm start) runs
 * the real gateway and fleet.
 */
import { parseArgs } from 'node:util';
import { runCryptoDemo, type DemoStep } from '../demo/crypto-demo.js';
import { mark, paint } from '../ui/terminal.js';

/** Usage of `medsim demo`. */
export const demoUsage = `medsim demo [--json]

Runs one device and the gateway's crypto path end to end: identities, an HPKE session, readings
and an ECG frame through encrypted envelopes, then attacks that must each be refused.`;

const SECTIONS: Readonly<Record<DemoStep['section'], string>> = {
  setup: 'Setting up',
  readings: 'Biometric data, end-to-end encrypted',
  attacks: 'Attacks (each must be refused)',
  export: 'Interoperability',
};

/** Runs `medsim demo`; returns the exit code (1 when any step misbehaved). */
export async function demo(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { json: { type: 'boolean', default: false } } });
  const steps = await runCryptoDemo();
  const passed = steps.filter((s) => s.passed).length;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ steps, passed, total: steps.length }, null, 2)}\n`);
  } else {
    const lines = [paint('bold', 'medsim demo: the crypto path, device to gateway'), ''];
    let section: DemoStep['section'] | undefined;
    for (const step of steps) {
      if (step.section !== section) {
        section = step.section;
        lines.push(paint('cyan', SECTIONS[section]));
      }
      const detail = step.section === 'attacks' && step.passed ? paint('green', step.detail) : step.detail;
      lines.push(`  ${mark(step.passed)} ${step.title.padEnd(36)} ${detail}`);
    }
    lines.push('', `${passed}/${steps.length} checks passed. Next: npm test (every test), npm run bench (speed).`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return passed === steps.length ? 0 : 1;
}
