/**
 * The requirement profiles against reference/regulatory.md: Generation B has its 15 items, exactly
 * the items the reference marks verbatim are verbatim (so a reconstruction is never shown as
 * official text), the Generation C anchors sit where their numbers say, every control is reached
 * from the MFDS checklists, and controls medsim has not fully built stay mapped.
 */
import { describe, expect, it } from 'vitest';
import { CONTROLS, PROFILES, PROFILE_IDS, assertValidProfile, controlsOf, type ProfileId } from '../../src/catalogue/index.js';
import type { Provenance, RequirementItem } from '../../src/model.js';

const VERBATIM: readonly Provenance[] = ['verbatim', 'verbatim-ko'];
const verbatimIds = (id: ProfileId): string[] => PROFILES[id].items.filter((i) => VERBATIM.includes(i.provenance)).map((i) => i.id);
const item = (id: ProfileId, itemId: string): RequirementItem => {
  const found = PROFILES[id].items.find((i) => i.id === itemId);
  if (found === undefined) throw new Error(`${id} has no item ${itemId}`);
  return found;
};
const MFDS: readonly ProfileId[] = ['mfds-2019', 'mfds-2022', 'mfds-2024'];

describe('every profile', () => {
  it.each(PROFILE_IDS)('%s keeps the catalogue rules: unique ids, known controls, texts, bases and standards', (id) => {
    expect(PROFILES[id].id).toBe(id);
    expect(() => assertValidProfile(PROFILES[id])).not.toThrow();
    expect(new Set(PROFILES[id].items.map((i) => i.id)).size).toBe(PROFILES[id].items.length);
    for (const i of PROFILES[id].items) expect(controlsOf(i).map((c) => c.id)).toEqual(i.controls);
  });

  it.each(PROFILE_IDS)('%s: a not-applicable item carries a written justification', (id) => {
    for (const i of PROFILES[id].items) if (i.notApplicable !== undefined) expect(i.notApplicable.trim(), i.id).not.toBe('');
  });
});

describe('provenance: exactly the items reference/regulatory.md marks [V] or [V-ko] are verbatim', () => {
  it('mfds-2019: only 1.1 and 1.2 (the seed); 1.3 … 6.1 are reconstructed', () => {
    expect(verbatimIds('mfds-2019')).toEqual(['1.1', '1.2']);
    for (const i of PROFILES['mfds-2019'].items.slice(2)) expect(i.provenance, i.id).toBe('reconstructed');
  });

  it('mfds-2022: all 15 (IMDRF N60 Table 1); B1-B5 were seen in Korean', () => {
    expect(verbatimIds('mfds-2022')).toEqual(PROFILES['mfds-2022'].items.map((i) => i.id));
    expect(PROFILES['mfds-2022'].items.filter((i) => i.provenance === 'verbatim-ko').map((i) => i.id)).toEqual(['B1', 'B2', 'B3', 'B4', 'B5']);
  });

  it('mfds-2024: only the six anchors, in Korean; candidates are secondary or reconstructed and are numbered by CR', () => {
    expect(verbatimIds('mfds-2024').sort()).toEqual(['DC-03', 'IA-08', 'RA-05', 'SI-11', 'TRE-01', 'UC-07']);
    for (const i of PROFILES['mfds-2024'].items) {
      if (i.provenance === 'verbatim-ko') continue;
      expect(['secondary', 'reconstructed'], i.id).toContain(i.provenance);
      expect(i.id).toMatch(/^CR \d\.\d{1,2}$/u);
      expect(i.standards).toContain(`IEC 62443-4-2 ${i.id}`);
    }
  });

  it('fda-premarket: all eight categories', () => {
    expect(verbatimIds('fda-premarket')).toEqual(['FDA-1', 'FDA-2', 'FDA-3', 'FDA-4', 'FDA-5', 'FDA-6', 'FDA-7', 'FDA-8']);
  });
});

describe('Generation B (mfds-2022)', () => {
  it('has exactly the 15 items B1 … B15 in the seven IMDRF groups', () => {
    expect(PROFILES['mfds-2022'].items.map((i) => i.id)).toEqual(Array.from({ length: 15 }, (_, n) => `B${n + 1}`));
    expect([...new Set(PROFILES['mfds-2022'].items.map((i) => i.group))]).toEqual([
      'Secure communications',
      'Data protection',
      'Device integrity',
      'User authentication',
      'Software maintenance',
      'Physical access',
      'Reliability and availability',
    ]);
  });
});

