/**
 * Errors of @medsim/devices, each with a stable code (docs/reference/errors.md). Codes are grouped
 * by area: runtime (keystore, flash, clock), network (fault proxy, transports), therapy (command
 * verification and interlocks), fleet.
 */
import { MedsimError, type ErrorCatalogue, type MedsimErrorOptions } from '@medsim/protocol';

/** Codes of @medsim/devices, with meaning and remedy. */
export const devicesErrorCatalogue = {
  ERR_DEVICE_NOT_RUNNING: {
    meaning: 'The operation needs a running device (powered on and started), and this one is stopped or powered off.',
    remedy: 'Start or power the device on first.',
  },
  ERR_FLEET_SPEC_INVALID: {
    meaning: 'A fleet spec (JSON) has an unknown field, a value out of range, an unknown model, patient profile or network profile, or declares more devices than the limit.',
    remedy: 'Fix the field named in the message; docs/devices/fleet.md lists every field.',
  },
  ERR_FLEET_UNKNOWN_DEVICE: {
    meaning: 'A control request names a device the fleet does not run.',
    remedy: 'List the devices (GET /v1/devices on the control endpoint, or Fleet.devices) and use one of their ids.',
  },
  ERR_THERAPY_NOT_SUPPORTED: {
    meaning: 'A device command reached a monitoring device, which takes none; it was refused and reported as a security event.',
    remedy: 'Only the insulin pump and the pacemaker take therapy commands, and the ultrasound maintenance commands; check which device the command was for.',
  },
  ERR_CONTROL_INTERNAL: {
    meaning: 'The control endpoint failed on an unexpected error; nothing about the error is disclosed.',
    remedy: 'See the fleet log for the error and report it.',
  },
  ERR_CONTROL_UNAUTHORIZED: {
    meaning: "A request to the fleet's control endpoint had no bearer token or the wrong one.",
    remedy: 'Send `Authorization: Bearer <token>` with the token `medsim fleet` printed (or wrote to its token file).',
  },
  ERR_CONTROL_INVALID: {
    meaning: 'A control request body is not a JSON object or a field is missing or out of range.',
    remedy: 'Fix the field named in the message (docs/devices/fleet.md lists the control API).',
  },
  ERR_CONTROL_NOT_FOUND: {
    meaning: 'No control route has this method and path.',
    remedy: 'Use one of the routes in docs/devices/fleet.md.',
  },
  ERR_CONTROL_TOO_LARGE: {
    meaning: 'A control request body is larger than 4 KiB.',
    remedy: 'Control requests are a few fields; send less.',
  },
  ERR_CONTROL_LIMIT: {
    meaning: 'Too many clients follow the event stream (16 at most).',
    remedy: 'Close another follower first.',
  },
  ERR_LINK_REFUSED: {
    meaning: 'The gateway refused a message the device sent (it answered `refused` with an error code on BLE; on MQTT 3.1.1 a refusal closes the connection).',
    remedy: 'The code in the details says why (e.g. an envelope sealed under a session the gateway no longer holds); the device re-seals or drops the message as its runtime docs describe.',
  },
  ERR_LINK_DOWN: {
    meaning: "The device's link to the gateway (MQTT over TLS, or BLE) is down or went down before the gateway acknowledged a message.",
    remedy: 'Nothing is lost: the message stays in the store-and-forward queue and is resent when the link is back.',
  },
  ERR_KEYSTORE_NOT_FOUND: {
    meaning: "The device's data directory holds no secure-element file (the device was never provisioned, or was factory-reset).",
    remedy: 'Provision the device (Keystore.create or openOrCreate), then enrol it again.',
  },
  ERR_KEYSTORE_EXISTS: {
    meaning: 'Keystore.create found a secure-element file already in the data directory; existing keys are never overwritten.',
    remedy: 'Open the existing keystore (Keystore.open), or factory-reset it with wipe() first.',
  },
  ERR_KEYSTORE_CORRUPT: {
    meaning: 'The secure-element file or the hardware unique key is missing, damaged or does not authenticate (AES-256-GCM tag), so no key was loaded.',
    remedy: 'Factory-reset the device (wipe, then create) and enrol it again; the old keys are lost by design.',
  },
  ERR_KEYSTORE_PERMISSIONS: {
    meaning: 'The secure-element or hardware-unique-key file is readable or writable by group or others (its mode must be 0600).',
    remedy: 'Restore mode 0600 on the file and check who could have read it; if in doubt, wipe and re-enrol.',
  },
  ERR_KEYSTORE_DEVICE_MISMATCH: {
    meaning: "The keystore in the data directory belongs to another device id than the one asked for.",
    remedy: 'Use the data directory of the right device, or wipe this one before provisioning another device in it.',
  },
  ERR_KEYSTORE_NOT_ENROLLED: {
    meaning: 'The operation needs the enrolment results (device certificate, CA certificate, gateway keys) and the keystore holds none.',
    remedy: 'Enrol the device and call saveEnrolment first, or pass the certificates explicitly.',
  },
  ERR_KEYSTORE_CERTIFICATE_MISMATCH: {
    meaning: "A certificate given to the keystore does not certify its TLS key (or is not a valid X.509 certificate).",
    remedy: "Use the certificate the gateway issued for this device's CSR.",
  },
  ERR_KEYSTORE_WIPED: {
    meaning: 'The keystore was factory-reset (wipe) and its keys no longer exist.',
    remedy: 'Provision a new keystore (Keystore.create) and enrol again.',
  },
  ERR_KEYSTORE_UNAVAILABLE: {
    meaning: "The keystore's files cannot be read or written (I/O error, or the data directory is not usable); nothing was changed.",
    remedy: "Check the device's data directory (it must be a writable directory, mode 0700).",
  },
  ERR_KEYSTORE_UNPROTECT_FAILED: {
    meaning: 'Data protected by the keystore (protect) does not authenticate: it was damaged, protected by another device or before a factory reset, or opened with another context.',
    remedy: 'Discard the data; it cannot be recovered and was not used.',
  },
  ERR_FLASH_FULL: {
    meaning: 'A record does not fit in the free space of the simulated flash (its capacity is fixed, in bytes).',
    remedy: 'Compact or free space first; the store-and-forward queue does this itself and applies its full-flash policy.',
  },
  ERR_FLASH_POWER_LOST: {
    meaning: 'Power failed (simulated) during a flash write: the write may be torn and the flash accepts nothing more until it is reopened.',
    remedy: 'Reopen the flash as a rebooted device does; recovery truncates the torn tail.',
  },
  ERR_FLASH_WRITE_FAILED: {
    meaning: 'A flash write failed (an injected program failure, or an I/O error of the backing file); nothing was committed.',
    remedy: 'Retry later; what was committed before is intact.',
  },
  ERR_FLASH_UNAVAILABLE: {
    meaning: 'The flash file cannot be opened or read, or is larger than the configured capacity.',
    remedy: "Check the device's data directory and that the capacity matches the one the flash was made with.",
  },
  ERR_FLASH_CLOSED: {
    meaning: 'The simulated flash was closed (or lost power) and is used again.',
    remedy: 'Reopen it; a closed flash accepts no reads or writes.',
  },
  ERR_QUEUE_DROPPED: {
    meaning: "The device's flash was full: the full-flash policy dropped the oldest readings (never an alarm while a reading remains). The device reports it to the gateway as a STORAGE_DROP security event.",
    remedy: 'Restore the link to the gateway sooner, or give the device more flash; the count and reason are in the event subject.',
  },
  ERR_QUEUE_UNDELIVERABLE: {
    meaning:
      'The gateway refused a queued message in five sessions in a row (sealed under a session the gateway no longer holds, after more than a day offline; or otherwise refused for good): the device gave it up so the messages behind it flow. Reported to the gateway as a STORAGE_DROP security event.',
    remedy: 'Find why the gateway refused it (its audit log has an envelope.refused entry per attempt); reconnect devices within the session retention (24 h).',
  },
  ERR_QUEUE_ITEM_TOO_LARGE: {
    meaning: 'An item is larger than the queue could ever hold (its capacity in bytes, less the space its own state needs).',
    remedy: 'Split the payload into smaller items (waveforms into more frames).',
  },
  ERR_QUEUE_INVALID_ITEM: {
    meaning: "An item's channel name or priority is not valid (channel: 1 to 255 UTF-8 bytes; priority 'alarm' or 'normal').",
    remedy: 'Fix the caller.',
  },
  ERR_QUEUE_CORRUPT: {
    meaning: 'A flash record passed its CRC but is not a queue record this build understands (another program, or another format version, wrote it).',
    remedy: 'Use a separate flash file per queue; factory-reset the device if the file came from elsewhere.',
  },
  ERR_THERAPY_MALFORMED_COMMAND: {
    meaning: 'A signed therapy command, or the command inside it, is not a valid medsim.v1 encoding or is out of the protocol ranges (status REJECTED_INVALID); nothing was executed.',
    remedy: 'Fix the sender (the gateway encodes with encodeMessage, which refuses what a device would refuse).',
  },
  ERR_THERAPY_UNKNOWN_SIGNER: {
    meaning: "A therapy command is signed with a key id other than the gateway's command-signing key enrolled on this device (status REJECTED_SIGNATURE, an integrity failure: the device enters safe mode).",
    remedy: 'Sign commands with the command-signing key given at enrolment; clear safe mode locally after investigating.',
  },
  ERR_THERAPY_SIGNATURE_INVALID: {
    meaning: 'The Ed25519 signature of a therapy command does not verify over the exact command bytes (altered, or signed by another key) (status REJECTED_SIGNATURE, an integrity failure: the device enters safe mode).',
    remedy: 'Treat the command path as compromised: investigate, then clear safe mode locally on the device.',
  },
  ERR_THERAPY_WRONG_DEVICE: {
    meaning: 'A correctly signed therapy command names another device (status REJECTED_STATE).',
    remedy: "Address commands to the device's own id; a command moved to another device is refused.",
  },
  ERR_THERAPY_NOT_YET_VALID: {
    meaning: "A therapy command was issued later than the device's clock plus the allowed skew (status REJECTED_STALE).",
    remedy: "Synchronize the device's clock with the gateway's, then issue a new command.",
  },
  ERR_THERAPY_EXPIRED: {
    meaning: "A therapy command's expiry is before the device's clock (status REJECTED_STALE).",
    remedy: 'Issue a new command; a delayed command is never executed late.',
  },
  ERR_THERAPY_LIFETIME_TOO_LONG: {
    meaning: "A therapy command's validity (expires_at - issued_at) exceeds the device's maximum command lifetime (status REJECTED_STALE).",
    remedy: 'Issue commands with a shorter expiry (10 minutes by default).',
  },
  ERR_THERAPY_UNCONFIRMED: {
    meaning: "A therapy command carries no clinician confirmation, or one after its issue time or too long before it (status REJECTED_INVALID).",
    remedy: 'The clinician must confirm the command immediately before the gateway signs it (signal of intent).',
  },
  ERR_THERAPY_NONCE_REUSED: {
    meaning: 'A therapy command reuses a nonce the device has already accepted (status REJECTED_REPLAY).',
    remedy: 'Nothing for the device; the gateway must draw a fresh 16-byte nonce for every command.',
  },
  ERR_THERAPY_SEQUENCE_REPLAYED: {
    meaning: "A therapy command's sequence is not above the last sequence the device accepted (status REJECTED_REPLAY).",
    remedy: 'Nothing for the device; the gateway issues a new command with the next sequence.',
  },
  ERR_THERAPY_SAFE_MODE: {
    meaning: 'The device is in safe mode after an integrity failure and refuses every remote therapy command (status REJECTED_STATE).',
    remedy: 'Investigate the integrity failure, then clear safe mode locally on the device (button or in-clinic programmer).',
  },
  ERR_THERAPY_UNSUPPORTED_ACTION: {
    meaning: 'A therapy command carries an action this device does not perform (for example pacing parameters sent to an insulin pump) (status REJECTED_STATE).',
    remedy: 'Send the device only the actions of its kind.',
  },
  ERR_THERAPY_BOLUS_TOO_LARGE: {
    meaning: "A bolus exceeds the pump's maximum single bolus (status REJECTED_INTERLOCK).",
    remedy: 'Split the dose over time, or have the clinician raise the maximum bolus on the device.',
  },
  ERR_THERAPY_BASAL_TOO_HIGH: {
    meaning: "A basal schedule segment exceeds the pump's maximum basal rate, or the schedule's daily total exceeds the maximum daily insulin (status REJECTED_INTERLOCK).",
    remedy: "Lower the rates; the device's limits are set locally by the clinician.",
  },
  ERR_THERAPY_DAILY_LIMIT: {
    meaning: 'The insulin delivered in the last 24 hours plus what is still to deliver and the new bolus would exceed the maximum total daily insulin (status REJECTED_INTERLOCK).',
    remedy: 'Wait until earlier deliveries leave the rolling 24-hour window, or review the therapy with the clinician.',
  },
  ERR_THERAPY_INSULIN_ON_BOARD: {
    meaning: 'Insulin still active in the body plus the new bolus would exceed the maximum insulin on board (status REJECTED_INTERLOCK).',
    remedy: 'Wait for active insulin to decay before another bolus.',
  },
  ERR_THERAPY_BOLUS_TOO_SOON: {
    meaning: 'A bolus arrives sooner after the previous one than the minimum interval between boluses (status REJECTED_INTERLOCK).',
    remedy: 'Wait the minimum interval (15 minutes by default), then issue a new command.',
  },
  ERR_THERAPY_BOLUS_IN_PROGRESS: {
    meaning: 'A bolus arrives while another bolus is still being delivered (status REJECTED_INTERLOCK).',
    remedy: 'Wait for the running bolus to finish, or suspend (which cancels it) first.',
  },
  ERR_THERAPY_SUSPENDED: {
    meaning: 'A bolus arrives while insulin delivery is suspended (status REJECTED_INTERLOCK).',
    remedy: 'Resume delivery first.',
  },
  ERR_THERAPY_RESERVOIR_INSUFFICIENT: {
    meaning: 'A bolus is larger than the insulin left in the reservoir (status REJECTED_INTERLOCK).',
    remedy: 'Refill or replace the reservoir.',
  },
  ERR_THERAPY_SUSPEND_DURATION: {
    meaning: "A suspend's duration lies outside the pump's allowed suspend durations (status REJECTED_INTERLOCK).",
    remedy: 'Suspend for 30 to 120 minutes (defaults), and suspend again if needed.',
  },
  ERR_THERAPY_LOWER_RATE: {
    meaning: "A pacing lower rate lies outside the pacemaker's remotely programmable range (40 to 120 ppm by default) (status REJECTED_INTERLOCK).",
    remedy: 'Program rates outside that range in clinic with the programmer.',
  },
  ERR_THERAPY_UPPER_RATE: {
    meaning: "A pacing upper rate lies outside the pacemaker's remotely programmable range (80 to 180 ppm by default) (status REJECTED_INTERLOCK).",
    remedy: 'Program rates outside that range in clinic with the programmer.',
  },
  ERR_THERAPY_RATE_SEPARATION: {
    meaning: 'A pacing upper rate is less than 10 ppm (default) above the lower rate (status REJECTED_INTERLOCK).',
    remedy: 'Keep the upper rate at least the minimum separation above the lower rate.',
  },
  ERR_THERAPY_RATE_STEP: {
    meaning: 'A pacing lower rate changes by more than the maximum step per command (30 ppm by default) (status REJECTED_INTERLOCK).',
    remedy: 'Change the rate in smaller steps, one command each, or in clinic.',
  },
  ERR_THERAPY_AMPLITUDE: {
    meaning: "A pacing amplitude lies outside the pacemaker's remotely programmable range (500 to 7500 mV by default) (status REJECTED_INTERLOCK).",
    remedy: 'Program outputs outside that range in clinic after a threshold test.',
  },
  ERR_THERAPY_PULSE_WIDTH: {
    meaning: "A pacing pulse width lies outside the pacemaker's remotely programmable range (100 to 1500 µs by default) (status REJECTED_INTERLOCK).",
    remedy: 'Program pulse widths outside that range in clinic after a threshold test.',
  },
  ERR_THERAPY_MODE_UNSAFE: {
    meaning: 'A pacing mode that does not pace (ODO) was sent to a pacemaker whose patient is pacing-dependent (status REJECTED_INTERLOCK).',
    remedy: 'Program non-pacing modes only in clinic, under monitoring.',
  },
  ERR_THERAPY_STATE_CORRUPT: {
    meaning: 'Persisted control state (replay state, therapy settings or command journal) cannot be read or is not in the expected shape.',
    remedy: 'Treat the device as untrusted: it must not guess its last sequence. Restore the file or factory-reset and re-enrol the device.',
  },
  ERR_THERAPY_INVALID_CONFIG: {
    meaning: 'A therapy component was constructed with invalid options (a limit that is not a positive number, a key that is not Ed25519, a default outside the limits).',
    remedy: 'Fix the caller; the valid ranges are in docs/devices/therapy-safety.md.',
  },
  ERR_NETWORK_INVALID_PROFILE: {
    meaning: 'A network profile has a value outside its range (negative or non-finite latency or jitter, loss rate outside [0, 1), bandwidth outside 8 bit/s to 100 Gbit/s, unknown technology, bad outage pattern).',
    remedy: 'Fix the profile; the ranges are in docs/devices/network-profiles.md, and NETWORK_PROFILES holds valid examples.',
  },
  ERR_NETWORK_INVALID_OPTIONS: {
    meaning: 'The fault proxy, an outage or the reconnect back-off was given an option outside its range (port, limit, duration, mode, base or maximum delay, random source).',
    remedy: 'Fix the caller; each option states its unit and range in its TSDoc.',
  },
  ERR_NETWORK_PROXY_STATE: {
    meaning: 'The fault proxy was used in the wrong state: listen() twice, an outage before listen() or after close().',
    remedy: 'Call listen() once, then outage() or setProfile(), and close() last.',
  },
  ERR_NETWORK_LISTEN_FAILED: {
    meaning: 'The fault proxy could not open (or, after a reset or refuse outage, reopen) its listening port.',
    remedy: 'Listen on port 0 to get a free port; if the port was taken while refusing, create a new proxy.',
  },
  ERR_PHYSIOLOGY_INVALID_ARGUMENT: {
    meaning: 'A value given to the simulated physiology is outside its documented range (time not finite, seed not an integer or string, profile field, anomaly kind, severity or duration, meal grams, insulin units, pacing rate, ECG sample rate or count).',
    remedy: 'Fix the caller; each limit is stated with its unit in the TSDoc of the physiology module and in docs/devices/physiology.md.',
  },
  ERR_PHYSIOLOGY_TIME_JUMP: {
    meaning: 'Patient.advanceTo was asked to move the simulated patient more than 7 days forward in one call (the models step every second, so the call would block for long).',
    remedy: 'Advance in steps of at most 7 days, or create a new Patient at the new time; a clock that jumped by years is a clock fault.',
  },
  ERR_PHYSIOLOGY_OUT_OF_HISTORY: {
    meaning: 'ECG samples were asked for before the patient existed (more than 10 s before its start) or older than the retained beat history (15 minutes before its current time).',
    remedy: 'Render frames as they fall due; a monitor that lagged further behind should restart its stream at the current time.',
  },
  ERR_PHYSIOLOGY_CAPACITY: {
    meaning: 'Too many pending anomalies (64), meals (64) or insulin doses still acting (4,096) on one simulated patient.',
    remedy: 'Clear anomalies, or deliver insulin in fewer, larger doses (a pump step of one minute stays far below the limit).',
  },
  ERR_BOOT_VERIFY_FAILED: {
    meaning: "A firmware image failed verification in the bootloader (structure, SHA-256 or Ed25519 signature under the device's image keyring, or the hash the install recorded); `details.cause` holds the image error code (ERR_FW_IMAGE_*). At install nothing is marked bootable; at boot the slot is marked bad and not run.",
    remedy: 'Nothing of the image runs. Download the image again; a slot that changed on flash after it was verified (U12) points to tampering or a failing part.',
  },
  ERR_BOOT_ROLLBACK: {
    meaning: "An image is older than allowed: its version is not above the running one's, or its security counter is below the running image's or the device's OTP counter (anti-rollback, U3). The installed version and the counter are unchanged.",
    remedy: 'Install a newer release; a security counter, once raised, never goes down (docs/devices/bootloader.md states the same-version policy).',
  },
  ERR_BOOT_MODEL_MISMATCH: {
    meaning: 'An image is built for another device model than the one the bootloader runs on (U2); it is refused before a byte is written, or at boot.',
    remedy: "Install the image built for this device's model.",
  },
  ERR_BOOT_SLOT_TOO_SMALL: {
    meaning: "An image is larger than the device's image slot (its size is fixed per model); it is refused before a byte is written.",
    remedy: 'Build a smaller image for this model; a slot never grows after manufacturing.',
  },
  ERR_BOOT_TARGET_INVALID: {
    meaning: 'An install was declared with a malformed target (size, model, version or security counter), or the image bytes do not match what was declared (another version or counter in the header, more bytes than declared: U6, U8).',
    remedy: 'Declare the target from the verified update metadata, and send exactly the bytes it names.',
  },
  ERR_BOOT_OUT_OF_ORDER: {
    meaning: 'A chunk of an install was written at another offset than where the durable part of the slot ends (`written`); nothing was written.',
    remedy: 'Resume the download at `written` (after a reboot, call beginInstall again with the same target to learn it).',
  },
  ERR_BOOT_NO_VALID_IMAGE: {
    meaning: 'No image slot holds an image that passes secure boot: the device runs in safe mode, with no application image, and reports it.',
    remedy: 'Install a recovery image (beginInstall works in safe mode, checked against the OTP counter), or return the device for service.',
  },
  ERR_BOOT_INVALID_STATE: {
    meaning: 'The bootloader was asked for something its state does not allow: boot twice in one power cycle, install or health check before boot, install during a trial, confirm or revert without a trial, finish an incomplete install, use after revert (a reboot is due) or after close, or provision a device that already has boot state.',
    remedy: 'Follow the sequence in docs/devices/bootloader.md: boot, then install, or health check and confirm or revert, then reboot.',
  },
  ERR_BOOT_POWER_LOST: {
    meaning: 'Power failed (simulated) during a flash write of the bootloader: the write may be torn, and this bootloader object accepts nothing more.',
    remedy: 'Reopen the bootloader and boot, as a device does after power returns; the last good boot state and counter are kept.',
  },
  ERR_BOOT_WRITE_FAILED: {
    meaning: "A write of the bootloader's flash (an image slot, the boot state or the OTP counter) failed (an injected program failure, or an I/O error); the step it belonged to did not happen.",
    remedy: 'Retry the operation; an unconfirmed trial reverts at the next boot, and a confirmed image whose counter was not raised has it raised at the next boot.',
  },
  ERR_BOOT_OTP_EXHAUSTED: {
    meaning: 'Every row of the OTP security-counter fuses is used: the counter cannot be raised again.',
    remedy: 'Raise the security counter only for security fixes (a release that keeps it needs no row); a device whose fuses are spent needs service.',
  },
  ERR_BOOT_UNAVAILABLE: {
    meaning: "The bootloader's flash files (slots, boot state, OTP) cannot be opened or have another size than configured.",
    remedy: "Check the device's data directory and that the slot size matches the one the device was provisioned with.",
  },
  ERR_BOOT_INVALID_OPTIONS: {
    meaning: 'The bootloader was opened with an invalid option (slot size outside 4 KiB to 512 MiB, a model name that is not a-z0-9-, a fault plan with a write number below 1).',
    remedy: 'Fix the caller; each option states its range in its TSDoc.',
  },
  ERR_UPDATE_HEALTH_CHECK_FAILED: {
    meaning: 'A firmware update booted for its trial, and its health check failed (the simulated firmware\'s self-test): the device reverted to the previous image, whose version and security counter are unchanged.',
    remedy: 'Fix the release; the campaign counts the device as failed (and pauses past its failure threshold).',
  },
  ERR_UPDATE_NOT_CONFIRMED: {
    meaning: 'A firmware update was installed but its trial boot never reached the health check (power lost or a crash during the trial): the bootloader reverted to the previous image.',
    remedy: 'The director may offer the update again; a repeated failure points to the image.',
  },
  ERR_UPDATE_FAILED: {
    meaning: 'An update check failed for a reason without a code of its own (an unexpected error); nothing was installed.',
    remedy: "Read the device's log; the next check starts over.",
  },
} as const satisfies ErrorCatalogue;

