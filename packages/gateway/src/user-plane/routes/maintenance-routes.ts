/**
 * Maintenance over HTTPS (issue 4; CTL-01, CTL-15; docs/protocols/therapy-commands.md "Maintenance
 * commands"): a technician orders a maintenance action (service mode, diagnostics, log upload) for
 * any enrolled device, lists a device's maintenance commands and reads its maintenance reports.
 * Confirmation, cancel, status and evidence are the shared command routes (therapy-routes.ts).
 */
import type { FastifyInstance } from 'fastify';
import { listMaintenanceReports } from '../../therapy/maintenance-report.js';
import type { CommandActionInput } from '../../therapy/therapy-action.js';
import { principalOf } from '../rbac/route-guard.js';
import { cursorQuery, dateTime, deviceId, idParams, limitQuery, nullableString, object } from '../schemas.js';
import { register, type UserPlaneServices } from '../services.js';
import { defineRoute, type JsonSchema } from './route-spec.js';
import { commandActionSchema, commandRecord } from './therapy-routes.js';

/** A page size of 1 to 100 (a report may hold 200 log entries). */
const reportLimitQuery: JsonSchema = { type: 'string', pattern: '^(100|[1-9][0-9]?)$' };

/** A maintenance report (MaintenanceReportJson): identifiers, numbers and units only. */
const maintenanceReport: JsonSchema = object({
  id: { type: 'integer' },
  deviceId: { type: 'string' },
  commandId: { type: 'string' },
  generatedAt: dateTime,
  receivedAt: dateTime,
  checks: {
    type: 'array',
    items: object({
      name: { type: 'string' },
      result: { type: 'string', enum: ['pass', 'warn', 'fail', 'unspecified'] },
      value: { type: 'number' },
      unit: { type: 'string' },
    }),
  },
  logs: {
    type: 'array',
    items: object({
      at: dateTime,
      severity: { type: 'string', enum: ['info', 'low', 'medium', 'high', 'critical', 'unspecified'] },
      component: { type: 'string' },
      event: { type: 'string' },
      code: nullableString,
    }),
  },
});

/** The maintenance routes. */
export const maintenanceRoutes = {
  order: defineRoute({
    method: 'POST',
    url: '/v1/devices/:id/maintenance-commands',
    permission: 'maintenance.order',
    tag: 'maintenance',
    summary: 'Order a maintenance action for a device (service mode, diagnostics, log upload); it waits for confirmation (nothing is sent yet).',
    description:
      'Any enrolled device (no patient scope); 404 ERR_DEVICE_UNKNOWN, 409 ERR_DEVICE_REVOKED. A therapy action is 403 here (therapy.order). ' +
      'Confirm with a fresh TOTP code at /v1/therapy-commands/{commandId}/confirm before confirmBy; the device answers with a signed acknowledgement ' +
      'and, for diagnostics and log upload, a maintenance report.',
    schema: {
      params: idParams(deviceId),
      body: object({ action: commandActionSchema }),
      response: { 201: commandRecord },
    },
  }),
  history: defineRoute({
    method: 'GET',
    url: '/v1/devices/:id/maintenance-commands',
    permission: 'maintenance.read',
    tag: 'maintenance',
    summary: 'A device\'s maintenance commands, newest first.',
    schema: {
      params: idParams(deviceId),
      querystring: object({ limit: limitQuery }, []),
      response: { 200: object({ commands: { type: 'array', items: commandRecord } }) },
    },
  }),
  reports: defineRoute({
    method: 'GET',
    url: '/v1/devices/:id/maintenance-reports',
    permission: 'maintenance.read',
    tag: 'maintenance',
    summary: 'A device\'s maintenance reports (self-test checks, device log), newest first, paged by `before` (the previous page\'s `next`); no patient data.',
    description: 'At most 100 per page. Every read is audited (maintenance.report-read).',
    schema: {
      params: idParams(deviceId),
      querystring: object({ before: cursorQuery, limit: reportLimitQuery }, []),
      response: { 200: object({ reports: { type: 'array', items: maintenanceReport }, next: { type: ['integer', 'null'] } }) },
    },
  }),
};

/** Registers the maintenance routes. */
export function registerMaintenanceRoutes(app: FastifyInstance, s: UserPlaneServices): void {
  const { ctx, therapy } = s;

  register<{ Params: { id: string }; Body: { action: CommandActionInput } }>(app, maintenanceRoutes.order, async (request, reply) =>
    reply.code(201).send(therapy.order(principalOf(request), request.params.id, request.body.action, request.ip, 'maintenance')),
  );

  register<{ Params: { id: string }; Querystring: { limit?: string } }>(app, maintenanceRoutes.history, (request) => ({
    commands: therapy.history(principalOf(request), request.params.id, Number(request.query.limit ?? 100), request.ip, 'maintenance'),
  }));

  register<{ Params: { id: string }; Querystring: { before?: string; limit?: string } }>(app, maintenanceRoutes.reports, (request) => {
    const { before, limit } = request.query;
    return listMaintenanceReports(
      ctx,
      principalOf(request),
      request.params.id,
      { ...(before === undefined ? {} : { beforeId: Number(before) }), ...(limit === undefined ? {} : { limit: Number(limit) }) },
      request.ip,
    );
  });
}
