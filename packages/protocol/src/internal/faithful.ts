/**
 * Checks that an encoding says exactly what the caller asked for. protobufjs encodes what a field
 * can hold: 2^32 + 1000 in a uint32 field becomes 1000, 1000.5 becomes 1000, -1 becomes
 * 4294967295, a lone surrogate becomes U+FFFD. For a therapy command that would be a different
 * dose, so encodeMessage() compares every field the caller set with the decoded result and refuses
 * any difference.
 */
import { OutOfRangeError } from '../errors.js';

const isBytes = (value: unknown): value is Uint8Array => value instanceof Uint8Array;

function differs(asked: unknown, got: unknown): boolean {
  if (isBytes(asked)) return !isBytes(got) || Buffer.compare(asked, got) !== 0;
  return !Object.is(asked, got) && !(asked === 0 && got === 0);
}

/** Throws OutOfRangeError naming the first field of `asked` that `got` does not hold exactly. */
export function assertFaithful(asked: unknown, got: unknown, path: string): void {
  if (asked === null || asked === undefined) return; // absent: encoded as the default
  if (Array.isArray(asked)) {
    const list = Array.isArray(got) ? (got as unknown[]) : [];
    if (list.length !== asked.length) throw unrepresentable(path);
    asked.forEach((item, i) => assertFaithful(item, list[i], `${path}[${i}]`));
    return;
  }
  if (typeof asked === 'object' && !isBytes(asked)) {
    const target = (got ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(asked)) {
      if (key === '$unknowns') continue;
      assertFaithful(value, target[key], `${path}.${key}`);
    }
    return;
  }
  if (differs(asked, got)) throw unrepresentable(path);
}

function unrepresentable(path: string): OutOfRangeError {
  return new OutOfRangeError(`${path} cannot be encoded as given (out of the field's range or not an integer)`, {
    details: { field: path },
  });
}
