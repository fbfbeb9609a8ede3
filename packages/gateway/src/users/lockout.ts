/**
 * Account lockout with back-off (CTL-02; ASVS 6.3.1): after `maxFailed` failures in a row the
 * account locks for `base`, then 2·base, 4·base… per further lock, capped at 24 h. A success
 * clears the failures and the back-off. Pure arithmetic, shared by stored users and the
 * in-memory table that gives unknown names the same behaviour.
 */

/** Longest lock: 24 h. */
export const LOCK_CAP_MS = 24 * 3600 * 1000;

/** Lockout settings. */
export interface LockoutPolicy {
  readonly maxFailed: number;
  readonly baseMs: number;
}

/** Failure state of one account. */
export interface LockState {
  readonly failed: number;
  readonly lockCount: number;
  /** ms since the epoch; 0 or past means not locked. */
  readonly lockedUntil: number;
}

/** The state after one more failure at `nowMs`. */
export function afterFailure(state: LockState, policy: LockoutPolicy, nowMs: number): LockState {
  const failed = state.failed + 1;
  if (failed < policy.maxFailed) return { ...state, failed };
  // 2^lockCount grows past the cap long before it overflows: 2^17 · 1 s > 24 h.
  const period = Math.min(policy.baseMs * 2 ** Math.min(state.lockCount, 40), LOCK_CAP_MS);
  return { failed: 0, lockCount: state.lockCount + 1, lockedUntil: nowMs + period };
}

/** Seconds until the lock ends (at least 1), or 0 when not locked. */
export function lockRemainingS(state: LockState, nowMs: number): number {
  return state.lockedUntil > nowMs ? Math.max(1, Math.ceil((state.lockedUntil - nowMs) / 1000)) : 0;
}
