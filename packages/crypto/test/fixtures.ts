/** Shared fixtures of the crypto tests: a controlled clock and an established session pair. */
import { ContentType, MedsimError } from '@medsim/protocol';
import {
  DEFAULT_REKEY_POLICY,
  Identity,
  acceptSession,
  initiateSession,
  type RekeyPolicy,
  type SecureSession,
} from '@medsim/crypto';

/** A clock tests move by hand. */
export class TestClock {
  constructor(public nowMs = Date.UTC(2026, 10, 28, 12, 0, 0)) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** Identities are slow-ish to generate; tests share a few. */
export const identities = {
  gateway: await Identity.generate(),
  device: await Identity.generate(),
  other: await Identity.generate(),
};

/** A device and gateway session established through the real handshake. */
export interface SessionPair {
  readonly device: SecureSession;
  readonly gateway: SecureSession;
  readonly clock: TestClock;
}

/** Establishes a session for `deviceId` with the given policy. */
export function establish(deviceId = 'pulse-ox-0001', policy: RekeyPolicy = DEFAULT_REKEY_POLICY, clock = new TestClock()): SessionPair {
  const pending = initiateSession({ device: identities.device, deviceId, gateway: identities.gateway.public, now: clock.now });
  const accepted = acceptSession(pending.message, {
    gateway: identities.gateway,
    resolveDevice: (id, kid) => (id === deviceId && kid === identities.device.public.agreement.kid ? identities.device.public : undefined),
    now: clock.now,
    policy,
  });
  return { device: pending.complete(accepted.reply), gateway: accepted.session, clock };
}

/** The content type used for opaque test payloads. */
export const READING = ContentType.CONTENT_TYPE_VITAL_SIGN_READING;

/** The code of the typed error `fn` throws (or rejects with); fails the test for anything else. */
export async function refusalCode(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof MedsimError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** refusalCode() for synchronous calls. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof MedsimError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}
