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
    remedy: 'Nothing of it is installed or booted. Build and sign images with `medsim firmware build`.',
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
  ERR_FW_KEY_INVALID: {
    meaning: 'A release key is not an Ed25519 private key in PKCS#8 PEM, or a public key is not 32 bytes: TUF release keys are Ed25519 only.',
    remedy: 'Generate release keys with `medsim firmware keys`; keep each in its own file, mode 0600.',
  },
  ERR_FW_REPO_INVALID: {
    meaning: 'A repository input is unusable: a root that is not the next version or differs from the one published, a target model, version or security counter out of range, a duplicate target, a target file missing or not matching its entry, a threshold of 0 or above the keys listed, or a repository with no root or targets yet.',
    remedy: 'Fix the named field (error details); nothing was published.',
  },
  ERR_FW_REPO_THRESHOLD: {
    meaning: "Metadata would not verify under the latest root: fewer signing keys than the role's threshold (a new root needs the threshold of the old root keys and of the new ones, TUF spec 5.3.4), or keys the root does not list for the role.",
    remedy: 'Sign with enough of the role\'s keys; after a key rotation, re-sign the targets with the new targets key and give the gateway its new online keys.',
  },
  ERR_FW_REPO_VERSION: {
    meaning: 'The targets metadata offered for publication is not newer than the published one (versions only increase).',
    remedy: 'Sign new targets from the latest published version.',
  },
  ERR_FW_META_UNSIGNED: {
    meaning: "Update metadata is signed by fewer distinct trusted keys than its role's threshold: unsigned, signed by an unknown or revoked key, altered after signing, or a threshold reached only by counting one key twice (duplicate signature entries, one key under two ids).",
    remedy: 'Nothing of it is trusted and the device keeps its previous metadata. Repeated refusals point to a compromised server or key (security event).',
  },
  ERR_FW_META_ROLLBACK: {
    meaning: 'Update metadata is older than what the device already trusts: a lower timestamp, snapshot or targets version (old signed metadata replayed).',
    remedy: 'The device keeps its metadata. A repository restored from backup must publish versions above the ones devices saw.',
  },
  ERR_FW_META_VERSION_MISMATCH: {
    meaning: 'Update metadata versions disagree: a snapshot other than the version the timestamp names, targets other than the version the snapshot names, or a root that is not the next version (mix-and-match).',
    remedy: 'The device keeps its metadata. Publish snapshot and timestamp together through the online signer.',
  },
  ERR_FW_META_EXPIRED: {
    meaning: "Update metadata has expired by the device's clock (freeze attack, or a repository whose signing stopped).",
    remedy: 'Check the device clock. The gateway renews the timestamp (1 day) and snapshot (7 days); the release team re-signs targets (90 days) and root (365 days).',
  },
  ERR_FW_META_HASH_MISMATCH: {
    meaning: 'A snapshot or targets file does not have the length or SHA-256 that the timestamp or snapshot records for it.',
    remedy: 'The device keeps its metadata; a file swapped on the server is an attack or a broken publication.',
  },
  ERR_FW_META_TOO_LARGE: {
    meaning: 'A metadata file is larger than its cap (root 512,000 B, timestamp 16,384 B, snapshot 2,000,000 B, targets 5,000,000 B) or than the length the timestamp or snapshot declares (endless data); reading stopped at the cap.',
    remedy: 'The device keeps its metadata. Keep targets metadata under the cap (fewer entries per role).',
  },
  ERR_FW_META_MALFORMED: {
    meaning: 'A metadata file is not valid TUF metadata (JSON, fields, types, spec version, one public key under two key ids), or a firmware target entry lacks a valid model, version and security counter.',
    remedy: 'The device keeps its metadata. Build metadata only with the repository tools.',
  },
  ERR_FW_META_STORE: {
    meaning: "The device's update metadata directory could not be read or written, or holds no valid trusted root.json.",
    remedy: "Provision the device with the repository's root (installTrustedRoot) and check its storage.",
  },
  ERR_FW_DOWNLOAD_NOT_FOUND: {
    meaning: 'The repository has no file at the requested path (HTTP 404).',
    remedy: 'Publish the release through the online signer; for root versions a 404 is the normal end of rotation.',
  },
  ERR_FW_DOWNLOAD_INTERRUPTED: {
    meaning: 'A transfer failed or ended before the declared length (connection lost, server error, fetcher failure).',
    remedy: 'Retry with the same checkpoint: the image download resumes where it stopped.',
  },
  ERR_FW_DOWNLOAD_TIMEOUT: {
    meaning: 'A transfer passed its total deadline, or no bytes came within the per-read timeout (slow retrieval).',
    remedy: 'Retry later with the same checkpoint; repeated timeouts are a slow-retrieval alert.',
  },
  ERR_FW_DOWNLOAD_TOO_LARGE: {
    meaning: 'The server sent more bytes than the target declares (endless data); the transfer stopped at the declared length plus one byte.',
    remedy: 'Nothing is marked complete; the server is broken or hostile.',
  },
  ERR_FW_DOWNLOAD_HASH_MISMATCH: {
    meaning: 'The downloaded image does not have the SHA-256 the verified targets metadata records for it.',
    remedy: 'Nothing is marked complete; download again from the start. Repeated mismatches point to tampering.',
  },
  ERR_FW_UPDATE_ROLLBACK: {
    meaning: 'The target is not newer than the installed firmware: its version is not above the installed one, or its security counter is below the installed counter.',
    remedy: 'Nothing is downloaded. Release a higher version; the security counter never goes down.',
  },
  ERR_FW_UPDATE_WRONG_MODEL: {
    meaning: "The target is for another device model, or its entry's path and model disagree.",
    remedy: 'Nothing is downloaded. Campaigns target one model; check the release metadata.',
  },
  ERR_FW_UPDATE_UNKNOWN_TARGET: {
    meaning: 'The target handed to download is not an entry of the verified targets metadata (unknown path, or another length, hash or custom fields).',
    remedy: 'Nothing is downloaded. Take targets only from targetFor() after a refresh.',
  },
  ERR_FW_UPDATE_NOT_REFRESHED: {
    meaning: 'targetFor or download was called before a successful refresh of the update metadata.',
    remedy: 'Call refresh() first, and again after a refresh fails.',
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

/** ERR_FW_KEY_INVALID */
export class InvalidReleaseKeyError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_KEY_INVALID', message, options);
  }
}

