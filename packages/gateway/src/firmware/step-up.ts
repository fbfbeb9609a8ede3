/**
 * Step-up authentication for the rollout decisions that let firmware flow to devices: approving,
 * resuming and advancing a campaign need a fresh TOTP code in the request, as confirming a
 * maintenance command does for technicians (therapy-commands.ts). Admins always have TOTP
 * (a privileged role, CTL-02), so the factor is always a code, never the password. The code must
 * be newer than the last one the account used (the login's), a wrong one counts towards the
 * account lockout, and every refusal is audited by the caller through `refuse`.
 */
import type { AuditSeverity } from '@medsim/logging';
import { CampaignStepUpFailedError, CampaignStepUpRequiredError, GatewayError } from '../errors.js';
import type { Principal } from '../user-plane/auth/authenticate.js';
import { lockRemainingS, type LockoutPolicy } from '../users/lockout.js';
import type { UserStore } from '../users/user-store.js';

/** What a step-up check needs. */
export interface StepUpDeps {
  readonly users: UserStore;
  readonly lockout: LockoutPolicy;
  readonly now: () => number;
  /** Records the lockout itself (`auth.lockout`). */
  readonly recordLockout: (caller: Principal) => void;
}

/**
 * Checks `totpCode` for `caller`; on any failure calls `refuse` (which audits and throws):
 * ERR_AUTH_LOCKED, ERR_AUTH_MFA_NOT_ENROLLED, ERR_CAMPAIGN_STEP_UP_REQUIRED, ERR_CAMPAIGN_STEP_UP_FAILED.
 */
export function checkStepUp(deps: StepUpDeps, caller: Principal, totpCode: string | undefined, refuse: (error: GatewayError, severity?: AuditSeverity) => never): void {
  const now = deps.now();
  const credentials = deps.users.credentials(caller.username);
  if (credentials === undefined) return refuse(new CampaignStepUpFailedError());
  const locked = (remainingS: number): never => refuse(new GatewayError('ERR_AUTH_LOCKED', 'too many failed attempts; try again later', { details: { retryAfterS: remainingS } }), 'high');
  if (lockRemainingS(credentials, now) > 0) locked(lockRemainingS(credentials, now));
  if (!credentials.mfaEnrolled) return refuse(new GatewayError('ERR_AUTH_MFA_NOT_ENROLLED', 'this decision needs a TOTP second factor; ask an admin to enrol one'));
  if (totpCode === undefined || totpCode === '') return refuse(new CampaignStepUpRequiredError());
  if (deps.users.acceptTotp(caller.userId, totpCode)) return;
  const state = deps.users.recordLoginFailure(caller.userId, deps.lockout);
  if (lockRemainingS(state, now) > 0) {
    deps.recordLockout(caller);
    locked(lockRemainingS(state, now));
  }
  refuse(new CampaignStepUpFailedError(), 'high');
}
