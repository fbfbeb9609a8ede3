/**
 * When a session must be replaced. AES-GCM keys have usage limits (NIST SP 800-38D §8.3; the TLS
 * 1.3 analysis in RFC 8446 §5.5 settles on about 2^24.5 full-size records), and a short key life
 * bounds what one stolen key exposes. The device rekeys at `rekeyAtFraction` of either limit; the
 * sealer refuses outright at the limit.
 */

/** Limits of one session. */
export interface RekeyPolicy {
  /** Envelopes one direction may seal under one key. */
  readonly maxMessages: number;
  /** Age after which the session may no longer seal, in milliseconds. */
  readonly maxAgeMs: number;
  /** needsRekey() turns true at this fraction of either limit. */
  readonly rekeyAtFraction: number;
  /** How long after maxAgeMs the receiver still opens envelopes in flight, in milliseconds. */
  readonly receiveGraceMs: number;
}

/** 2^24 envelopes or 24 hours, rekey at 75 %, 5 minutes of grace for envelopes in flight. */
export const DEFAULT_REKEY_POLICY: RekeyPolicy = {
  maxMessages: 2 ** 24,
  maxAgeMs: 24 * 60 * 60 * 1000,
  rekeyAtFraction: 0.75,
  receiveGraceMs: 5 * 60 * 1000,
};
