/**
 * Schema migrations, applied in order inside transactions; PRAGMA user_version counts those
 * applied. Append only: a released migration is never edited.
 *
 * Encrypted columns (suffix `_enc`) hold AES-256-GCM output under the data key with the row's
 * identity as associated data (store/at-rest.ts), so a value cannot be moved to another row.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    outcome TEXT NOT NULL,
    severity TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT,
    source TEXT,
    object TEXT,
    code TEXT,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
  ) STRICT;

  CREATE TABLE patients (
    id TEXT PRIMARY KEY,
    display_name_enc BLOB NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('patient', 'clinician', 'technician', 'admin', 'auditor')),
    patient_id TEXT REFERENCES patients(id),
    password_hash TEXT NOT NULL,
    totp_secret_enc BLOB,
    totp_last_counter INTEGER NOT NULL DEFAULT -1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    lock_count INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    credentials_changed_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE care_team (
    clinician_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    patient_id TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    assigned_by TEXT NOT NULL,
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (clinician_id, patient_id)
  ) STRICT;

  -- One live session per user (MFDS 1.2), enforced by the store itself: the partial unique index
  -- makes a second live row impossible whatever the application does.
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at INTEGER,
    end_reason TEXT,
    break_glass_until INTEGER,
    break_glass_reason TEXT,
    break_glass_patient TEXT
  ) STRICT;
  CREATE UNIQUE INDEX sessions_one_live ON sessions(user_id) WHERE ended_at IS NULL;

  CREATE TABLE refresh_tokens (
    token_hash BLOB PRIMARY KEY,
    family_id TEXT NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  ) STRICT;
  CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);

  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    patient_id TEXT REFERENCES patients(id),
    status TEXT NOT NULL CHECK (status IN ('enrolled', 'revoked')),
    cert_serial TEXT,
    cert_fingerprint TEXT,
    public_identity TEXT,
    enrolled_at INTEGER,
    revoked_at INTEGER,
    last_seen_at INTEGER
  ) STRICT;

  CREATE TABLE revoked_certificates (
    serial TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    revoked_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE enrolment_tokens (
    token_hash BLOB PRIMARY KEY,
    device_id TEXT NOT NULL,
    model TEXT NOT NULL,
    patient_id TEXT REFERENCES patients(id),
    created_by TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  ) STRICT;

  CREATE TABLE device_sessions (
    key_id BLOB PRIMARY KEY,
    device_id TEXT NOT NULL,
    secrets_enc BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX device_sessions_device ON device_sessions(device_id);

  -- Readings, idempotent on the envelope's identity: a redelivered envelope is stored once.
  CREATE TABLE readings (
    id INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL,
    key_id BLOB NOT NULL,
    stream_id INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    patient_id TEXT,
    content_type INTEGER NOT NULL,
    measured_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    payload_enc BLOB NOT NULL,
    UNIQUE (device_id, key_id, stream_id, sequence)
  ) STRICT;
  CREATE INDEX readings_patient_time ON readings(patient_id, measured_at);
  `,
  `
  -- ISVS 2.1.10: no two devices share a key. The TLS key (SHA-256 of its SPKI) and both identity
  -- keys (RFC 7638 thumbprints) are unique across every device ever enrolled, revoked included:
  -- a revoked device's keys are compromised and never certified again.
  ALTER TABLE devices ADD COLUMN tls_key_sha256 TEXT;
  ALTER TABLE devices ADD COLUMN signing_kid TEXT;
  ALTER TABLE devices ADD COLUMN agreement_kid TEXT;
  CREATE UNIQUE INDEX devices_tls_key ON devices(tls_key_sha256);
  CREATE UNIQUE INDEX devices_signing_kid ON devices(signing_kid);
  CREATE UNIQUE INDEX devices_agreement_kid ON devices(agreement_kid);
  `,
  `
  -- Therapy commands (CTL-08, CTL-15; docs/protocols/therapy-commands.md): one row per order,
  -- kept for ever as the evidence of who ordered, confirmed and signed what, and what the device
  -- answered. The action, the signed command and the device-signed acknowledgement are health
  -- data and sealed under the data key (row context = command id); signatures, key ids and
  -- public keys are not secret and stay clear so the evidence can be listed without the key.
  -- sequence is assigned at signing, strictly increasing per device (the device refuses any
  -- sequence not above the last it executed).
  CREATE TABLE therapy_commands (
    command_id BLOB PRIMARY KEY CHECK (length(command_id) = 16),
    device_id TEXT NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    sequence INTEGER CHECK (sequence > 0),
    nonce BLOB CHECK (nonce IS NULL OR length(nonce) = 16),
    issuer_user_id TEXT NOT NULL,
    issuer_session_id TEXT NOT NULL,
    action_kind TEXT NOT NULL,
    action_enc BLOB NOT NULL,
    status TEXT NOT NULL CHECK (status IN
      ('awaiting-confirmation', 'cancelled', 'expired', 'signed', 'sent', 'undeliverable', 'executed', 'rejected')),
    created_at INTEGER NOT NULL,
    confirm_deadline INTEGER NOT NULL,
    confirmed_at INTEGER,
    issued_at INTEGER,
    expires_at INTEGER,
    sent_at INTEGER,
    decided_at INTEGER,
    ack_received_at INTEGER,
    command_enc BLOB,
    signature BLOB,
    signer_kid TEXT,
    signer_jwk TEXT,
    ack_enc BLOB,
    ack_signature BLOB,
    ack_signer_kid TEXT,
    ack_signer_jwk TEXT,
    ack_status INTEGER,
    reason_code TEXT,
    UNIQUE (device_id, sequence)
  ) STRICT;
  CREATE INDEX therapy_commands_device ON therapy_commands(device_id, created_at);
  CREATE INDEX therapy_commands_patient ON therapy_commands(patient_id, created_at);

  -- Never deleted, and what was signed is never rewritten: the store itself refuses, whatever
  -- the application does.
  CREATE TRIGGER therapy_commands_kept BEFORE DELETE ON therapy_commands
  BEGIN SELECT RAISE(ABORT, 'therapy commands are never deleted'); END;
  CREATE TRIGGER therapy_commands_signed_immutable BEFORE UPDATE ON therapy_commands
  WHEN (OLD.signature IS NOT NULL AND (NEW.signature IS NOT OLD.signature OR NEW.command_enc IS NOT OLD.command_enc
          OR NEW.signer_kid IS NOT OLD.signer_kid OR NEW.signer_jwk IS NOT OLD.signer_jwk OR NEW.sequence IS NOT OLD.sequence
          OR NEW.nonce IS NOT OLD.nonce OR NEW.device_id IS NOT OLD.device_id OR NEW.issuer_user_id IS NOT OLD.issuer_user_id))
    OR (OLD.ack_signature IS NOT NULL AND (NEW.ack_signature IS NOT OLD.ack_signature OR NEW.ack_enc IS NOT OLD.ack_enc
          OR NEW.ack_signer_kid IS NOT OLD.ack_signer_kid OR NEW.ack_signer_jwk IS NOT OLD.ack_signer_jwk))
  BEGIN SELECT RAISE(ABORT, 'signed therapy evidence is immutable'); END;
  `,
  `
  -- Maintenance commands (issue 4; docs/protocols/therapy-commands.md "Maintenance commands") travel
  -- the therapy command path and share its table: one per-device sequence over every command the
  -- device was ever sent, whatever its purpose. A maintenance command concerns no patient, so
  -- patient_id becomes nullable, and the CHECK ties the two together: a therapy command always
  -- names its patient, a maintenance command never does. SQLite cannot relax NOT NULL in place:
  -- the table is rebuilt (DROP TABLE drops its triggers before its implicit delete, so none fires)
  -- and its indexes and triggers are created again, purpose and patient included in what a
  -- signature freezes.
  CREATE TABLE therapy_commands_v2 (
    command_id BLOB PRIMARY KEY CHECK (length(command_id) = 16),
    device_id TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('therapy', 'maintenance')),
    patient_id TEXT REFERENCES patients(id),
    sequence INTEGER CHECK (sequence > 0),
    nonce BLOB CHECK (nonce IS NULL OR length(nonce) = 16),
    issuer_user_id TEXT NOT NULL,
    issuer_session_id TEXT NOT NULL,
    action_kind TEXT NOT NULL,
    action_enc BLOB NOT NULL,
    status TEXT NOT NULL CHECK (status IN
      ('awaiting-confirmation', 'cancelled', 'expired', 'signed', 'sent', 'undeliverable', 'executed', 'rejected')),
    created_at INTEGER NOT NULL,
    confirm_deadline INTEGER NOT NULL,
    confirmed_at INTEGER,
    issued_at INTEGER,
    expires_at INTEGER,
    sent_at INTEGER,
    decided_at INTEGER,
    ack_received_at INTEGER,
    command_enc BLOB,
    signature BLOB,
    signer_kid TEXT,
    signer_jwk TEXT,
    ack_enc BLOB,
    ack_signature BLOB,
    ack_signer_kid TEXT,
    ack_signer_jwk TEXT,
    ack_status INTEGER,
    reason_code TEXT,
    CHECK ((purpose = 'therapy') = (patient_id IS NOT NULL)),
    UNIQUE (device_id, sequence)
  ) STRICT;
  INSERT INTO therapy_commands_v2 (command_id, device_id, purpose, patient_id, sequence, nonce, issuer_user_id, issuer_session_id,
    action_kind, action_enc, status, created_at, confirm_deadline, confirmed_at, issued_at, expires_at, sent_at, decided_at,
    ack_received_at, command_enc, signature, signer_kid, signer_jwk, ack_enc, ack_signature, ack_signer_kid, ack_signer_jwk,
    ack_status, reason_code)
  SELECT command_id, device_id, 'therapy', patient_id, sequence, nonce, issuer_user_id, issuer_session_id,
    action_kind, action_enc, status, created_at, confirm_deadline, confirmed_at, issued_at, expires_at, sent_at, decided_at,
    ack_received_at, command_enc, signature, signer_kid, signer_jwk, ack_enc, ack_signature, ack_signer_kid, ack_signer_jwk,
    ack_status, reason_code
  FROM therapy_commands;
  DROP TABLE therapy_commands;
  ALTER TABLE therapy_commands_v2 RENAME TO therapy_commands;
  CREATE INDEX therapy_commands_device ON therapy_commands(device_id, created_at);
  CREATE INDEX therapy_commands_patient ON therapy_commands(patient_id, created_at);

  CREATE TRIGGER therapy_commands_kept BEFORE DELETE ON therapy_commands
  BEGIN SELECT RAISE(ABORT, 'therapy commands are never deleted'); END;
  CREATE TRIGGER therapy_commands_signed_immutable BEFORE UPDATE ON therapy_commands
  WHEN (OLD.signature IS NOT NULL AND (NEW.signature IS NOT OLD.signature OR NEW.command_enc IS NOT OLD.command_enc
          OR NEW.signer_kid IS NOT OLD.signer_kid OR NEW.signer_jwk IS NOT OLD.signer_jwk OR NEW.sequence IS NOT OLD.sequence
          OR NEW.nonce IS NOT OLD.nonce OR NEW.device_id IS NOT OLD.device_id OR NEW.issuer_user_id IS NOT OLD.issuer_user_id
          OR NEW.purpose IS NOT OLD.purpose OR NEW.patient_id IS NOT OLD.patient_id))
    OR (OLD.ack_signature IS NOT NULL AND (NEW.ack_signature IS NOT OLD.ack_signature OR NEW.ack_enc IS NOT OLD.ack_enc
          OR NEW.ack_signer_kid IS NOT OLD.ack_signer_kid OR NEW.ack_signer_jwk IS NOT OLD.ack_signer_jwk))
  BEGIN SELECT RAISE(ABORT, 'signed therapy evidence is immutable'); END;

  -- A device's maintenance reports (content type 10, CONTENT_TYPE_MAINTENANCE_REPORT), newest first:
  -- partial, so the ingest hot path (readings of every other type) maintains no extra index.
  CREATE INDEX readings_maintenance_reports ON readings(device_id, id) WHERE content_type = 10;
  `,
  `
  -- Firmware updates (issue 5; docs/firmware/gateway.md). The bytes live in the data directory's
  -- firmware/blobs/, named by their SHA-256; these tables index them. Consistent snapshots: a
  -- versioned metadata name and a target path are one content for ever, so the store refuses to
  -- rewrite or delete them; only timestamp.json moves on, and never back (the service checks the
  -- version, the trigger that the row stays a timestamp).
  CREATE TABLE firmware_metadata (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('root', 'targets', 'snapshot', 'timestamp')),
    version INTEGER NOT NULL CHECK (version > 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    length INTEGER NOT NULL CHECK (length > 0),
    published_at INTEGER NOT NULL,
    published_by TEXT NOT NULL
  ) STRICT;
  CREATE TRIGGER firmware_metadata_kept BEFORE DELETE ON firmware_metadata
  BEGIN SELECT RAISE(ABORT, 'published firmware metadata is never deleted'); END;
  CREATE TRIGGER firmware_metadata_immutable BEFORE UPDATE ON firmware_metadata
  WHEN OLD.name <> 'timestamp.json' OR NEW.name <> OLD.name OR NEW.role <> OLD.role
  BEGIN SELECT RAISE(ABORT, 'published firmware metadata is immutable'); END;

  -- file_path is where the device fetches the image (<model>/<sha256>.<name>.bin), target_path
  -- the TUF target path it is listed under (<model>/<name>.bin) and what a director instruction names.
  CREATE TABLE firmware_targets (
    file_path TEXT PRIMARY KEY,
    target_path TEXT NOT NULL UNIQUE,
    model TEXT NOT NULL,
    version TEXT NOT NULL,
    version_major INTEGER NOT NULL,
    version_minor INTEGER NOT NULL,
    version_patch INTEGER NOT NULL,
    security_counter INTEGER NOT NULL CHECK (security_counter BETWEEN 0 AND 4294967295),
    length INTEGER NOT NULL CHECK (length > 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    encrypted INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
    published_at INTEGER NOT NULL,
    published_by TEXT NOT NULL,
    UNIQUE (model, version)
  ) STRICT;
  CREATE TRIGGER firmware_targets_kept BEFORE DELETE ON firmware_targets
  BEGIN SELECT RAISE(ABORT, 'published firmware targets are never deleted'); END;
  CREATE TRIGGER firmware_targets_immutable BEFORE UPDATE ON firmware_targets
  BEGIN SELECT RAISE(ABORT, 'published firmware targets are immutable'); END;

  -- Rollout campaigns: created by a technician, approved by another user who is an admin, then
  -- staged; kept for ever as the record of who rolled out what to whom. stage is the index into
  -- stages (a JSON array of percentages); failure_window numbers the current failure window, which
  -- opens at approval, at each stage and at each resume (a device finishing is stamped with it).
  CREATE TABLE firmware_campaigns (
    campaign_id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    version TEXT NOT NULL,
    target_path TEXT NOT NULL REFERENCES firmware_targets(target_path),
    stages TEXT NOT NULL,
    stage INTEGER NOT NULL DEFAULT 0 CHECK (stage >= 0),
    failure_threshold_percent INTEGER NOT NULL CHECK (failure_threshold_percent BETWEEN 0 AND 100),
    min_failure_sample INTEGER NOT NULL CHECK (min_failure_sample > 0),
    status TEXT NOT NULL CHECK (status IN ('awaiting-approval', 'running', 'paused', 'completed', 'aborted')),
    pause_reason TEXT,
    failure_window INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    approved_by TEXT,
    approved_at INTEGER,
    updated_at INTEGER NOT NULL,
    ended_at INTEGER,
    CHECK (approved_by IS NULL OR approved_by <> created_by)
  ) STRICT;
  CREATE TRIGGER firmware_campaigns_kept BEFORE DELETE ON firmware_campaigns
  BEGIN SELECT RAISE(ABORT, 'rollout campaigns are never deleted'); END;

  -- The cohort, fixed at creation. rank orders the devices by SHA-256(campaign id, device id):
  -- stage k offers the update to the ranks below its share of the cohort.
  CREATE TABLE firmware_campaign_devices (
    campaign_id TEXT NOT NULL REFERENCES firmware_campaigns(campaign_id),
    device_id TEXT NOT NULL,
    rank INTEGER NOT NULL CHECK (rank >= 0),
    status TEXT NOT NULL CHECK (status IN ('pending', 'offered', 'downloading', 'installed', 'trial', 'confirmed', 'reverted', 'failed')),
    stage INTEGER,
    progress INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    error_code TEXT,
    updated_at INTEGER,
    finished_at INTEGER,
    finished_window INTEGER,
    PRIMARY KEY (campaign_id, device_id),
    UNIQUE (campaign_id, rank)
  ) STRICT;
  CREATE INDEX firmware_campaign_devices_device ON firmware_campaign_devices(device_id);

  -- Every director instruction issued: the signed JWS (public), its nonce and validity. A device
  -- report must name one of these nonces (U15).
  CREATE TABLE firmware_instructions (
    jti TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES firmware_campaigns(campaign_id),
    device_id TEXT NOT NULL,
    jws TEXT NOT NULL,
    check_nonce TEXT,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX firmware_instructions_device ON firmware_instructions(device_id, campaign_id, issued_at);
  `,
];