/** A code of @medsim/devices. */
export type DevicesErrorCode = keyof typeof devicesErrorCatalogue;

/** Base of @medsim/devices' errors. */
export class DeviceError extends MedsimError {
  declare readonly code: DevicesErrorCode;

  constructor(code: DevicesErrorCode, message: string, options?: MedsimErrorOptions) {
    super(code, message, options);
  }
}

/** ERR_DEVICE_NOT_RUNNING */
export class DeviceNotRunningError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_DEVICE_NOT_RUNNING', message, options);
  }
}

/** ERR_LINK_DOWN */
export class LinkDownError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_LINK_DOWN', message, options);
  }
}

/** ERR_KEYSTORE_NOT_FOUND */
export class KeystoreNotFoundError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_KEYSTORE_NOT_FOUND', message, options);
  }
}

/** ERR_KEYSTORE_EXISTS */
export class KeystoreExistsError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_KEYSTORE_EXISTS', message, options);
  }
}

/** ERR_KEYSTORE_CORRUPT */
export class KeystoreCorruptError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_KEYSTORE_CORRUPT', message, options);
  }
}

/** ERR_KEYSTORE_PERMISSIONS */
export class KeystorePermissionsError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_KEYSTORE_PERMISSIONS', message, options);
  }
}

/** ERR_KEYSTORE_DEVICE_MISMATCH */
export class KeystoreDeviceMismatchError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_KEYSTORE_DEVICE_MISMATCH', message, options);
  }
}

