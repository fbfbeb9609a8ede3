/**
 * Looking profiles and controls up, and the catalogue rules, with deliberately broken profiles:
 * an unknown id is a typed error (also the prototype's own names), an item naming a control that
 * does not exist or a "not applicable" without its reason is refused before any document is made.
 */
import { MedsimError } from '@medsim/protocol';
import { describe, expect, it } from 'vitest';
import { CONTROLS, PROFILES, PROFILE_IDS, assertValidProfile, controlsOf, profile } from '../../src/catalogue/index.js';
import { ComplianceError, InvalidCatalogueError, UnknownControlError, UnknownProfileError, complianceErrorCatalogue } from '../../src/errors.js';
import type { RequirementItem, RequirementProfile } from '../../src/model.js';

const base: RequirementItem = {
  id: 'X1',
  group: 'Test group',
  text: 'A requirement.',
  provenance: 'reconstructed',
  basis: 'a fixture',
  standards: ['IEC 62443-4-2 CR 2.7'],
  controls: ['CTL-03'],
};
const profileOf = (...items: RequirementItem[]): RequirementProfile => ({ id: 'fixture', title: 'Fixture', note: 'fixture', items });

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
};

describe('profile(id)', () => {
  it.each(PROFILE_IDS)('returns %s', (id) => {
    expect(profile(id)).toBe(PROFILES[id]);
    expect(profile(id).id).toBe(id);
  });

  it.each(['mfds-2023', '', 'MFDS-2019', ' mfds-2019', '__proto__', 'toString', 'constructor', 'x'.repeat(100_000)])(
    'refuses %j with ERR_COMPLIANCE_UNKNOWN_PROFILE, echoing at most 64 characters',
    (id) => {
      const error = thrown(() => profile(id));
      expect(error).toBeInstanceOf(UnknownProfileError);
      expect(error).toBeInstanceOf(ComplianceError);
      expect(error).toBeInstanceOf(MedsimError);
      expect((error as UnknownProfileError).code).toBe('ERR_COMPLIANCE_UNKNOWN_PROFILE');
      expect(String((error as UnknownProfileError).details.profile).length).toBeLessThanOrEqual(64);
      expect((error as Error).message.length).toBeLessThan(200);
    },
  );
});

describe('controlsOf(item)', () => {
  it('gives the controls in the order the item lists them', () => {
    expect(controlsOf({ ...base, controls: ['CTL-24', 'CTL-01'] })).toEqual([CONTROLS[23], CONTROLS[0]]);
  });

  it('refuses a control id that is not in the catalogue with ERR_COMPLIANCE_UNKNOWN_CONTROL', () => {
    for (const id of ['CTL-25', 'CTL-00', 'CTL-1', 'CTL-'] as const) {
      const error = thrown(() => controlsOf({ ...base, controls: ['CTL-01', id] }));
      expect(error, id).toBeInstanceOf(UnknownControlError);
      expect((error as UnknownControlError).code).toBe('ERR_COMPLIANCE_UNKNOWN_CONTROL');
      expect((error as UnknownControlError).details).toEqual({ item: 'X1', control: id });
    }
  });
});

describe('assertValidProfile', () => {
  it('accepts an applicable item with a control, and a not-applicable one with a reason and no control', () => {
    expect(() => assertValidProfile(profileOf(base, { ...base, id: 'X2', controls: [], notApplicable: 'The device has no such interface.' }))).not.toThrow();
  });

  it.each([
    ['no items at all', profileOf()],
    ['an empty id', profileOf({ ...base, id: ' ' })],
    ['an id used twice', profileOf(base, { ...base })],
    ['a blank text', profileOf({ ...base, text: '' })],
    ['a blank basis', profileOf({ ...base, basis: '  ' })],
    ['no reference standard', profileOf({ ...base, standards: [] })],
    ['a blank reference standard', profileOf({ ...base, standards: [''] })],
    ['a control listed twice', profileOf({ ...base, controls: ['CTL-03', 'CTL-03'] })],
    ['an applicable item with no control', profileOf({ ...base, controls: [] })],
    ['not applicable without a reason', profileOf({ ...base, notApplicable: '' })],
    ['not applicable with a blank reason', profileOf({ ...base, notApplicable: ' \n\t' })],
  ])('refuses %s with ERR_COMPLIANCE_CATALOGUE_INVALID', (_, bad) => {
    const error = thrown(() => assertValidProfile(bad));
    expect(error).toBeInstanceOf(InvalidCatalogueError);
    expect((error as InvalidCatalogueError).code).toBe('ERR_COMPLIANCE_CATALOGUE_INVALID');
    expect((error as InvalidCatalogueError).details.profile).toBe('fixture');
  });

  it('refuses an item naming an unknown control with ERR_COMPLIANCE_UNKNOWN_CONTROL', () => {
    expect(thrown(() => assertValidProfile(profileOf({ ...base, controls: ['CTL-99'] })))).toBeInstanceOf(UnknownControlError);
  });
});

describe('error catalogue', () => {
  it('the catalogue\'s codes have meaning, remedy and their own class (docs-sync checks the whole package)', () => {
    const classes = [UnknownProfileError, UnknownControlError, InvalidCatalogueError];
    const codes = classes.map((Class) => new Class('probe').code);
    expect(codes.sort()).toEqual(['ERR_COMPLIANCE_CATALOGUE_INVALID', 'ERR_COMPLIANCE_UNKNOWN_CONTROL', 'ERR_COMPLIANCE_UNKNOWN_PROFILE']);
    for (const code of codes) {
      const entry = complianceErrorCatalogue[code];
      expect(entry.meaning.trim()).not.toBe('');
      expect(entry.remedy.trim()).not.toBe('');
    }
  });
});
