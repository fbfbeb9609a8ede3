/**
 * Patients and care teams. A patient's display name is PHI: stored AES-256-GCM under the data key
 * with `patient|<id>` as associated data (CTL-10). Care-team rows say which clinician may read
 * which patient (CTL-01 object scope).
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors.js';
import type { DataKey } from '../store/at-rest.js';
import type { Database } from '../store/database.js';

/** A patient as the API shows it. */
export interface PatientRecord {
  readonly id: string;
  readonly displayName: string;
  readonly createdAt: string;
}

/** Longest display name, in characters. */
export const DISPLAY_NAME_MAX = 200;

interface PatientRow {
  id: string;
  display_name_enc: Buffer;
  created_at: number;
}

const patientContext = (id: string): string => `patient|${id}`;

/** The patients and care_team tables. */
export class PatientDirectory {
  readonly #db: Database;
  readonly #key: DataKey;
  readonly #now: () => number;

  constructor(db: Database, key: DataKey, now: () => number) {
    this.#db = db;
    this.#key = key;
    this.#now = now;
  }

  /** Adds a patient; returns the new id. */
  create(displayName: string): PatientRecord {
    const name = displayName.trim();
    if (name.length === 0 || [...name].length > DISPLAY_NAME_MAX) {
      throw new GatewayError('ERR_BAD_REQUEST', `the display name must be 1 to ${DISPLAY_NAME_MAX} characters`, { details: { field: 'displayName' } });
    }
    const id = randomUUID();
    const now = this.#now();
    this.#db.prepare('INSERT INTO patients (id, display_name_enc, created_at) VALUES (?, ?, ?)').run(id, this.#key.sealText(name, patientContext(id)), now);
    return { id, displayName: name, createdAt: new Date(now).toISOString() };
  }

  /** Whether a patient exists. */
  exists(id: string): boolean {
    return this.#db.prepare('SELECT 1 FROM patients WHERE id = ?').get(id) !== undefined;
  }

  /** Patients by id (all when `ids` is undefined), ordered by id. */
  list(ids?: readonly string[]): PatientRecord[] {
    const rows =
      ids === undefined
        ? (this.#db.prepare('SELECT * FROM patients ORDER BY id').all() as PatientRow[])
        : (this.#db.prepare('SELECT * FROM patients WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id').all(JSON.stringify(ids)) as PatientRow[]);
    return rows.map((row) => ({
      id: row.id,
      displayName: this.#key.openText(row.display_name_enc, patientContext(row.id)),
      createdAt: new Date(row.created_at).toISOString(),
    }));
  }

  /** Puts `patientId` on `clinicianId`'s care team; false if it already was. */
  assign(clinicianId: string, patientId: string, assignedBy: string): boolean {
    const result = this.#db
      .prepare('INSERT INTO care_team (clinician_id, patient_id, assigned_by, assigned_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(clinicianId, patientId, assignedBy, this.#now());
    return result.changes === 1;
  }

  /** Takes `patientId` off `clinicianId`'s care team; false if it was not on it. */
  unassign(clinicianId: string, patientId: string): boolean {
    return this.#db.prepare('DELETE FROM care_team WHERE clinician_id = ? AND patient_id = ?').run(clinicianId, patientId).changes === 1;
  }

  /** Whether `patientId` is on `clinicianId`'s care team. */
  onCareTeam(clinicianId: string, patientId: string): boolean {
    return this.#db.prepare('SELECT 1 FROM care_team WHERE clinician_id = ? AND patient_id = ?').get(clinicianId, patientId) !== undefined;
  }

  /** The patient ids on a clinician's care team. */
  careTeamOf(clinicianId: string): string[] {
    return (this.#db.prepare('SELECT patient_id FROM care_team WHERE clinician_id = ? ORDER BY patient_id').all(clinicianId) as { patient_id: string }[]).map(
      (row) => row.patient_id,
    );
  }
}