/** ERR_KEYSTORE_NOT_ENROLLED */
export class KeystoreNotEnrolledError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_KEYSTORE_NOT_ENROLLED', message, options);
  }
}

/** ERR_KEYSTORE_CERTIFICATE_MISMATCH */
export class KeystoreCertificateMismatchError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_KEYSTORE_CERTIFICATE_MISMATCH', message, options);
  }
}

/** ERR_KEYSTORE_WIPED */
export class KeystoreWipedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_KEYSTORE_WIPED', message, options);
  }
}

/** ERR_KEYSTORE_UNAVAILABLE */
export class KeystoreUnavailableError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_KEYSTORE_UNAVAILABLE', message, options);
  }
}

/** ERR_KEYSTORE_UNPROTECT_FAILED */
export class KeystoreUnprotectFailedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_KEYSTORE_UNPROTECT_FAILED', message, options);
  }
}

/** ERR_FLASH_FULL */
export class FlashFullError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FLASH_FULL', message, options);
  }
}

/** ERR_FLASH_POWER_LOST */
export class FlashPowerLostError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FLASH_POWER_LOST', message, options);
  }
}

/** ERR_FLASH_WRITE_FAILED */
export class FlashWriteFailedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FLASH_WRITE_FAILED', message, options);
  }
}

