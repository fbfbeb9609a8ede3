import { describe, expect, it } from 'vitest';
import { PHI_REDACT_PATHS, REDACTED, componentLogger, createLogger, silentLogger } from '@medsim/logging';
import { Capture } from './capture.js';

const CANARY = 'canary-7f3a9c';

/** An object holding CANARY at `path` (`*` becomes a level named "nested"; ["x"] a plain key). */
function objectWithCanaryAt(path: string): Record<string, unknown> {
  const keys = path
    .replace(/\["([^"]+)"\]/gu, '.$1')
    .split('.')
    .map((key) => (key === '*' ? 'nested' : key));
  const root: Record<string, unknown> = {};
  let at = root;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) at[key] = CANARY;
    else at = (at[key] = {});
  });
  return root;
}

describe('createLogger', () => {
  it('[CTL-07][CTL-14] redacts every listed PHI and secret path: the canary never reaches the output', { tags: ['CTL-07', 'CTL-14'] }, () => {
    const capture = new Capture();
    const logger = createLogger({ destination: capture });
    for (const path of PHI_REDACT_PATHS) logger.info({ deviceId: 'pump-0001', ...objectWithCanaryAt(path) }, 'probe');
    expect(capture.lines).toHaveLength(PHI_REDACT_PATHS.length);
    expect(capture.text).not.toContain(CANARY);
    expect(capture.text.split(REDACTED).length - 1).toBe(PHI_REDACT_PATHS.length);
    // What is not PHI stays readable.
    expect(capture.lines.every((line) => line['deviceId'] === 'pump-0001')).toBe(true);
  });

  it('[CTL-14] redacts in child loggers and their bindings too', { tags: ['CTL-14'] }, () => {
    const capture = new Capture();
    const child = componentLogger(createLogger({ destination: capture }), 'broker').child({ token: CANARY });
    child.warn({ reading: { spo2: 97 }, password: CANARY }, 'login');
    expect(capture.text).not.toContain(CANARY);
    expect(capture.text).not.toContain('97');
    expect(capture.lines[0]).toMatchObject({ component: 'broker', level: 'warn', msg: 'login', name: 'medsim' });
  });

  it('writes JSON lines with ISO times and level names; silentLogger writes nothing', () => {
    const capture = new Capture();
    createLogger({ destination: capture, name: 'gateway', level: 'warn' }).info('dropped');
    createLogger({ destination: capture, name: 'gateway' }).error({ err: new Error('boom') }, 'failed');
    expect(capture.lines).toHaveLength(1);
    expect(capture.lines[0]).toMatchObject({ level: 'error', name: 'gateway', msg: 'failed' });
    expect(new Date(String(capture.lines[0]!['time'])).toISOString()).toBe(capture.lines[0]!['time']);
    expect(silentLogger.isLevelEnabled('error')).toBe(false);
  });
});
