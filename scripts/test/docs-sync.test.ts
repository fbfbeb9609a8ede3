import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { protocolErrorCatalogue } from '@medsim/protocol';
import { cryptoErrorCatalogue } from '@medsim/crypto';
import * as protocol from '@medsim/protocol';
import * as crypto from '@medsim/crypto';
import * as ble from '@medsim/ble-radio';
import * as devices from '@medsim/devices';
import * as firmware from '@medsim/firmware';
import * as compliance from '@medsim/compliance';
import { renderAllDocs } from '../docs/render-all.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('generated documents stay true', () => {
  for (const [path, content] of renderAllDocs()) {
    it(`[CTL-23] ${path} matches the code (run npm run docs after a change)`, { tags: ['CTL-23'] }, () => {
      expect(readFileSync(`${root}${path}`, 'utf8')).toBe(content);
    });
  }

  it('[CTL-23] every exported error class has a catalogued code, and every catalogued code a class', { tags: ['CTL-23'] }, () => {
    const catalogued = new Set([...Object.keys(protocolErrorCatalogue), ...Object.keys(cryptoErrorCatalogue), ...Object.keys(ble.bleErrorCatalogue), ...Object.keys(devices.devicesErrorCatalogue), ...Object.keys(firmware.firmwareErrorCatalogue), ...Object.keys(compliance.complianceErrorCatalogue)]);
    const thrown = new Set<string>();
    for (const value of [...Object.values(protocol), ...Object.values(crypto), ...Object.values(ble), ...Object.values(devices), ...Object.values(firmware), ...Object.values(compliance)]) {
      if (typeof value !== 'function' || !(value.prototype instanceof protocol.MedsimError)) continue;
      if (value === protocol.ProtocolError || value === crypto.CryptoError || value === ble.BleError || value === devices.DeviceError || value === devices.FleetControlError || value === firmware.FirmwareError || value === compliance.ComplianceError) continue;
      const instance = new (value as new (message: string) => protocol.MedsimError)('probe');
      expect(catalogued.has(instance.code)).toBe(true);
      thrown.add(instance.code);
    }
    expect([...catalogued].filter((code) => !thrown.has(code))).toEqual([]);
  });
});
