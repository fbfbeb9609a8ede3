/** /v1/patients: create (admin), scoped list, and readings history with cursor paging (CTL-01, S9). */
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../errors.js';
import { MAX_READING_PAGE } from '../../store/readings.js';
import { DISPLAY_NAME_MAX } from '../../users/patients.js';
import { denyObject, principalOf } from '../rbac/route-guard.js';
import { breakGlassCovers, canReadPatient } from '../rbac/scope.js';
import { cursorQuery, dateTime, idParams, limitQuery, object, patientRecord, readingRecord } from '../schemas.js';
import { register, type UserPlaneServices } from '../services.js';
import { defineRoute } from './route-spec.js';

/** The patient routes. */
export const patientRoutes = {
  create: defineRoute({
    method: 'POST',
    url: '/v1/patients',
    permission: 'patients.create',
    tag: 'patients',
    summary: 'Add a patient (display name encrypted at rest).',
    schema: { body: object({ displayName: { type: 'string', minLength: 1, maxLength: DISPLAY_NAME_MAX * 4 } }), response: { 201: patientRecord } },
  }),
  list: defineRoute({
    method: 'GET',
    url: '/v1/patients',
    permission: 'patients.list',
    tag: 'patients',
    summary: 'Patients in scope: a clinician their care team, a patient themself, an admin all.',
    schema: { response: { 200: object({ patients: { type: 'array', items: patientRecord } }) } },
  }),
  readings: defineRoute({
    method: 'GET',
    url: '/v1/patients/:id/readings',
    permission: 'readings.read',
    tag: 'patients',
    summary: "A patient's readings in [from, to), oldest first, paged by `after` (the previous page's `next`).",
    schema: {
      params: idParams(),
      querystring: object(
        { from: dateTime, to: dateTime, after: cursorQuery, limit: limitQuery },
        [],
      ),
      response: { 200: object({ readings: { type: 'array', items: readingRecord }, next: { type: ['integer', 'null'] } }) },
    },
  }),
};

const timeOf = (iso: string | undefined, field: string): number | undefined => {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new GatewayError('ERR_BAD_REQUEST', `${field} is not a time`, { details: { field } });
  return ms;
};

/** Registers the patient routes. */
export function registerPatientRoutes(app: FastifyInstance, s: UserPlaneServices): void {
  const { ctx, users } = s;

  register<{ Body: { displayName: string } }>(app, patientRoutes.create, async (request, reply) => {
    const principal = principalOf(request);
    const patient = users.createPatient(request.body.displayName);
    ctx.audit.record({ event: 'patient.create', outcome: 'success', severity: 'info', actor: principal.userId, role: principal.role, source: request.ip, object: patient.id });
    return reply.code(201).send(patient);
  });

  register(app, patientRoutes.list, (request) => {
    const principal = principalOf(request);
    switch (principal.role) {
      case 'admin':
        return { patients: users.listPatients() };
      case 'clinician':
        return { patients: users.listPatients(users.careTeamOf(principal.userId)) };
      case 'patient':
        return { patients: users.listPatients(principal.patientId === null ? [] : [principal.patientId]) };
      case 'technician':
      case 'auditor':
        return denyObject(ctx.audit, request, 'patients');
    }
  });

  register<{ Params: { id: string }; Querystring: { from?: string; to?: string; after?: string; limit?: string } }>(app, patientRoutes.readings, (request) => {
    const principal = principalOf(request);
    const patientId = request.params.id;
    const now = ctx.now();
    if (!canReadPatient(users, principal, patientId, now)) denyObject(ctx.audit, request, patientId);
    if (principal.role === 'clinician' && !users.isOnCareTeam(principal.userId, patientId) && breakGlassCovers(principal, patientId, now)) {
      ctx.audit.record({ event: 'access.break-glass-read', outcome: 'success', severity: 'medium', actor: principal.userId, role: principal.role, source: request.ip, object: patientId });
    }
    const { from, to, after } = request.query;
    const limit = Math.min(Number(request.query.limit ?? 100), MAX_READING_PAGE);
    const fromMs = timeOf(from, 'from');
    const toMs = timeOf(to, 'to');
    const readings = ctx.readings.forPatient(patientId, {
      ...(fromMs === undefined ? {} : { fromMs }),
      ...(toMs === undefined ? {} : { toMs }),
      ...(after === undefined ? {} : { afterId: Number(after) }),
      limit,
    });
    const full = readings.length === limit;
    return { readings, next: full ? readings[readings.length - 1]!.id : null };
  });
}
