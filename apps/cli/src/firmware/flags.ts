/**
 * Flag values of the `medsim firmware` actions: numbers and lists are checked here, so a bad value
 * is a UsageError naming its flag (exit code 2), never a request the gateway has to refuse.
 */
import { UsageError } from '../commands/usage-error.js';

/** A whole number from `min` to `max` written in decimal digits only, or a UsageError naming the flag. */
export function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/u.test(text) || !Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}`);
  return value;
}

/** A comma-separated list of non-empty items. */
export function commaList(text: string, flag: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`${flag} must be a comma-separated list without empty items`);
  return items;
}
