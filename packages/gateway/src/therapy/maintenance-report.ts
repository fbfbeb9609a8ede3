/**
 * Maintenance reports (medsim.v1 MaintenanceReport, CONTENT_TYPE_MAINTENANCE_REPORT; issue 4): what
 * a device answers a run-diagnostics or upload-logs command with, on its `status` channel. Ingest
 * stores them like any envelope (sealed at rest, idempotent); here they are read back for
 * technicians as JSON. They hold no patient data by construction: the protocol validator admits
 * only identifiers (check names, components, events, ERR_ codes), numbers and units, no free text
 * (maintenance.proto), so the answer carries no PHI whatever the device sends. Every read is
 * audited with ids only (CTL-14).
 */
import { CheckResult, Severity, decodeMessage, type DiagnosticCheck, type LogEntry } from '@medsim/protocol';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import { MAX_MAINTENANCE_REPORT_PAGE, type StoredPayload } from '../store/readings.js';
import type { Principal } from '../user-plane/auth/authenticate.js';
import { allows } from '../user-plane/rbac/permissions.js';

/** One self-test check. */
export interface DiagnosticCheckJson {
  readonly name: string;
  readonly result: 'pass' | 'warn' | 'fail' | 'unspecified';
  readonly value: number;
  /** UCUM, empty when the check has no value. */
  readonly unit: string;
}

/** One entry of the device's own log. */
export interface LogEntryJson {
  /** Device clock. */
  readonly at: string;
  readonly severity: 'info' | 'low' | 'medium' | 'high' | 'critical' | 'unspecified';
  readonly component: string;
  readonly event: string;
  /** A stable ERR_ code, or null when the event is no failure. */
  readonly code: string | null;
}

/** A stored maintenance report as the API shows it. */
export interface MaintenanceReportJson {
  /** Store id (the paging cursor). */
  readonly id: number;
  readonly deviceId: string;
  /** The maintenance command it answers (32 hex digits). */
  readonly commandId: string;
  /** Device clock when generated. */
  readonly generatedAt: string;
  /** Gateway clock at ingest. */
  readonly receivedAt: string;
  readonly checks: readonly DiagnosticCheckJson[];
  readonly logs: readonly LogEntryJson[];
}

/** A page of reports, newest first; `next` is the `before` cursor of the next page (null: no more). */
export interface MaintenanceReportPage {
  readonly reports: MaintenanceReportJson[];
  readonly next: number | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

const resultName = (result: CheckResult): DiagnosticCheckJson['result'] => {
  switch (result) {
    case CheckResult.CHECK_RESULT_PASS:
      return 'pass';
    case CheckResult.CHECK_RESULT_WARN:
      return 'warn';
    case CheckResult.CHECK_RESULT_FAIL:
      return 'fail';
    case CheckResult.CHECK_RESULT_UNSPECIFIED:
      return 'unspecified';
  }
};

const severityName = (severity: Severity): LogEntryJson['severity'] => {
  switch (severity) {
    case Severity.SEVERITY_INFO:
      return 'info';
    case Severity.SEVERITY_LOW:
      return 'low';
    case Severity.SEVERITY_MEDIUM:
      return 'medium';
    case Severity.SEVERITY_HIGH:
      return 'high';
    case Severity.SEVERITY_CRITICAL:
      return 'critical';
    case Severity.SEVERITY_UNSPECIFIED:
      return 'unspecified';
  }
};

/** The API form of a stored report (its payload was validated at ingest). */
export function maintenanceReportToJson(deviceId: string, stored: StoredPayload): MaintenanceReportJson {
  const report = decodeMessage('MaintenanceReport', stored.payload);
  return {
    id: stored.id,
    deviceId,
    commandId: Buffer.from(report.commandId).toString('hex'),
    generatedAt: iso(report.generatedAtMs),
    receivedAt: iso(stored.receivedAtMs),
    // Decoded repeated members are typed as their optional-field interfaces; the validator run at
    // ingest (and by decodeMessage) checked every field of every element.
    checks: (report.checks as DiagnosticCheck[]).map((c) => ({ name: c.name, result: resultName(c.result), value: c.value, unit: c.unit })),
    logs: (report.logs as LogEntry[]).map((l) => ({ at: iso(l.atMs), severity: severityName(l.severity), component: l.component, event: l.event, code: l.code === '' ? null : l.code })),
  };
}

/**
 * A device's maintenance reports, newest first, at most `limit` (≤ 100) below the `beforeId`
 * cursor. Technicians only (`maintenance.read`, checked again here); any device the gateway
 * knows (ERR_DEVICE_UNKNOWN otherwise). Audited as `maintenance.report-read` (device id only).
 */
export function listMaintenanceReports(
  ctx: GatewayContext,
  caller: Principal,
  deviceId: string,
  query: { readonly beforeId?: number; readonly limit?: number },
  source: string,
): MaintenanceReportPage {
  const object = `device/${deviceId}`;
  if (!allows(caller.role, 'maintenance.read')) {
    ctx.audit.record({ event: 'access.denied', outcome: 'denied', severity: 'medium', actor: caller.userId, role: caller.role, source, object, code: 'ERR_FORBIDDEN' });
    throw new GatewayError('ERR_FORBIDDEN', 'you may not access this object');
  }
  if (ctx.devices.get(deviceId) === undefined) throw new GatewayError('ERR_DEVICE_UNKNOWN', 'no such device');
  const limit = Math.min(Math.max(query.limit ?? MAX_MAINTENANCE_REPORT_PAGE, 1), MAX_MAINTENANCE_REPORT_PAGE);
  const reports = ctx.readings.maintenanceReportsOf(deviceId, { ...(query.beforeId === undefined ? {} : { beforeId: query.beforeId }), limit }).map((p) => maintenanceReportToJson(deviceId, p));
  ctx.audit.record({ event: 'maintenance.report-read', outcome: 'success', severity: 'low', actor: caller.userId, role: caller.role, source, object });
  return { reports, next: reports.length === limit ? reports[reports.length - 1]!.id : null };
}
