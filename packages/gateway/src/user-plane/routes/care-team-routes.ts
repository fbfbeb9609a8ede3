/**
 * /v1/care-teams (admin): which clinician may read which patient (CTL-01 object scope). A change
 * applies to the next request and the next live-stream push batch (scope is re-read each time).
 */
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../errors.js';
import { principalOf } from '../rbac/route-guard.js';
import { object, uuid } from '../schemas.js';
import { register, type UserPlaneServices } from '../services.js';
import { defineRoute } from './route-spec.js';

const params = object({ clinicianId: uuid, patientId: uuid });

/** The care-team routes. */
export const careTeamRoutes = {
  assign: defineRoute({
    method: 'PUT',
    url: '/v1/care-teams/:clinicianId/patients/:patientId',
    permission: 'care-team.manage',
    tag: 'care-teams',
    summary: "Put a patient on a clinician's care team (idempotent).",
    schema: { params, response: { 204: { type: 'null' } } },
  }),
  unassign: defineRoute({
    method: 'DELETE',
    url: '/v1/care-teams/:clinicianId/patients/:patientId',
    permission: 'care-team.manage',
    tag: 'care-teams',
    summary: "Take a patient off a clinician's care team.",
    schema: { params, response: { 204: { type: 'null' } } },
  }),
};

/** Registers the care-team routes. */
export function registerCareTeamRoutes(app: FastifyInstance, s: UserPlaneServices): void {
  const { ctx, users } = s;
  type Params = { Params: { clinicianId: string; patientId: string } };

  register<Params>(app, careTeamRoutes.assign, async (request, reply) => {
    const principal = principalOf(request);
    const { clinicianId, patientId } = request.params;
    if (users.assignCareTeam(clinicianId, patientId, principal.userId)) {
      ctx.audit.record({ event: 'care-team.assign', outcome: 'success', severity: 'medium', actor: principal.userId, role: principal.role, source: request.ip, object: `${clinicianId}/${patientId}` });
    }
    return reply.code(204).send();
  });

  register<Params>(app, careTeamRoutes.unassign, async (request, reply) => {
    const principal = principalOf(request);
    const { clinicianId, patientId } = request.params;
    if (!users.unassignCareTeam(clinicianId, patientId)) throw new GatewayError('ERR_NOT_FOUND', 'no such assignment');
    ctx.audit.record({ event: 'care-team.unassign', outcome: 'success', severity: 'medium', actor: principal.userId, role: principal.role, source: request.ip, object: `${clinicianId}/${patientId}` });
    return reply.code(204).send();
  });
}
