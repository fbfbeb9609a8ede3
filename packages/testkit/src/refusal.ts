/**
 * The stable code of a refusal, for tests that assert which typed error a call ends in.
 */
import { MedsimError } from '@medsim/protocol';

/** The code of the typed error `fn` throws (or rejects with); fails for anything else, or no refusal. */
export async function refusalCode(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof MedsimError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}
