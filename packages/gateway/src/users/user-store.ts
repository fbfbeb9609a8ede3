/**
 * Users (CTL-02): accounts, scrypt password hashes, TOTP secrets (AES-256-GCM under the data key
 * with `totp|<userId>` as associated data, CTL-10), failure and lock state; plus patients and
 * care teams (PatientDirectory). A fresh store has no users at all: the bootstrap creates the
 * first admin with a generated password (S7: no default accounts).
 *
 * The store does not audit: callers know who acted and record it.
 */
import { randomUUID } from 'node:crypto';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import type { DataKey } from '../store/at-rest.js';
import type { Database } from '../store/database.js';
import { afterFailure, type LockState, type LockoutPolicy } from './lockout.js';
import { checkPasswordPolicy, hashCost, hashPassword, verifyPassword } from './password.js';
import { PatientDirectory, type PatientRecord } from './patients.js';
import { isUserRole, mfaRequired, type UserRole } from './roles.js';
import { acceptTotp, newTotpSecret, totpUri } from './totp.js';

/** User names: lower-case letters, digits and . _ @ -, 3 to 64 characters. */
const USERNAME = /^[a-z0-9][a-z0-9._@-]{2,63}$/u;

/** A user as the API shows it (no hash, no secret). */
export interface UserRecord {
  readonly id: string;
  readonly username: string;
  readonly role: UserRole;
  readonly patientId: string | null;
  readonly disabled: boolean;
  readonly mfaEnrolled: boolean;
  /** ISO time the current lock ends, or null. */
  readonly lockedUntil: string | null;
  readonly createdAt: string;
}

/** What the login path needs about a user. */
export interface UserCredentials extends LockState {
  readonly id: string;
  readonly username: string;
  readonly role: UserRole;
  readonly passwordHash: string;
  readonly disabled: boolean;
  readonly mfaEnrolled: boolean;
}

/** Input of createUser. */
export interface NewUser {
  readonly username: string;
  readonly role: UserRole;
  /** Must meet the password policy; generatePassword() makes one that does. */
  readonly password: string;
  /** For role patient: the patient record this account is (required for that role). */
  readonly patientId?: string;
}

/** Result of createUser: the id, and the otpauth URI when a TOTP secret was enrolled (show once). */
export interface CreatedUser {
  readonly id: string;
  readonly totpUri?: string;
}

/** Options of UserStore. */
export interface UserStoreOptions {
  readonly db: Database;
  readonly dataKey: DataKey;
  readonly now: () => number;
  /** scrypt N for new hashes (`auth.scryptCost`). */
  readonly scryptCost: number;
  /** `auth.mfaForClinicians`: clinicians also get a TOTP secret at creation. */
  readonly mfaForClinicians: boolean;
}

interface UserRow {
  id: string;
  username: string;
  role: UserRole;
  patient_id: string | null;
  password_hash: string;
  totp_secret_enc: Buffer | null;
  totp_last_counter: number;
  failed_logins: number;
  lock_count: number;
  locked_until: number;
  disabled: number;
  credentials_changed_at: number;
  created_at: number;
}

const totpContext = (userId: string): string => `totp|${userId}`;

/** The users table, with patients and care teams. */
export class UserStore {
  readonly #o: UserStoreOptions;
  readonly #patients: PatientDirectory;

  constructor(options: UserStoreOptions) {
    this.#o = options;
    this.#patients = new PatientDirectory(options.db, options.dataKey, options.now);
  }

  /** A store on a gateway context's database, key, clock and settings. */
  static fromContext(ctx: GatewayContext): UserStore {
    return new UserStore({
      db: ctx.db,
      dataKey: ctx.dataKey,
      now: ctx.now,
      scryptCost: ctx.config['auth.scryptCost'],
      mfaForClinicians: ctx.config['auth.mfaForClinicians'],
    });
  }

  /** The scrypt cost new hashes use. */
  get scryptCost(): number {
    return this.#o.scryptCost;
  }

