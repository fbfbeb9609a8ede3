/** Validation of medsim.v1 maintenance.proto messages: identifiers only, so no patient data fits. */
import { RANDOM_ID_BYTES, REPEATED_LIMITS } from '../../limits.js';
import { CheckResult, Severity, type DiagnosticCheck, type LogEntry, type MaintenanceReport } from '../../schema.js';
import { bytesExactly, countIn, inconsistent, knownEnum, noUnknownFields, text, timestamp } from './checks.js';

/** Identifiers of checks, components and events: lower-case ASCII, digits, dots, dashes, underscores. */
const IDENTIFIER = /^[a-z0-9][a-z0-9._-]*$/;
/** Stable error codes. */
const CODE = /^ERR_[A-Z0-9_]+$/;
/** UCUM units as medsim writes them: printable ASCII. */
const UNIT = /^[\x21-\x7e]*$/;

function identifier(value: string, path: string, field: string, max: number): void {
  text(value, path, field, false, max);
  if (!IDENTIFIER.test(value)) inconsistent(path, field, 'must be an identifier (a-z, 0-9, ".", "-", "_"): no free text');
}

/** One self-test check. */
export function validateDiagnosticCheck(m: DiagnosticCheck, path: string): void {
  noUnknownFields(m, path);
  identifier(m.name, path, 'name', 64);
  knownEnum(CheckResult, m.result, path, 'result');
  if (!Number.isFinite(m.value)) inconsistent(path, 'value', 'must be a finite number');
  text(m.unit, path, 'unit', true, 16);
  if (!UNIT.test(m.unit)) inconsistent(path, 'unit', 'must be printable ASCII');
}

/** One log entry. */
export function validateLogEntry(m: LogEntry, path: string): void {
  noUnknownFields(m, path);
  timestamp(m.atMs, path, 'atMs');
  knownEnum(Severity, m.severity, path, 'severity');
  identifier(m.component, path, 'component', 32);
  identifier(m.event, path, 'event', 64);
  text(m.code, path, 'code', true);
  if (m.code !== '' && !CODE.test(m.code)) inconsistent(path, 'code', 'must be a stable ERR_ code');
}

/** A maintenance report: the command it answers, bounded checks and log entries. */
export function validateMaintenanceReport(m: MaintenanceReport, path = 'MaintenanceReport'): void {
  noUnknownFields(m, path);
  bytesExactly(m.commandId, path, 'commandId', RANDOM_ID_BYTES);
  timestamp(m.generatedAtMs, path, 'generatedAtMs');
  countIn(m.checks, path, 'checks', REPEATED_LIMITS.diagnosticChecks);
  countIn(m.logs, path, 'logs', REPEATED_LIMITS.logEntries);
  (m.checks as DiagnosticCheck[]).forEach((check, i) => validateDiagnosticCheck(check, `${path}.checks[${i}]`));
  (m.logs as LogEntry[]).forEach((entry, i) => validateLogEntry(entry, `${path}.logs[${i}]`));
}
