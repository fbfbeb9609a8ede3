/**
 * The ids a test claims to verify, read from its vitest tags and from the `[ID]` prefixes of its name
 * ("[CTL-12][U3] refuses a rollback"). Both are read because each has a blind spot: `it.todo` takes no
 * options (so no tags), and a tag set on a `describe` reaches its tests' tags but not their titles.
 * vitest 4.1's JSON report carries the tags, inherited ones included (verified on vitest 4.1.12).
 *
 * Ids are the controls CTL-nn (reference/regulatory.md §2.1) and the attack and fault cases C, J, S,
 * M, F and U of attacks-and-faults.md (vitest.tags.ts). Other tags and bracketed prefixes (a spec
 * clause such as [MQTT-3.1.0-2]) are not evidence ids and are left out.
 */

/** Matches one evidence id: CTL-01 … CTL-99, or C/J/S/M/F/U followed by 1 … 99. */
export const EVIDENCE_ID_PATTERN = /^(?:CTL-\d{2}|[CJSMFU][1-9]\d?)$/u;

/** The longest bracketed prefix looked at, in characters: ids are at most 6. */
const MAX_PREFIX_CHARS = 32;

/** True when `id` is an evidence id (a control or an attack/fault case). */
export function isEvidenceId(id: string): boolean {
  return EVIDENCE_ID_PATTERN.test(id);
}

/**
 * The evidence ids among the leading `[…]` groups of one title, in order: "[CTL-12][U3] x" gives
 * CTL-12 and U3, "[MQTT-3.1.0-2][CTL-06] x" gives CTL-06. Reading stops at the first character that
 * does not open a group (whitespace between groups is allowed).
 */
export function idsFromTitle(title: string): string[] {
  const ids: string[] = [];
  let rest = title.trimStart();
  while (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || close > MAX_PREFIX_CHARS) break;
    const id = rest.slice(1, close);
    if (isEvidenceId(id)) ids.push(id);
    rest = rest.slice(close + 1).trimStart();
  }
  return ids;
}

/**
 * Every evidence id a test claims: its tags, then the prefixes of each describe title and of its own
 * title (a prefix on a describe speaks for the tests inside, as a tag on it does). No duplicates.
 */
export function testIds(tags: readonly string[], titles: readonly string[]): string[] {
  const ids = new Set<string>(tags.filter(isEvidenceId));
  for (const title of titles) for (const id of idsFromTitle(title)) ids.add(id);
  return [...ids];
}