/** ERR_FLASH_UNAVAILABLE */
export class FlashUnavailableError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FLASH_UNAVAILABLE', message, options);
  }
}

/** ERR_FLASH_CLOSED */
export class FlashClosedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FLASH_CLOSED', message, options);
  }
}

/** ERR_QUEUE_ITEM_TOO_LARGE */
export class QueueItemTooLargeError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_QUEUE_ITEM_TOO_LARGE', message, options);
  }
}

/** ERR_QUEUE_INVALID_ITEM */
export class QueueInvalidItemError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_QUEUE_INVALID_ITEM', message, options);
  }
}

/** ERR_QUEUE_CORRUPT */
export class QueueCorruptError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_QUEUE_CORRUPT', message, options);
  }
}

/** ERR_THERAPY_MALFORMED_COMMAND */
export class MalformedTherapyCommandError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_MALFORMED_COMMAND', message, options);
  }
}

/** ERR_THERAPY_UNKNOWN_SIGNER */
export class UnknownCommandSignerError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_UNKNOWN_SIGNER', message, options);
  }
}

/** ERR_THERAPY_SIGNATURE_INVALID */
export class CommandSignatureInvalidError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_SIGNATURE_INVALID', message, options);
  }
}

/** ERR_THERAPY_WRONG_DEVICE */
export class CommandWrongDeviceError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_WRONG_DEVICE', message, options);
  }
}

