import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The built binary, as `npm start` runs it (npm test builds before testing).
const bin = fileURLToPath(new URL('../dist/bin/medsim.js', import.meta.url));
const run = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

describe('the medsim command line', () => {
  it('[CTL-23] explains itself and refuses unknown commands and options with exit code 2', { tags: ['CTL-23'] }, async () => {
    expect((await run('--help')).stdout).toContain('demo');
    const unknown = await run('launch-missiles');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command');
    const badOption = await run('bench', '--rounds', '0');
    expect(badOption.code).toBe(2);
    expect((await run('bench', '--rounds', '1.5')).code).toBe(2);
    expect((await run('bench', '--frobnicate')).code).toBe(2);
  });

  it('runs the demo as JSON for harnesses', async () => {
    const { code, stdout } = await run('demo', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { passed: number; total: number };
    expect(report.passed).toBe(report.total);
  });
});
