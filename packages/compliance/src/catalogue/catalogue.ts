/**
 * The requirement catalogue as the documents use it: the profiles by id, the controls an item
 * resolves to, and the rules every profile keeps (unique item ids, known controls, a written
 * justification for "not applicable", an applicable item always mapped to a control), checked
 * before a profile is reported on so that a broken catalogue fails loudly instead of printing a
 * checklist with holes.
 */
import type { Control, ControlId, RequirementItem, RequirementProfile } from '../model.js';
import { CONTROLS } from './controls.js';
import { InvalidCatalogueError, UnknownControlError, UnknownProfileError } from '../errors.js';
import { FDA_PREMARKET } from './profiles/fda-premarket.js';
import { MFDS_2019 } from './profiles/mfds-2019.js';
import { MFDS_2022 } from './profiles/mfds-2022.js';
import { MFDS_2024 } from './profiles/mfds-2024.js';

/** The id of a built-in profile. */
export type ProfileId = 'mfds-2019' | 'mfds-2022' | 'mfds-2024' | 'fda-premarket';

/** The built-in profiles, by id: the three MFDS checklist generations and the FDA categories. */
export const PROFILES: Readonly<Record<ProfileId, RequirementProfile>> = Object.freeze({
  'mfds-2019': MFDS_2019,
  'mfds-2022': MFDS_2022,
  'mfds-2024': MFDS_2024,
  'fda-premarket': FDA_PREMARKET,
});

/** The built-in profile ids, MFDS generations first, oldest first. */
export const PROFILE_IDS: readonly ProfileId[] = Object.freeze(['mfds-2019', 'mfds-2022', 'mfds-2024', 'fda-premarket']);

/** Longest id echoed into an error's details: ids come from the command line. */
const ECHO_MAX = 64;

const isProfileId = (id: string): id is ProfileId => (PROFILE_IDS as readonly string[]).includes(id);

const CONTROLS_BY_ID: ReadonlyMap<ControlId, Control> = new Map(CONTROLS.map((control) => [control.id, control]));

/** The profile `id`; throws UnknownProfileError (ERR_COMPLIANCE_UNKNOWN_PROFILE) for any other string. */
export function profile(id: string): RequirementProfile {
  if (!isProfileId(id)) {
    throw new UnknownProfileError(`no requirement profile "${id.slice(0, ECHO_MAX)}"; known: ${PROFILE_IDS.join(', ')}`, {
      details: { profile: id.slice(0, ECHO_MAX) },
    });
  }
  return PROFILES[id];
}

/** The controls `item` maps to, in its order; throws UnknownControlError for an id not in CONTROLS. */
export function controlsOf(item: RequirementItem): readonly Control[] {
  return item.controls.map((id) => {
    const control = CONTROLS_BY_ID.get(id);
    if (control === undefined) {
      throw new UnknownControlError(`requirement ${item.id} names ${id}, which is not in the control catalogue`, {
        details: { item: item.id, control: id },
      });
    }
    return control;
  });
}

/**
 * Checks the catalogue rules on `p`: every item has an id unique in the profile, a text, a basis
 * and at least one reference standard; its controls exist (UnknownControlError) and are listed
 * once; a not-applicable item has a non-blank justification, and any other item at least one
 * control. Throws InvalidCatalogueError (ERR_COMPLIANCE_CATALOGUE_INVALID) naming the first item
 * that breaks a rule.
 */
export function assertValidProfile(p: RequirementProfile): void {
  const invalid = (item: string, rule: string): InvalidCatalogueError =>
    new InvalidCatalogueError(`profile ${p.id}, item "${item}": ${rule}`, { details: { profile: p.id, item, rule } });
  if (p.items.length === 0) throw invalid('', 'a profile has at least one item');
  const seen = new Set<string>();
  for (const item of p.items) {
    if (item.id.trim() === '') throw invalid(item.id, 'the id is empty');
    if (seen.has(item.id)) throw invalid(item.id, 'the id is used twice');
    seen.add(item.id);
    if (item.text.trim() === '' || item.basis.trim() === '') throw invalid(item.id, 'text and basis are required');
    if (item.standards.length === 0 || item.standards.some((s) => s.trim() === '')) throw invalid(item.id, 'at least one reference standard, none blank');
    if (new Set(item.controls).size !== item.controls.length) throw invalid(item.id, 'a control is listed twice');
    controlsOf(item);
    if (item.notApplicable === undefined) {
      if (item.controls.length === 0) throw invalid(item.id, 'an applicable item maps to at least one control');
    } else if (item.notApplicable.trim() === '') {
      throw invalid(item.id, 'not applicable needs a written justification');
    }
  }
}