/** ERR_THERAPY_NOT_YET_VALID */
export class CommandNotYetValidError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_NOT_YET_VALID', message, options);
  }
}

/** ERR_THERAPY_EXPIRED */
export class CommandExpiredError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_EXPIRED', message, options);
  }
}

/** ERR_THERAPY_LIFETIME_TOO_LONG */
export class CommandLifetimeTooLongError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_LIFETIME_TOO_LONG', message, options);
  }
}

/** ERR_THERAPY_UNCONFIRMED */
export class CommandUnconfirmedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_UNCONFIRMED', message, options);
  }
}

/** ERR_THERAPY_NONCE_REUSED */
export class CommandNonceReusedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_NONCE_REUSED', message, options);
  }
}

/** ERR_THERAPY_SEQUENCE_REPLAYED */
export class CommandSequenceReplayedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_SEQUENCE_REPLAYED', message, options);
  }
}

/** ERR_THERAPY_SAFE_MODE */
export class TherapySafeModeError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_SAFE_MODE', message, options);
  }
}

/** ERR_THERAPY_UNSUPPORTED_ACTION */
export class UnsupportedTherapyActionError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_UNSUPPORTED_ACTION', message, options);
  }
}

/** ERR_THERAPY_BOLUS_TOO_LARGE */
export class BolusTooLargeError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_BOLUS_TOO_LARGE', message, options);
  }
}

