import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, SETTINGS, envName, loadConfig } from '../src/index.js';
import { tempDataDir } from './fixtures.js';

function keyOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.key;
    throw error;
  }
  return undefined;
}

describe('gateway configuration (one validated config: file, env, flags)', () => {
  it('[CTL-17] defaults are the secure ones', { tags: ['CTL-17'] }, () => {
    const config = loadConfig();
    expect(config['auth.sessionPolicy']).toBe('replace');
    expect(config['auth.clockToleranceS']).toBeLessThanOrEqual(60);
    expect(config['auth.accessTokenTtlS']).toBeLessThanOrEqual(300);
    expect(config['mqtt.port']).toBe(8883);
    expect(config.host).toBe('127.0.0.1');
    expect(config['mqtt.maxPacketBytes']).toBeLessThan(1024 * 1024);
  });

  it('[CTL-17] layers apply in order: file, then environment, then flags', { tags: ['CTL-17'] }, () => {
    const dir = tempDataDir();
    const file = join(dir.path, 'config.json');
    writeFileSync(file, JSON.stringify({ mqtt: { port: 1000, maxInflight: 7 }, 'auth.idleTimeoutS': 120 }));
    const config = loadConfig({ file, env: { MEDSIM_MQTT_PORT: '2000', MEDSIM_AUTH_SESSION_POLICY: 'reject' }, overrides: { 'mqtt.port': 3000 } });
    expect(config['mqtt.port']).toBe(3000);
    expect(config['mqtt.maxInflight']).toBe(7);
    expect(config['auth.sessionPolicy']).toBe('reject');
    expect(config['auth.idleTimeoutS']).toBe(120);
    dir.cleanup();
  });

  it('[CTL-09] a bad value stops start-up with an error naming the key', { tags: ['CTL-09'] }, () => {
    expect(keyOf(() => loadConfig({ overrides: { 'mqtt.port': 70_000 } }))).toBe('mqtt.port');
    expect(keyOf(() => loadConfig({ env: { MEDSIM_MQTT_PORT: '12ab' } }))).toBe('mqtt.port');
    expect(keyOf(() => loadConfig({ overrides: { 'auth.sessionPolicy': 'both' } }))).toBe('auth.sessionPolicy');
    expect(keyOf(() => loadConfig({ overrides: { 'auth.clockToleranceS': 3600 } }))).toBe('auth.clockToleranceS');
    expect(keyOf(() => loadConfig({ overrides: { 'auth.mfaForClinicians': 'yes' } }))).toBe('auth.mfaForClinicians');
    expect(keyOf(() => loadConfig({ overrides: { 'auth.unknownKey': 1 } }))).toBe('auth.unknownKey');
    expect(keyOf(() => loadConfig({ overrides: { host: 'evil host;' } }))).toBe('host');
    expect(keyOf(() => loadConfig({ overrides: { 'auth.idleTimeoutS': 7200, 'auth.absoluteLifetimeS': 3600 } }))).toBe('auth.idleTimeoutS');
    const dir = tempDataDir();
    const file = join(dir.path, 'bad.json');
    writeFileSync(file, '{ not json');
    expect(keyOf(() => loadConfig({ file }))).toBe('config');
    dir.cleanup();
  });

  it('[CTL-17] every key has an environment name and a documented range', { tags: ['CTL-17'] }, () => {
    expect(envName('auth.idleTimeoutS')).toBe('MEDSIM_AUTH_IDLE_TIMEOUT_S');
    expect(envName('dataDir')).toBe('MEDSIM_DATA_DIR');
    for (const setting of Object.values(SETTINGS)) expect(setting.doc.length).toBeGreaterThan(5);
  });
});