  /** Whether `role` must log in with TOTP under this store's settings. */
  mfaRequired(role: UserRole): boolean {
    return mfaRequired(role, this.#o.mfaForClinicians);
  }

  /** Number of users (S7: zero in a fresh store). */
  count(): number {
    return (this.#o.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  /**
   * Creates a user. Throws ERR_BAD_REQUEST (user name, role, patient link), ERR_AUTH_WEAK_PASSWORD,
   * ERR_CONFLICT (name taken). Roles that need MFA get a TOTP secret now; its URI is returned once.
   */
  async createUser(input: NewUser): Promise<CreatedUser> {
    const username = normalizeUsername(input.username);
    if (!USERNAME.test(username)) throw new GatewayError('ERR_BAD_REQUEST', 'the user name must be 3 to 64 of a-z 0-9 . _ @ -', { details: { field: 'username' } });
    if (!isUserRole(input.role)) throw new GatewayError('ERR_BAD_REQUEST', 'unknown role', { details: { field: 'role' } });
    const patientId = input.patientId ?? null;
    if ((input.role === 'patient') !== (patientId !== null)) {
      throw new GatewayError('ERR_BAD_REQUEST', 'a patient account needs patientId, and only a patient account may have one', { details: { field: 'patientId' } });
    }
    if (patientId !== null && !this.#patients.exists(patientId)) throw new GatewayError('ERR_NOT_FOUND', 'no such patient', { details: { field: 'patientId' } });
    checkPasswordPolicy(username, input.password);
    const passwordHash = await hashPassword(input.password, this.#o.scryptCost);
    const id = randomUUID();
    const secret = this.mfaRequired(input.role) ? newTotpSecret() : undefined;
    const now = this.#o.now();
    try {
      this.#o.db
        .prepare(
          `INSERT INTO users (id, username, role, patient_id, password_hash, totp_secret_enc, credentials_changed_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, username, input.role, patientId, passwordHash, secret === undefined ? null : this.#o.dataKey.seal(secret, totpContext(id)), now, now);
    } catch (cause) {
      if ((cause as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new GatewayError('ERR_CONFLICT', 'the user name is taken', { cause });
      throw cause;
    }
    return secret === undefined ? { id } : { id, totpUri: totpUri(secret, username) };
  }

  /** One user, by id. */
  get(id: string): UserRecord | undefined {
    const row = this.#row('id', id);
    return row === undefined ? undefined : this.#record(row);
  }

  /** Every user, by user name. */
  list(): UserRecord[] {
    return (this.#o.db.prepare('SELECT * FROM users ORDER BY username').all() as UserRow[]).map((row) => this.#record(row));
  }

  /** The login view of a user, by (case-insensitive) user name. */
  credentials(username: string): UserCredentials | undefined {
    const row = this.#row('username', normalizeUsername(username));
    if (row === undefined) return undefined;
    return {
      id: row.id,
      username: row.username,
      role: row.role,
      passwordHash: row.password_hash,
      disabled: row.disabled !== 0,
      mfaEnrolled: row.totp_secret_enc !== null,
      failed: row.failed_logins,
      lockCount: row.lock_count,
      lockedUntil: row.locked_until,
    };
  }

  /** Checks a user's password (constant-time compare); re-hashes under the current cost on success. */
  async verifyPassword(id: string, password: string): Promise<boolean> {
    const row = this.#row('id', id);
    if (row === undefined || !(await verifyPassword(row.password_hash, password))) return false;
    if (hashCost(row.password_hash) !== this.#o.scryptCost) {
      const upgraded = await hashPassword(password, this.#o.scryptCost);
      this.#o.db.prepare('UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?').run(upgraded, id, row.password_hash);
    }
    return true;
  }

  /** Records a failed login; returns the new lock state. */
  recordLoginFailure(id: string, policy: LockoutPolicy): LockState {
    return this.#o.db.transaction(() => {
      const row = this.#row('id', id);
      if (row === undefined) throw new GatewayError('ERR_NOT_FOUND', 'no such user');
      const next = afterFailure({ failed: row.failed_logins, lockCount: row.lock_count, lockedUntil: row.locked_until }, policy, this.#o.now());
      this.#o.db.prepare('UPDATE users SET failed_logins = ?, lock_count = ?, locked_until = ? WHERE id = ?').run(next.failed, next.lockCount, next.lockedUntil, id);
      return next;
    })();
  }

  /** Clears failures and back-off after a complete login. */
  recordLoginSuccess(id: string): void {
    this.#o.db.prepare('UPDATE users SET failed_logins = 0, lock_count = 0, locked_until = 0 WHERE id = ?').run(id);
  }

  /** Lifts a lock (admin). */
  unlock(id: string): void {
    this.#mustUpdate('UPDATE users SET failed_logins = 0, lock_count = 0, locked_until = 0 WHERE id = ?', id);
  }

  /**
   * Accepts a TOTP code if it is valid now and newer than the last accepted one; the counter is
   * advanced with a compare-and-set, so two requests racing with one code cannot both pass.
   */
  acceptTotp(id: string, code: string): boolean {
    const row = this.#row('id', id);
    if (row?.totp_secret_enc == null) return false;
    const secret = this.#o.dataKey.open(row.totp_secret_enc, totpContext(id));
    const counter = acceptTotp(secret, code, this.#o.now(), row.totp_last_counter);
    if (counter === undefined) return false;
    return this.#o.db.prepare('UPDATE users SET totp_last_counter = ? WHERE id = ? AND totp_last_counter < ?').run(counter, id, counter).changes === 1;
  }

  /** Enrols a new TOTP secret (replacing any); returns its URI, to be shown once. */
  resetTotp(id: string): string {
    const row = this.#row('id', id);
    if (row === undefined) throw new GatewayError('ERR_NOT_FOUND', 'no such user');
    const secret = newTotpSecret();
    this.#o.db
      .prepare('UPDATE users SET totp_secret_enc = ?, totp_last_counter = -1, credentials_changed_at = ? WHERE id = ?')
      .run(this.#o.dataKey.seal(secret, totpContext(id)), this.#o.now(), id);
    return totpUri(secret, row.username);
  }

  /** Sets a new password (policy-checked). */
  async setPassword(id: string, password: string): Promise<void> {
    const row = this.#row('id', id);
    if (row === undefined) throw new GatewayError('ERR_NOT_FOUND', 'no such user');
    checkPasswordPolicy(row.username, password);
    const hash = await hashPassword(password, this.#o.scryptCost);
    this.#o.db.prepare('UPDATE users SET password_hash = ?, credentials_changed_at = ? WHERE id = ?').run(hash, this.#o.now(), id);
  }

  /**
   * Changes a user's role. A patient link is kept only for role patient (a change to patient
   * needs one). If the new role needs MFA and none is enrolled, a secret is enrolled and its URI
   * returned.
   */
  setRole(id: string, role: UserRole, patientId?: string): { totpUri?: string } {
    const row = this.#row('id', id);
    if (row === undefined) throw new GatewayError('ERR_NOT_FOUND', 'no such user');
    if (!isUserRole(role)) throw new GatewayError('ERR_BAD_REQUEST', 'unknown role', { details: { field: 'role' } });
    const link = role === 'patient' ? (patientId ?? row.patient_id) : null;
    if (role === 'patient' && (link === null || !this.#patients.exists(link))) {
      throw new GatewayError('ERR_BAD_REQUEST', 'a patient account needs an existing patientId', { details: { field: 'patientId' } });
    }
    this.#o.db.prepare('UPDATE users SET role = ?, patient_id = ?, credentials_changed_at = ? WHERE id = ?').run(role, link, this.#o.now(), id);
    if (this.mfaRequired(role) && row.totp_secret_enc === null) return { totpUri: this.resetTotp(id) };
    return {};
  }

  /** Disables or re-enables a user. */
  setDisabled(id: string, disabled: boolean): void {
    this.#mustUpdate('UPDATE users SET disabled = ?, credentials_changed_at = ? WHERE id = ?', disabled ? 1 : 0, this.#o.now(), id);
  }

  /** The patient a patient-role user is. */
  patientIdOf(userId: string): string | null {
    return this.#row('id', userId)?.patient_id ?? null;
  }

  /** Adds a patient (display name encrypted at rest). */
  createPatient(displayName: string): PatientRecord {
    return this.#patients.create(displayName);
  }

  /** Whether a patient exists. */
  patientExists(patientId: string): boolean {
    return this.#patients.exists(patientId);
  }

  /** Patients by id, or all. */
  listPatients(ids?: readonly string[]): PatientRecord[] {
    return this.#patients.list(ids);
  }

  /** Puts a patient on a clinician's care team (false if already there). */
  assignCareTeam(clinicianId: string, patientId: string, assignedBy: string): boolean {
    const clinician = this.#row('id', clinicianId);
    if (clinician === undefined || clinician.role !== 'clinician') throw new GatewayError('ERR_NOT_FOUND', 'no such clinician');
    if (!this.#patients.exists(patientId)) throw new GatewayError('ERR_NOT_FOUND', 'no such patient');
    return this.#patients.assign(clinicianId, patientId, assignedBy);
  }

  /** Takes a patient off a clinician's care team (false if not there). */
  unassignCareTeam(clinicianId: string, patientId: string): boolean {
    return this.#patients.unassign(clinicianId, patientId);
  }

  /** Whether a patient is on a clinician's care team. */
  isOnCareTeam(clinicianId: string, patientId: string): boolean {
    return this.#patients.onCareTeam(clinicianId, patientId);
  }

  /** The patient ids on a clinician's care team. */
  careTeamOf(clinicianId: string): string[] {
    return this.#patients.careTeamOf(clinicianId);
  }

  #mustUpdate(sql: string, ...params: (string | number)[]): void {
    if (this.#o.db.prepare(sql).run(...params).changes !== 1) throw new GatewayError('ERR_NOT_FOUND', 'no such user');
  }

  #row(column: 'id' | 'username', value: string): UserRow | undefined {
    return this.#o.db.prepare(`SELECT * FROM users WHERE ${column} = ?`).get(value) as UserRow | undefined;
  }

  #record(row: UserRow): UserRecord {
    return {
      id: row.id,
      username: row.username,
      role: row.role,
      patientId: row.patient_id,
      disabled: row.disabled !== 0,
      mfaEnrolled: row.totp_secret_enc !== null,
      lockedUntil: row.locked_until > this.#o.now() ? new Date(row.locked_until).toISOString() : null,
      createdAt: new Date(row.created_at).toISOString(),
    };
  }
}

/** User names compare case-insensitively: stored and looked up lower-cased (NFKC first). */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}