/** ERR_THERAPY_BASAL_TOO_HIGH */
export class BasalRateTooHighError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_BASAL_TOO_HIGH', message, options);
  }
}

/** ERR_THERAPY_DAILY_LIMIT */
export class DailyInsulinLimitError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_DAILY_LIMIT', message, options);
  }
}

/** ERR_THERAPY_INSULIN_ON_BOARD */
export class InsulinOnBoardLimitError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_INSULIN_ON_BOARD', message, options);
  }
}

/** ERR_THERAPY_BOLUS_TOO_SOON */
export class BolusTooSoonError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_BOLUS_TOO_SOON', message, options);
  }
}

/** ERR_THERAPY_BOLUS_IN_PROGRESS */
export class BolusInProgressError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_BOLUS_IN_PROGRESS', message, options);
  }
}

/** ERR_THERAPY_SUSPENDED */
export class TherapySuspendedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_SUSPENDED', message, options);
  }
}

/** ERR_THERAPY_RESERVOIR_INSUFFICIENT */
export class ReservoirInsufficientError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_RESERVOIR_INSUFFICIENT', message, options);
  }
}

/** ERR_THERAPY_SUSPEND_DURATION */
export class SuspendDurationError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_SUSPEND_DURATION', message, options);
  }
}

/** ERR_THERAPY_LOWER_RATE */
export class PacingLowerRateError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_LOWER_RATE', message, options);
  }
}

