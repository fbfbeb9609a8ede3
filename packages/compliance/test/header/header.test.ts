import { describe, expect, it } from 'vitest';
import { SAFETY_LEVELS, checklistHeader, type HeaderDevice } from '../../src/index.js';

const pump: HeaderDevice = { model: 'insulin-pump', displayName: 'Insulin pump', safetyLevel: 'major', purposes: ['monitoring', 'control'], technologies: ['BLE'] };
const thermometer: HeaderDevice = { model: 'thermometer', displayName: 'Thermometer', safetyLevel: 'minor', purposes: ['monitoring'], technologies: ['BLE'] };
const ultrasound: HeaderDevice = { model: 'ultrasound', displayName: 'Ultrasound', safetyLevel: 'moderate', purposes: ['maintenance'], technologies: ['LTE', 'Wi-Fi'] };

describe('the checklist header', () => {
  it('takes the highest safety level, every technology and purpose in use, and the public networks', () => {
    const header = checklistHeader([thermometer, ultrasound, pump], [{ name: 'hospital-wifi', technology: 'wifi', public: false }, { name: 'lte', technology: 'lte', public: true }], 'home and hospital');
    expect(header.systemSafetyLevel).toBe('major');
    expect(header.technologies).toEqual(['BLE', 'LTE', 'Wi-Fi']);
    expect(header.purposes).toEqual(['monitoring', 'control', 'maintenance']);
    expect(header.publicNetworks).toEqual({ used: true, networks: ['lte'] });
    expect(checklistHeader([thermometer], [], 'home').systemSafetyLevel).toBe('minor');
    expect(checklistHeader([thermometer], [{ name: 'hospital-wifi', technology: 'wifi', public: false }], 'hospital').publicNetworks.used).toBe(false);
  });

  it('marks which safety-level definitions are the guideline\'s and which are reconstructed', () => {
    expect(SAFETY_LEVELS.major.provenance).toBe('verbatim-ko');
    expect(SAFETY_LEVELS.moderate.provenance).toBe('reconstructed');
    expect(SAFETY_LEVELS.minor.provenance).toBe('reconstructed');
  });

  it('refuses an empty system', () => {
    expect(() => checklistHeader([], [], 'home')).toThrow(RangeError);
  });
});
