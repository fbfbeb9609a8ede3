/**
 * Devices: one-time enrolment tokens, enrolment (token + CSR + public keys → certificate bound
 * to the device id), revocation, and the lookups the device plane makes on every connect and
 * handshake (CTL-05, CTL-11). Each device has its own key pair and certificate; nothing is
 * derived from a serial number.
 */
import { KeyCache, type PublicIdentity, type PublicJwk, type PublicJwks } from '@medsim/crypto';
import type { AuditStream } from '@medsim/logging';
import { isDeviceId } from '@medsim/protocol';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { GatewayError } from '../errors.js';
import type { LocalCa } from '../pki/local-ca.js';
import type { Database } from '../store/database.js';

/** Device model names: lower-case words. */
const MODEL = /^[a-z][a-z0-9-]{0,63}$/u;

/** A device as the API shows it. */
export interface DeviceRecord {
  readonly id: string;
  readonly model: string;
  readonly patientId: string | null;
  readonly status: 'pending' | 'enrolled' | 'revoked';
  readonly certificateSerial: string | null;
  readonly enrolledAt: string | null;
  readonly revokedAt: string | null;
  readonly lastSeenAt: string | null;
  readonly online: boolean;
}

/** What enrol() returns to the device. */
export interface EnrolmentResult {
  readonly certificatePem: string;
  readonly caCertificatePem: string;
  /** The gateway's public keys: the HPKE recipient key and its signing key. */
  readonly gatewayIdentity: PublicJwks;
  /** The gateway's therapy command-signing key (Ed25519, with kid): the only key a device accepts commands from. */
  readonly commandSigner: PublicJwk;
  /** The firmware director's signing key (Ed25519, with kid): the only key a device accepts update instructions from. */
  readonly directorKey?: PublicJwk;
}

interface DeviceRow {
  id: string;
  model: string;
  patient_id: string | null;
  status: 'enrolled' | 'revoked';
  cert_serial: string | null;
  public_identity: string | null;
  enrolled_at: number | null;
  revoked_at: number | null;
  last_seen_at: number | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const hashToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** Options of DeviceRegistry. */
export interface DeviceRegistryOptions {
  readonly db: Database;
  readonly ca: LocalCa;
  readonly audit: AuditStream;
  readonly gatewayIdentity: PublicJwks;
  /** Public JWK of the therapy command-signing key, handed to every device at enrolment. */
  readonly commandSigner: PublicJwk;
  /** Public JWK of the firmware director key, handed to every device at enrolment when given. */
  readonly directorKey?: PublicJwk;
  readonly now: () => number;
  readonly tokenTtlMs: number;
  readonly certificateDays: number;
}

/** The registry of enrolled devices. Emits `revoked(deviceId)`. */
export class DeviceRegistry extends EventEmitter<{ revoked: [string] }> {
  readonly #o: DeviceRegistryOptions;
  readonly #keys = new KeyCache();
  readonly #identities = new Map<string, PublicIdentity>();
  readonly #online = new Set<string>();
  /** Patient of each enrolled device, read on every reading: kept in memory, changed only here. */
  readonly #patients = new Map<string, string | null>();
  readonly #selectRow;

  constructor(options: DeviceRegistryOptions) {
    super();
    this.#o = options;
    this.#selectRow = options.db.prepare('SELECT * FROM devices WHERE id = ?');
  }

  /** Loads the public identities of enrolled devices (once, at start). */
  async load(): Promise<void> {
    const rows = this.#o.db.prepare("SELECT id, public_identity FROM devices WHERE status = 'enrolled'").all() as DeviceRow[];
    for (const row of rows) {
      if (row.public_identity !== null) this.#identities.set(row.id, await this.#keys.importPublicIdentity(JSON.parse(row.public_identity) as PublicJwks));
    }
  }

