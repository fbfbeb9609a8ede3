/**
 * The control catalogue against the repository: 24 controls with the ids and titles of
 * vitest.tags.ts (the tags tests use to claim them), and code paths that name real source files,
 * so a rename or a deleted file breaks the traceability here rather than in a submitted report.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tags } from '../../../../vitest.tags.js';
import { CONTROLS } from '../../src/catalogue/index.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const tagDescription = new Map(tags.map((tag) => [tag.name, tag.description]));

describe('control catalogue', () => {
  it('holds CTL-01 … CTL-24 once each, in order', () => {
    expect(CONTROLS.map((c) => c.id)).toEqual(Array.from({ length: 24 }, (_, i) => `CTL-${String(i + 1).padStart(2, '0')}`));
  });

  it('every control id is a tag of vitest.tags.ts, titled as the tag or its short form (the text before the parenthesis)', () => {
    for (const control of CONTROLS) {
      const description = tagDescription.get(control.id);
      expect(description, control.id).toBeDefined();
      expect([description, description?.split(' (')[0]], control.id).toContain(control.title);
    }
  });

  it('every control names at least one implementing file, repository-relative, and each exists', () => {
    for (const control of CONTROLS) {
      expect(control.code.length, control.id).toBeGreaterThan(0);
      for (const path of control.code) {
        expect(path, control.id).not.toMatch(/^\/|(^|\/)\.\.(\/|$)/u);
        expect(statSync(`${root}${path}`, { throwIfNoEntry: false })?.isFile(), `${control.id}: ${path}`).toBe(true);
      }
    }
  });

  it('every control has a description, a verification, and distinct scopes and principles', () => {
    for (const control of CONTROLS) {
      expect(control.description.trim(), control.id).not.toBe('');
      expect(control.verification.trim(), control.id).not.toBe('');
      expect(control.scope.length, control.id).toBeGreaterThan(0);
      expect(new Set(control.scope).size, control.id).toBe(control.scope.length);
      expect(control.principles.length, control.id).toBeGreaterThan(0);
      expect(new Set(control.principles).size, control.id).toBe(control.principles.length);
    }
  });

  it('a control medsim has only partly built says so in its description', () => {
    // CTL-10 (no key rotation), CTL-20 (no KEV gate), CTL-21 (no signed backup), CTL-22 (no push
    // notification), CTL-24 (no anti-malware): the documents print these descriptions.
    for (const id of ['CTL-10', 'CTL-20', 'CTL-21', 'CTL-22', 'CTL-24']) {
      expect(CONTROLS.find((c) => c.id === id)?.description, id).toMatch(/not built|There (is|are) no/u);
    }
  });
});
