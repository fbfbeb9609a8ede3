/**
 * A requirement item's status from the statuses of the controls it maps to, and the per-group counts
 * the HTML chart draws.
 *
 * Rule: an item is 'applied' only when it has controls and every one of them is applied. Any control
 * that is a gap makes the item a 'gap'; otherwise any control not verified makes it 'not-verified'
 * (an item with no controls is not verified: nothing tests it). An item that says it does not apply
 * is 'not-applicable', with its written justification, whatever its controls show.
 */
import type { ControlId, EvidenceStatus, RequirementItem, RequirementProfile } from '../model.js';
import { InvalidEvaluationInputError } from '../errors.js';
import type { ControlStatus } from './control-status.js';

/** One requirement item's evaluation. */
export interface ItemEvaluation {
  readonly item: RequirementItem;
  readonly status: EvidenceStatus;
  /** The item's controls and their statuses, in the item's order. */
  readonly controls: readonly { readonly id: ControlId; readonly status: ControlStatus }[];
  /** Why the item does not apply; set only for 'not-applicable'. */
  readonly justification?: string;
}

/** How many items have each status. */
export interface StatusCounts {
  readonly applied: number;
  readonly gap: number;
  readonly notVerified: number;
  readonly notApplicable: number;
  readonly total: number;
}

/** The counts of one group (checklist section) of a profile. */
export interface GroupSummary extends StatusCounts {
  readonly group: string;
}

/** The item status from its controls' statuses (the rule in the file header). */
export function itemStatus(controls: readonly ControlStatus[]): Exclude<EvidenceStatus, 'not-applicable'> {
  if (controls.includes('gap')) return 'gap';
  if (controls.length === 0 || controls.includes('not-verified')) return 'not-verified';
  return 'applied';
}

/**
 * Evaluates every item of a profile, in profile order, from control statuses (evaluateControls).
 * @throws InvalidEvaluationInputError when a control is listed twice, an item names a control
 *   without a status, or a not-applicable item has an empty justification.
 */
export function evaluateItems(
  profile: RequirementProfile,
  controls: readonly { readonly id: ControlId; readonly status: ControlStatus }[],
): ItemEvaluation[] {
  const statuses = new Map<ControlId, ControlStatus>();
  for (const { id, status } of controls) {
    if (statuses.has(id)) throw new InvalidEvaluationInputError(`Control ${id} is listed twice`, { details: { control: id } });
    statuses.set(id, status);
  }
  return profile.items.map((item) => {
    const linked = item.controls.map((id) => {
      const status = statuses.get(id);
      if (status === undefined) {
        throw new InvalidEvaluationInputError(`${profile.id} item ${item.id} names control ${id}, which was not evaluated`, {
          details: { profile: profile.id, item: item.id, control: id },
        });
      }
      return { id, status };
    });
    if (item.notApplicable === undefined) return { item, status: itemStatus(linked.map((c) => c.status)), controls: linked };
    if (item.notApplicable.trim() === '') {
      throw new InvalidEvaluationInputError(`${profile.id} item ${item.id} is not applicable without a justification`, {
        details: { profile: profile.id, item: item.id },
      });
    }
    return { item, status: 'not-applicable', controls: linked, justification: item.notApplicable };
  });
}

/** Counts items by status. */
export function countStatuses(items: readonly Pick<ItemEvaluation, 'status'>[]): StatusCounts {
  const of = (status: EvidenceStatus): number => items.filter((i) => i.status === status).length;
  return {
    applied: of('applied'),
    gap: of('gap'),
    notVerified: of('not-verified'),
    notApplicable: of('not-applicable'),
    total: items.length,
  };
}

/** Counts items by status within each group, groups in the order they first appear. */
export function summarizeByGroup(items: readonly ItemEvaluation[]): GroupSummary[] {
  const groups = [...new Set(items.map((i) => i.item.group))];
  return groups.map((group) => ({ group, ...countStatuses(items.filter((i) => i.item.group === group)) }));
}