  /**
   * Creates a one-time enrolment token for `deviceId` (by an admin or technician). The token is
   * shown once; only its SHA-256 is stored.
   */
  createEnrolmentToken(input: { deviceId: string; model: string; patientId?: string | null; createdBy: string }): { token: string; expiresAt: string } {
    if (!isDeviceId(input.deviceId)) throw new GatewayError('ERR_BAD_REQUEST', 'invalid device id', { details: { field: 'deviceId' } });
    if (!MODEL.test(input.model)) throw new GatewayError('ERR_BAD_REQUEST', 'invalid device model', { details: { field: 'model' } });
    const existing = this.#row(input.deviceId);
    if (existing?.status === 'enrolled') throw new GatewayError('ERR_DEVICE_ALREADY_ENROLLED', 'the device is enrolled');
    if (input.patientId != null && this.#o.db.prepare('SELECT 1 FROM patients WHERE id = ?').get(input.patientId) === undefined) {
      throw new GatewayError('ERR_NOT_FOUND', 'no such patient', { details: { field: 'patientId' } });
    }
    const token = `enr_${randomBytes(24).toString('base64url')}`;
    const expiresAt = this.#o.now() + this.#o.tokenTtlMs;
    this.#o.db
      .prepare('INSERT INTO enrolment_tokens (token_hash, device_id, model, patient_id, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(hashToken(token), input.deviceId, input.model, input.patientId ?? null, input.createdBy, expiresAt);
    return { token, expiresAt: new Date(expiresAt).toISOString() };
  }

  /**
   * Enrols a device: the token must be unused, unexpired and for this device id; the CSR must
   * verify. The certificate is bound to the device id. Audited either way.
   */
  async enrol(input: { token: string; deviceId: string; csrPem: string; identity: PublicJwks; source: string }): Promise<EnrolmentResult> {
    const refuse = (code: 'ERR_ENROLMENT_TOKEN_INVALID' | 'ERR_PKI_INVALID_CSR' | 'ERR_BAD_REQUEST', message: string, cause?: unknown): never => {
      this.#o.audit.record({ event: 'device.enrol', outcome: 'denied', severity: 'medium', actor: 'device', role: 'device', source: input.source, object: isDeviceId(input.deviceId) ? input.deviceId : 'invalid', code });
      throw cause instanceof GatewayError ? cause : new GatewayError(code, message, { cause });
    };
    if (!isDeviceId(input.deviceId)) refuse('ERR_BAD_REQUEST', 'invalid device id');
    const now = this.#o.now();
    const tokenRow = this.#o.db.prepare('SELECT * FROM enrolment_tokens WHERE token_hash = ?').get(hashToken(String(input.token))) as
      | { token_hash: Buffer; device_id: string; model: string; patient_id: string | null; expires_at: number; used_at: number | null }
      | undefined;
    const sameDevice =
      tokenRow !== undefined &&
      tokenRow.device_id.length === input.deviceId.length &&
      timingSafeEqual(Buffer.from(tokenRow.device_id), Buffer.from(input.deviceId));
    if (tokenRow === undefined || !sameDevice || tokenRow.used_at !== null || tokenRow.expires_at <= now) {
      refuse('ERR_ENROLMENT_TOKEN_INVALID', 'the enrolment token is not valid for this device');
    }
    if (this.#row(input.deviceId)?.status === 'enrolled') refuse('ERR_ENROLMENT_TOKEN_INVALID', 'the device is already enrolled');
    let identity: PublicIdentity;
    try {
      identity = await this.#keys.importPublicIdentity(input.identity);
    } catch (cause) {
      return refuse('ERR_BAD_REQUEST', 'the device public keys are invalid', cause);
    }
    let issued;
    try {
      issued = await this.#o.ca.issueDevice(input.csrPem, input.deviceId, this.#o.certificateDays);
    } catch (cause) {
      return refuse('ERR_PKI_INVALID_CSR', 'the CSR is invalid', cause);
    }
    const token = tokenRow!;
    // ISVS 2.1.10: a key another device holds (or held) is never certified again.
    const reused = this.#o.db
      .prepare('SELECT id FROM devices WHERE tls_key_sha256 = ? OR signing_kid = ? OR agreement_kid = ?')
      .all(issued.publicKeySha256, identity.signing.kid, identity.agreement.kid) as { id: string }[];
    if (reused.length > 0) refuse('ERR_PKI_INVALID_CSR', 'a key in this request belongs to another enrolled or revoked device');
    const publicIdentity = JSON.stringify({ signing: identity.signing.jwk, agreement: identity.agreement.jwk });
    this.#o.db.transaction(() => {
      const used = this.#o.db.prepare('UPDATE enrolment_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL').run(now, token.token_hash);
      if (used.changes !== 1) throw new GatewayError('ERR_ENROLMENT_TOKEN_INVALID', 'the enrolment token was used meanwhile');
      this.#o.db
        .prepare(
          `INSERT INTO devices (id, model, patient_id, status, cert_serial, cert_fingerprint, public_identity, enrolled_at,
             tls_key_sha256, signing_kid, agreement_kid)
           VALUES (?, ?, ?, 'enrolled', ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET model = excluded.model, patient_id = excluded.patient_id, status = 'enrolled',
             cert_serial = excluded.cert_serial, cert_fingerprint = excluded.cert_fingerprint,
             public_identity = excluded.public_identity, enrolled_at = excluded.enrolled_at, revoked_at = NULL,
             tls_key_sha256 = excluded.tls_key_sha256, signing_kid = excluded.signing_kid, agreement_kid = excluded.agreement_kid`,
        )
        .run(input.deviceId, token.model, token.patient_id, issued.serial, issued.fingerprint256, publicIdentity, now, issued.publicKeySha256, identity.signing.kid, identity.agreement.kid);
    })();
    this.#identities.set(input.deviceId, identity);
    this.#patients.set(input.deviceId, token.patient_id);
    this.#o.audit.record({ event: 'device.enrol', outcome: 'success', severity: 'info', actor: 'device', role: 'device', source: input.source, object: input.deviceId });
    return {
      certificatePem: issued.certPem,
      caCertificatePem: this.#o.ca.certPem,
      gatewayIdentity: this.#o.gatewayIdentity,
      commandSigner: this.#o.commandSigner,
      ...(this.#o.directorKey === undefined ? {} : { directorKey: this.#o.directorKey }),
    };
  }

  /** Revokes a device's certificate; its live connection is closed (listeners of `revoked`). */
  revoke(deviceId: string, by: { actor: string; role: string; source?: string }): void {
    const row = this.#row(deviceId);
    if (row === undefined) throw new GatewayError('ERR_DEVICE_UNKNOWN', 'no such device');
    const now = this.#o.now();
    this.#o.db.transaction(() => {
      this.#o.db.prepare("UPDATE devices SET status = 'revoked', revoked_at = ? WHERE id = ?").run(now, deviceId);
      if (row.cert_serial !== null) {
        this.#o.db.prepare('INSERT OR IGNORE INTO revoked_certificates (serial, device_id, revoked_at) VALUES (?, ?, ?)').run(row.cert_serial, deviceId, now);
      }
      this.#o.db.prepare('DELETE FROM device_sessions WHERE device_id = ?').run(deviceId);
    })();
    this.#identities.delete(deviceId);
    this.#patients.delete(deviceId);
    this.#o.audit.record({ event: 'device.revoke', outcome: 'success', severity: 'high', ...by, object: deviceId });
    this.emit('revoked', deviceId);
  }