describe('Generation C (mfds-2024)', () => {
  const items = PROFILES['mfds-2024'].items;
  const byGroup = (prefix: string): RequirementItem[] => items.filter((i) => i.group.startsWith(`${prefix} `));

  it('has about 35 items in the six categories IA, UC, SI, DC, TRE, RA (no FR5)', () => {
    expect(items.length).toBeGreaterThanOrEqual(33);
    expect(items.length).toBeLessThanOrEqual(37);
    expect([...new Set(items.map((i) => i.group.split(' ')[0]))]).toEqual(['IA', 'UC', 'SI', 'DC', 'TRE', 'RA']);
  });

  it.each([
    ['IA', 'IA-08', 8, '1.12'],
    ['UC', 'UC-07', 7, '2.12'],
    ['SI', 'SI-11', 11, '3.14'],
    ['DC', 'DC-03', 3, '4.3'],
    ['TRE', 'TRE-01', 1, '6.1'],
    ['RA', 'RA-05', 5, '7.7'],
  ] as const)('%s: anchor %s is item %i of its category, at IEC 62443-4-2 CR %s', (group, anchor, position, cr) => {
    expect(byGroup(group).findIndex((i) => i.id === anchor) + 1).toBe(position);
    expect(item('mfds-2024', anchor).standards).toContain(`IEC 62443-4-2 CR ${cr}`);
  });

  it('the note says that which CRs MFDS kept is unknown', () => {
    expect(PROFILES['mfds-2024'].note).toMatch(/which other IEC 62443-4-2 CRs MFDS kept is unknown/u);
  });
});

describe('mapping to controls (reference/regulatory.md §2.2, §3.7)', () => {
  it('every control is reached from at least one MFDS item', () => {
    const reached = new Set(MFDS.flatMap((id) => PROFILES[id].items.flatMap((i) => i.controls)));
    expect(CONTROLS.map((c) => c.id).filter((id) => !reached.has(id))).toEqual([]);
  });

  it.each([
    ['mfds-2019', '1.1', ['CTL-01', 'CTL-02']],
    ['mfds-2019', '1.2', ['CTL-03']],
    ['mfds-2022', 'B8', ['CTL-24']],
    ['mfds-2022', 'B9', ['CTL-01', 'CTL-02', 'CTL-05', 'CTL-18']],
    ['mfds-2024', 'IA-08', ['CTL-02']],
    ['mfds-2024', 'UC-07', ['CTL-15']],
    ['mfds-2024', 'SI-11', ['CTL-13']],
    ['mfds-2024', 'DC-03', ['CTL-06', 'CTL-07', 'CTL-11']],
    ['mfds-2024', 'TRE-01', ['CTL-14']],
    ['mfds-2024', 'RA-05', ['CTL-17']],
    ['fda-premarket', 'FDA-8', ['CTL-12', 'CTL-20']],
  ] as const)('%s %s maps to %j', (profileId, itemId, controls) => {
    expect(item(profileId, itemId).controls).toEqual(expect.arrayContaining([...controls]));
  });

  it('controls medsim has not fully built (CTL-20, CTL-21, CTL-24) stay mapped from applicable items, never hidden as not applicable', () => {
    for (const id of ['CTL-20', 'CTL-21', 'CTL-24'] as const) {
      const mappings = PROFILE_IDS.flatMap((p) => PROFILES[p].items.filter((i) => i.controls.includes(id)));
      expect(mappings.length, id).toBeGreaterThan(0);
      for (const i of mappings) expect(i.notApplicable, `${id} via ${i.id}`).toBeUndefined();
    }
  });

  it('the FDA categories come in the guidance order, each text opening with its category name', () => {
    const names = ['Authentication', 'Authorization', 'Cryptography', 'Code, data and execution integrity', 'Confidentiality', 'Event detection and logging', 'Resiliency and recovery', 'Updatability and patchability'];
    expect(PROFILES['fda-premarket'].items.map((i, n) => i.text.startsWith(names[n] ?? '?'))).toEqual(names.map(() => true));
  });
});
