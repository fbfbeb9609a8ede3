/**
 * Errors of @medsim/crypto. Each refusal has its own stable code so that audit entries and tests
 * can tell a replay from a bit flip; what a remote peer is told is the caller's decision (the
 * gateway answers every envelope failure the same way, C7: no oracle).
 */
import { MedsimError, type ErrorCatalogue, type MedsimErrorOptions } from '@medsim/protocol';

/** Codes of @medsim/crypto, with meaning and remedy (the source of docs/reference/errors.md). */
export const cryptoErrorCatalogue = {
  ERR_CRYPTO_AUTH_FAILED: {
    meaning: 'The AES-256-GCM tag did not verify: the header, ciphertext or tag was altered, or the envelope was sealed under other key material.',
    remedy: 'Nothing in the envelope is used. Repeated failures from one device point to tampering (security event).',
  },
  ERR_CRYPTO_REPLAY: {
    meaning: 'An envelope with this stream and sequence was already accepted in this session.',
    remedy: 'None for the receiver; the duplicate is dropped. A device resending after a lost acknowledgement is harmless.',
  },
  ERR_CRYPTO_TOO_OLD: {
    meaning: 'The sequence is older than the replay window (1,024 envelopes behind the newest accepted).',
    remedy: 'The envelope is dropped; a sender far behind should open a new session.',
  },
  ERR_CRYPTO_WRONG_KEY: {
    meaning: "The envelope's key id names another session than the one asked to open it.",
    remedy: 'Route envelopes by key id (SessionRegistry); a device must use the key id from its SessionAccept.',
  },
  ERR_CRYPTO_UNKNOWN_KEY: {
    meaning: 'No session or key with that id is known (never established, retired after rekeying, or a key id the handshake does not name).',
    remedy: 'The device must open a new session.',
  },
  ERR_CRYPTO_TRUNCATED: {
    meaning: 'An envelope or a stream ends early: framing runs past the input, a ciphertext is shorter than a tag, or a stream stops before its declared length.',
    remedy: 'Resend the whole envelope or restart the download; a cut input is never partly accepted.',
  },
  ERR_CRYPTO_CONTEXT_MISMATCH: {
    meaning: "The header's device id is not the session's device, or a message arrived in the wrong direction.",
    remedy: 'The envelope is dropped; an envelope moved to another device or topic is an attack.',
  },
  ERR_CRYPTO_REKEY_REQUIRED: {
    meaning: 'The session reached its message-count or age limit, so the sealer refuses to seal (it never reuses or wraps a nonce).',
    remedy: 'Open a new session (the device does this when needsRekey() turns true, before the hard limit).',
  },
  ERR_CRYPTO_SESSION_EXPIRED: {
    meaning: 'The receiving side refuses envelopes of a session past its age or message limit.',
    remedy: 'The device must open a new session.',
  },
  ERR_CRYPTO_HANDSHAKE_FAILED: {
    meaning: "A session handshake did not verify: the confirmation or the gateway's SessionAccept failed, or the keys do not match the enrolled identity.",
    remedy: 'Check the device is enrolled with this agreement key and talks to the right gateway key.',
  },
  ERR_CRYPTO_HANDSHAKE_STALE: {
    meaning: "The handshake's timestamp is further from the receiver's clock than the allowed skew.",
    remedy: "Synchronize the device clock (SessionAccept carries the gateway's time) and retry.",
  },
  ERR_CRYPTO_INVALID_KEY: {
    meaning: 'A key is malformed, of the wrong type or curve, holds private material where a public key is expected, has a low-order point, or does not match its key id.',
    remedy: 'Provide an OKP JWK (Ed25519 or X25519) whose RFC 7638 thumbprint is its kid.',
  },
  ERR_CRYPTO_SIGNATURE_INVALID: {
    meaning: 'A signature or JWS did not verify, used a disallowed algorithm or type, or names an unknown key.',
    remedy: 'Nothing signed is used; check the signer key and that the signed bytes were not altered.',
  },
  ERR_CRYPTO_MALFORMED: {
    meaning: 'A JWE or JWS is not well formed, or its protected header breaks the allow-list.',
    remedy: 'Send compact serializations produced with the documented algorithms.',
  },
  ERR_CRYPTO_TOO_LARGE: {
    meaning: 'A streamed input (an image being hashed, a plaintext being sealed) exceeded its declared or maximum size.',
    remedy: 'Nothing is used; the limit is in the error details. Endless-data attacks end here.',
  },
  ERR_CRYPTO_CAPACITY: {
    meaning: 'A bounded table is full: too many streams in one session, or too many sessions in a registry.',
    remedy: 'Close unused sessions or raise the documented limit in configuration.',
  },
} as const satisfies ErrorCatalogue;

/** A code of @medsim/crypto. */
export type CryptoErrorCode = keyof typeof cryptoErrorCatalogue;

/** Base of @medsim/crypto's errors. */
export class CryptoError extends MedsimError {
  declare readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string, options?: MedsimErrorOptions) {
    super(code, message, options);
  }
}

/** ERR_CRYPTO_AUTH_FAILED */
export class AuthenticationFailedError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_AUTH_FAILED', message, options);
  }
}

/** ERR_CRYPTO_REPLAY */
export class ReplayError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_REPLAY', message, options);
  }
}

/** ERR_CRYPTO_TOO_OLD */
export class TooOldError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_TOO_OLD', message, options);
  }
}

/** ERR_CRYPTO_WRONG_KEY */
export class WrongKeyError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_WRONG_KEY', message, options);
  }
}

/** ERR_CRYPTO_UNKNOWN_KEY */
export class UnknownKeyError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_UNKNOWN_KEY', message, options);
  }
}

/** ERR_CRYPTO_TRUNCATED */
export class TruncatedInputError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_TRUNCATED', message, options);
  }
}

/** ERR_CRYPTO_CONTEXT_MISMATCH */
export class ContextMismatchError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_CONTEXT_MISMATCH', message, options);
  }
}

/** ERR_CRYPTO_REKEY_REQUIRED */
export class RekeyRequiredError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_REKEY_REQUIRED', message, options);
  }
}

/** ERR_CRYPTO_SESSION_EXPIRED */
export class SessionExpiredError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_SESSION_EXPIRED', message, options);
  }
}

/** ERR_CRYPTO_HANDSHAKE_FAILED */
export class HandshakeFailedError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_HANDSHAKE_FAILED', message, options);
  }
}

/** ERR_CRYPTO_HANDSHAKE_STALE */
export class HandshakeStaleError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_HANDSHAKE_STALE', message, options);
  }
}

/** ERR_CRYPTO_INVALID_KEY */
export class InvalidKeyError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_INVALID_KEY', message, options);
  }
}

/** ERR_CRYPTO_SIGNATURE_INVALID */
export class SignatureInvalidError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_SIGNATURE_INVALID', message, options);
  }
}

/** ERR_CRYPTO_MALFORMED */
export class MalformedTokenError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_MALFORMED', message, options);
  }
}

/** ERR_CRYPTO_TOO_LARGE */
export class InputTooLargeError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_TOO_LARGE', message, options);
  }
}

/** ERR_CRYPTO_CAPACITY */
export class CapacityError extends CryptoError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CRYPTO_CAPACITY', message, options);
  }
}