  /** Whether a certificate (device id from its CN/SAN, serial) may connect now. */
  certificateStatus(deviceId: string, serial: string): 'ok' | 'unknown' | 'revoked' {
    if (this.#o.db.prepare('SELECT 1 FROM revoked_certificates WHERE serial = ?').get(serial.toUpperCase()) !== undefined) return 'revoked';
    const row = this.#row(deviceId);
    if (row === undefined) return 'unknown';
    if (row.status === 'revoked') return 'revoked';
    return row.cert_serial === serial.toUpperCase() ? 'ok' : 'unknown';
  }

  /** The enrolled public identity of a device (undefined if unknown or revoked). */
  identityOf(deviceId: string): PublicIdentity | undefined {
    return this.#identities.get(deviceId);
  }

  /** The patient a device is assigned to. */
  patientOf(deviceId: string): string | null {
    const cached = this.#patients.get(deviceId);
    if (cached !== undefined) return cached;
    const patientId = this.#row(deviceId)?.patient_id ?? null;
    this.#patients.set(deviceId, patientId);
    return patientId;
  }

  /** Whether a device is connected now, over either plane (one connection per device, CTL-03). */
  isOnline(deviceId: string): boolean {
    return this.#online.has(deviceId);
  }

  /** Marks a device connected or disconnected. */
  setOnline(deviceId: string, online: boolean): void {
    if (online) this.#online.add(deviceId);
    else this.#online.delete(deviceId);
    this.#o.db.prepare('UPDATE devices SET last_seen_at = ? WHERE id = ?').run(this.#o.now(), deviceId);
  }

  /** Every device, enrolled or revoked, and the ones with a pending token. */
  list(): DeviceRecord[] {
    const rows = this.#o.db.prepare('SELECT * FROM devices ORDER BY id').all() as DeviceRow[];
    return rows.map((row) => this.#record(row));
  }

  /** One device. */
  get(deviceId: string): DeviceRecord | undefined {
    const row = this.#row(deviceId);
    return row === undefined ? undefined : this.#record(row);
  }

  #record(row: DeviceRow): DeviceRecord {
    return {
      id: row.id,
      model: row.model,
      patientId: row.patient_id,
      status: row.status,
      certificateSerial: row.cert_serial,
      enrolledAt: iso(row.enrolled_at),
      revokedAt: iso(row.revoked_at),
      lastSeenAt: iso(row.last_seen_at),
      online: this.#online.has(row.id),
    };
  }

  #row(deviceId: string): DeviceRow | undefined {
    return this.#selectRow.get(deviceId) as DeviceRow | undefined;
  }
}
