import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonFileState, MemoryState } from '../../src/control/persistent-state.js';
import { parseReplayState } from '../../src/control/therapy-command-verifier.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('MemoryState', () => {
  it('stores a copy: mutating the saved or loaded object changes nothing stored', () => {
    const state = new MemoryState<{ list: number[] }>();
    expect(state.load()).toBeUndefined();
    const value = { list: [1, 2] };
    state.save(value);
    value.list.push(3);
    const loaded = state.load();
    expect(loaded).toEqual({ list: [1, 2] });
    loaded?.list.push(4);
    expect(state.load()).toEqual({ list: [1, 2] });
  });
});

describe('JsonFileState', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medsim-state-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('[CTL-10] round-trips a value through a 0600 file and leaves no temporary file', { tags: ['CTL-10'] }, () => {
    const path = join(dir, 'flash', 'replay.json');
    const state = new JsonFileState(path, { parse: parseReplayState });
    expect(state.load()).toBeUndefined();
    state.save({ version: 1, lastSequence: 7, nonces: ['00'.repeat(16)] });
    state.save({ version: 1, lastSequence: 8, nonces: ['00'.repeat(16), 'ab'.repeat(16)] });
    // A new instance (a rebooted device) reads the last value.
    expect(new JsonFileState(path, { parse: parseReplayState }).load()).toEqual({ version: 1, lastSequence: 8, nonces: ['00'.repeat(16), 'ab'.repeat(16)] });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'flash'))).toEqual(['replay.json']);
  });

  it('replaces a stale temporary file left by a crash', () => {
    const path = join(dir, 'state.json');
    writeFileSync(`${path}.tmp`, 'torn', { mode: 0o644 });
    new JsonFileState<number>(path).save(42);
    expect(new JsonFileState<number>(path).load()).toBe(42);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('[CTL-23] refuses unreadable or misshapen state with ERR_THERAPY_STATE_CORRUPT', { tags: ['CTL-23'] }, () => {
    const path = join(dir, 'replay.json');
    writeFileSync(path, '{"version":1,"lastSeq');
    expect(codeOf(() => new JsonFileState(path, { parse: parseReplayState }).load())).toBe('ERR_THERAPY_STATE_CORRUPT');
    writeFileSync(path, JSON.stringify({ version: 1, lastSequence: -1, nonces: [] }));
    expect(codeOf(() => new JsonFileState(path, { parse: parseReplayState }).load())).toBe('ERR_THERAPY_STATE_CORRUPT');
    writeFileSync(path, JSON.stringify({ version: 1, lastSequence: 3, nonces: ['not hex'] }));
    expect(codeOf(() => new JsonFileState(path, { parse: parseReplayState }).load())).toBe('ERR_THERAPY_STATE_CORRUPT');
    // A directory where the file should be cannot be read either.
    expect(codeOf(() => new JsonFileState(dir).load())).toBe('ERR_THERAPY_STATE_CORRUPT');
  });
});