/** ERR_FW_REPO_INVALID */
export class InvalidRepositoryInputError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_REPO_INVALID', message, options);
  }
}

/** ERR_FW_REPO_THRESHOLD */
export class RepositoryThresholdError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_REPO_THRESHOLD', message, options);
  }
}

/** ERR_FW_REPO_VERSION */
export class RepositoryVersionError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_REPO_VERSION', message, options);
  }
}

/** ERR_FW_META_UNSIGNED */
export class MetadataUnsignedError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_META_UNSIGNED', message, options);
  }
}

/** ERR_FW_META_ROLLBACK */
export class MetadataRollbackError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_META_ROLLBACK', message, options);
  }
}

/** ERR_FW_META_VERSION_MISMATCH */
export class MetadataVersionMismatchError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_META_VERSION_MISMATCH', message, options);
  }
}

/** ERR_FW_META_EXPIRED */
export class MetadataExpiredError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_META_EXPIRED', message, options);
  }
}

/** ERR_FW_META_HASH_MISMATCH */
export class MetadataHashMismatchError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_META_HASH_MISMATCH', message, options);
  }
}

/** ERR_FW_META_TOO_LARGE */
export class MetadataTooLargeError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_META_TOO_LARGE', message, options);
  }
}

/** ERR_FW_META_MALFORMED */
export class MalformedMetadataError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_META_MALFORMED', message, options);
  }
}

/** ERR_FW_META_STORE */
export class MetadataStoreError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_META_STORE', message, options);
  }
}

/** ERR_FW_DOWNLOAD_NOT_FOUND */
export class DownloadNotFoundError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_DOWNLOAD_NOT_FOUND', message, options);
  }
}

/** ERR_FW_DOWNLOAD_INTERRUPTED */
export class DownloadInterruptedError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_DOWNLOAD_INTERRUPTED', message, options);
  }
}

/** ERR_FW_DOWNLOAD_TIMEOUT */
export class DownloadTimeoutError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_DOWNLOAD_TIMEOUT', message, options);
  }
}

/** ERR_FW_DOWNLOAD_TOO_LARGE */
export class DownloadTooLargeError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_DOWNLOAD_TOO_LARGE', message, options);
  }
}

/** ERR_FW_DOWNLOAD_HASH_MISMATCH */
export class DownloadHashMismatchError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_DOWNLOAD_HASH_MISMATCH', message, options);
  }
}

/** ERR_FW_UPDATE_ROLLBACK */
export class UpdateRollbackError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_UPDATE_ROLLBACK', message, options);
  }
}

/** ERR_FW_UPDATE_WRONG_MODEL */
export class UpdateWrongModelError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_UPDATE_WRONG_MODEL', message, options);
  }
}

/** ERR_FW_UPDATE_UNKNOWN_TARGET */
export class UnknownTargetError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_UPDATE_UNKNOWN_TARGET', message, options);
  }
}

/** ERR_FW_UPDATE_NOT_REFRESHED */
export class NotRefreshedError extends FirmwareError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FW_UPDATE_NOT_REFRESHED', message, options);
  }
}