/** ERR_THERAPY_UPPER_RATE */
export class PacingUpperRateError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_UPPER_RATE', message, options);
  }
}

/** ERR_THERAPY_RATE_SEPARATION */
export class PacingRateSeparationError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_RATE_SEPARATION', message, options);
  }
}

/** ERR_THERAPY_RATE_STEP */
export class PacingRateStepError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_RATE_STEP', message, options);
  }
}

/** ERR_THERAPY_AMPLITUDE */
export class PacingAmplitudeError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_AMPLITUDE', message, options);
  }
}

/** ERR_THERAPY_PULSE_WIDTH */
export class PacingPulseWidthError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_PULSE_WIDTH', message, options);
  }
}

/** ERR_THERAPY_MODE_UNSAFE */
export class PacingModeUnsafeError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_MODE_UNSAFE', message, options);
  }
}

/** ERR_THERAPY_STATE_CORRUPT */
export class ControlStateCorruptError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_STATE_CORRUPT', message, options);
  }
}

/** ERR_THERAPY_INVALID_CONFIG */
export class InvalidTherapyConfigError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_INVALID_CONFIG', message, options);
  }
}

/** ERR_NETWORK_INVALID_PROFILE */
export class InvalidNetworkProfileError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_NETWORK_INVALID_PROFILE', message, options);
  }
}

/** ERR_NETWORK_INVALID_OPTIONS */
export class InvalidNetworkOptionsError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_NETWORK_INVALID_OPTIONS', message, options);
  }
}

/** ERR_NETWORK_PROXY_STATE */
export class NetworkProxyStateError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_NETWORK_PROXY_STATE', message, options);
  }
}

/** ERR_NETWORK_LISTEN_FAILED */
export class NetworkListenFailedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_NETWORK_LISTEN_FAILED', message, options);
  }
}

/** ERR_FLEET_SPEC_INVALID */
export class FleetSpecError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FLEET_SPEC_INVALID', message, options);
  }
}

/** ERR_FLEET_UNKNOWN_DEVICE */
export class UnknownFleetDeviceError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FLEET_UNKNOWN_DEVICE', message, options);
  }
}

/** Codes the control endpoint answers with, and their HTTP status. */
export const CONTROL_STATUS = {
  ERR_CONTROL_UNAUTHORIZED: 401,
  ERR_CONTROL_INVALID: 400,
  ERR_CONTROL_NOT_FOUND: 404,
  ERR_CONTROL_TOO_LARGE: 413,
  ERR_CONTROL_LIMIT: 429,
  ERR_CONTROL_INTERNAL: 500,
} as const;

/** Base of the ERR_CONTROL_* refusals of the fleet's control endpoint. */
export abstract class FleetControlError extends DeviceError {
  declare readonly code: keyof typeof CONTROL_STATUS;

