/**
 * Errors of @medsim/firmware. Every refusal of an update has its own stable code, so the device's
 * audit entry and the attack tests can tell a rollback from a bad signature (attacks-and-faults.md
 * section 1, U1-U16). Codes: ERR_FW_IMAGE_* (the signed image), ERR_FW_KEY_* (release keys),
 * ERR_FW_REPO_* (the TUF repository), ERR_FW_META_* (metadata a client refused), ERR_FW_DIRECTOR_*
 * (the per-device instruction), ERR_FW_DOWNLOAD_* (fetching), ERR_FW_UPDATE_* (the decision to install).
 */
import { MedsimError, type ErrorCatalogue, type MedsimErrorOptions } from '@medsim/protocol';

/** Codes of @medsim/firmware, with meaning and remedy (the source of docs/reference/errors.md). */
export const firmwareErrorCatalogue = {
  ERR_FW_INVALID_SPEC: {
    meaning: 'An image cannot be built from these inputs: a model name, version, security counter, size or build time out of range.',
    remedy: 'Fix the named field: model a-z0-9- (1 to 32), version MAJOR.MINOR.PATCH, security counter 0 to 2^32-1, payload 64 B to 256 MiB.',
  },
  ERR_FW_IMAGE_MALFORMED: {
    meaning: 'The bytes are not a medsim firmware image: wrong magic or format version, a header or TLV area that does not add up, a missing hash, key hash or signature TLV, or bytes after the TLV area.',
    remedy: 'Nothing of it is installed. Rebuild the image with `medsim firmware build`; an image cut or padded in transit is refused whole.',
  },
  ERR_FW_IMAGE_UNKNOWN_CRITICAL: {
    meaning: 'The image header sets a flag this bootloader does not know, or carries a TLV marked critical (type bit 15) of an unknown type: what it asks for cannot be honoured, so the image is refused.',
    remedy: 'Build the image for this bootloader version; new critical features need a bootloader that knows them.',
  },
  ERR_FW_IMAGE_TOO_LARGE: {
    meaning: 'The image is larger than the slot (or the 256 MiB limit) it is meant for.',
    remedy: 'Build a smaller image, or a device model with a larger slot.',
  },
  ERR_FW_IMAGE_HASH_MISMATCH: {
    meaning: "The SHA-256 of the image's header and payload is not the one in its hash TLV: the image was altered after signing (or its encrypted payload was decrypted with the wrong key).",
    remedy: 'Nothing of it is installed or booted. Download the image again; repeated mismatches point to tampering.',
  },
  ERR_FW_IMAGE_BAD_SIGNATURE: {
    meaning: "The image's Ed25519 signature does not verify under the key its key-hash TLV names.",
    remedy: 'Nothing of it is installed or booted. Sign images only with `medsim firmware sign`.',
  },
  ERR_FW_IMAGE_UNTRUSTED_KEY: {
    meaning: "The image is signed by a key that is not in the device's image keyring, or that was revoked.",
    remedy: 'Sign with a current image-signing key; a revoked key is never trusted again.',
  },
  ERR_FW_DIRECTOR_INVALID: {
    meaning: 'A director instruction is not a well-formed compact JWS with typ medsim-fw-director+jws, is signed by another key than the director key the device was given, or its payload does not match the instruction schema.',
    remedy: 'Nothing is installed. Only the gateway\'s director issues instructions; a forged or edited one is an attack.',
  },
  ERR_FW_DIRECTOR_CRITICAL: {
    meaning: 'A director instruction names a critical header parameter (crit) the device does not understand.',
    remedy: 'Nothing is installed. Issue instructions without extensions this firmware does not know.',
  },
  ERR_FW_DIRECTOR_TOO_LARGE: {
    meaning: 'A director instruction is larger than 8 KiB; it is refused before parsing.',
    remedy: 'Instructions are small; a large one is malformed or hostile.',
  },
  ERR_FW_DIRECTOR_EXPIRED: {
    meaning: 'A director instruction is past its expiry, or issued further in the future than the allowed clock skew, by the device clock.',
    remedy: 'The gateway issues a fresh instruction; check the device clock if this repeats.',
  },
  ERR_FW_DIRECTOR_WRONG_DEVICE: {
    meaning: 'A director instruction is addressed to another device.',
    remedy: 'Nothing is installed; an instruction moved between devices is an attack.',
  },
  ERR_FW_DIRECTOR_REPLAYED: {
    meaning: 'A director instruction carries a nonce the device already acted on, or not the nonce of its latest update check.',
    remedy: 'Nothing is installed; the gateway issues a new instruction for each update check.',
  },
} as const satisfies ErrorCatalogue;

/** A code of @medsim/firmware. */
export type FirmwareErrorCode = keyof typeof firmwareErrorCatalogue;

/** Base of @medsim/firmware's errors. */
export class FirmwareError extends MedsimError {
  declare readonly code: FirmwareErrorCode;

  constructor(code: FirmwareErrorCode, message: string, options?: MedsimErrorOptions) {
    super(code, message, options);
  }
}

/** ERR_FW_INVALID_SPEC */
export class InvalidImageSpecError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_INVALID_SPEC', message, options);
  }
}

/** ERR_FW_IMAGE_MALFORMED */
export class MalformedImageError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_IMAGE_MALFORMED', message, options);
  }
}

/** ERR_FW_IMAGE_UNKNOWN_CRITICAL */
export class UnknownCriticalError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_IMAGE_UNKNOWN_CRITICAL', message, options);
  }
}

/** ERR_FW_IMAGE_TOO_LARGE */
export class ImageTooLargeError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_IMAGE_TOO_LARGE', message, options);
  }
}

/** ERR_FW_IMAGE_HASH_MISMATCH */
export class ImageHashMismatchError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_IMAGE_HASH_MISMATCH', message, options);
  }
}

/** ERR_FW_IMAGE_BAD_SIGNATURE */
export class ImageSignatureError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_IMAGE_BAD_SIGNATURE', message, options);
  }
}

/** ERR_FW_IMAGE_UNTRUSTED_KEY */
export class UntrustedImageKeyError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_IMAGE_UNTRUSTED_KEY', message, options);
  }
}

/** ERR_FW_DIRECTOR_INVALID */
export class DirectorInvalidError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_DIRECTOR_INVALID', message, options);
  }
}

/** ERR_FW_DIRECTOR_CRITICAL */
export class DirectorCriticalError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_DIRECTOR_CRITICAL', message, options);
  }
}

/** ERR_FW_DIRECTOR_TOO_LARGE */
export class DirectorTooLargeError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_DIRECTOR_TOO_LARGE', message, options);
  }
}

/** ERR_FW_DIRECTOR_EXPIRED */
export class DirectorExpiredError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_DIRECTOR_EXPIRED', message, options);
  }
}

/** ERR_FW_DIRECTOR_WRONG_DEVICE */
export class DirectorWrongDeviceError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_DIRECTOR_WRONG_DEVICE', message, options);
  }
}

/** ERR_FW_DIRECTOR_REPLAYED */
export class DirectorReplayedError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_DIRECTOR_REPLAYED', message, options);
  }
}