  /** The HTTP status of this refusal. */
  get status(): number {
    return CONTROL_STATUS[this.code];
  }
}

/** ERR_CONTROL_UNAUTHORIZED */
export class ControlUnauthorizedError extends FleetControlError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CONTROL_UNAUTHORIZED', message, options);
  }
}

/** ERR_CONTROL_INVALID */
export class ControlInvalidError extends FleetControlError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CONTROL_INVALID', message, options);
  }
}

/** ERR_CONTROL_NOT_FOUND */
export class ControlNotFoundError extends FleetControlError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CONTROL_NOT_FOUND', message, options);
  }
}

/** ERR_CONTROL_TOO_LARGE */
export class ControlTooLargeError extends FleetControlError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CONTROL_TOO_LARGE', message, options);
  }
}

/** ERR_CONTROL_LIMIT */
export class ControlLimitError extends FleetControlError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CONTROL_LIMIT', message, options);
  }
}

/** ERR_PHYSIOLOGY_INVALID_ARGUMENT */
export class PhysiologyInvalidArgumentError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PHYSIOLOGY_INVALID_ARGUMENT', message, options);
  }
}

/** ERR_PHYSIOLOGY_TIME_JUMP */
export class PhysiologyTimeJumpError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PHYSIOLOGY_TIME_JUMP', message, options);
  }
}

/** ERR_PHYSIOLOGY_OUT_OF_HISTORY */
export class PhysiologyOutOfHistoryError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PHYSIOLOGY_OUT_OF_HISTORY', message, options);
  }
}

/** ERR_PHYSIOLOGY_CAPACITY */
export class PhysiologyCapacityError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PHYSIOLOGY_CAPACITY', message, options);
  }
}

/** ERR_LINK_REFUSED */
export class LinkRefusedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_LINK_REFUSED', message, options);
  }
}

/** ERR_CONTROL_INTERNAL */
export class ControlInternalError extends FleetControlError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CONTROL_INTERNAL', message, options);
  }
}

/** ERR_THERAPY_NOT_SUPPORTED */
export class TherapyNotSupportedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_NOT_SUPPORTED', message, options);
  }
}

/** ERR_QUEUE_UNDELIVERABLE */
export class QueueUndeliverableError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_QUEUE_UNDELIVERABLE', message, options);
  }
}

/** ERR_QUEUE_DROPPED */
export class QueueDroppedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_QUEUE_DROPPED', message, options);
  }
}

/** ERR_BOOT_VERIFY_FAILED */
export class BootVerifyFailedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BOOT_VERIFY_FAILED', message, options);
  }
}

/** ERR_BOOT_ROLLBACK */
export class BootRollbackError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BOOT_ROLLBACK', message, options);
  }
}

/** ERR_BOOT_MODEL_MISMATCH */
export class BootModelMismatchError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BOOT_MODEL_MISMATCH', message, options);
  }
}

/** ERR_BOOT_SLOT_TOO_SMALL */
export class BootSlotTooSmallError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BOOT_SLOT_TOO_SMALL', message, options);
  }
}

/** ERR_BOOT_TARGET_INVALID */
export class BootTargetInvalidError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BOOT_TARGET_INVALID', message, options);
  }
}

/** ERR_BOOT_OUT_OF_ORDER */
export class BootOutOfOrderError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BOOT_OUT_OF_ORDER', message, options);
  }
}

/** ERR_BOOT_NO_VALID_IMAGE */
export class BootNoValidImageError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BOOT_NO_VALID_IMAGE', message, options);
  }
}

/** ERR_BOOT_INVALID_STATE */
export class BootInvalidStateError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BOOT_INVALID_STATE', message, options);
  }
}

/** ERR_BOOT_POWER_LOST */
export class BootPowerLostError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BOOT_POWER_LOST', message, options);
  }
}

/** ERR_BOOT_WRITE_FAILED */
export class BootWriteFailedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BOOT_WRITE_FAILED', message, options);
  }
}

/** ERR_BOOT_OTP_EXHAUSTED */
export class BootOtpExhaustedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BOOT_OTP_EXHAUSTED', message, options);
  }
}

/** ERR_BOOT_UNAVAILABLE */
export class BootUnavailableError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BOOT_UNAVAILABLE', message, options);
  }
}

/** ERR_BOOT_INVALID_OPTIONS */
export class BootInvalidOptionsError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BOOT_INVALID_OPTIONS', message, options);
  }
}

/** ERR_UPDATE_HEALTH_CHECK_FAILED */
export class UpdateHealthCheckFailedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_UPDATE_HEALTH_CHECK_FAILED', message, options);
  }
}

/** ERR_UPDATE_NOT_CONFIRMED */
export class UpdateNotConfirmedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_UPDATE_NOT_CONFIRMED', message, options);
  }
}

/** ERR_UPDATE_FAILED */
export class UpdateFailedError extends DeviceError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_UPDATE_FAILED', message, options);
  }
}
