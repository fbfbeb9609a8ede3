/**
 * /v1/devices: enrolment tokens, enrolment (authorised by the one-time token, not a user),
 * list, status, revoke (CTL-05, CTL-11). Device identities never get user tokens.
 */
import type { PublicJwks } from '@medsim/crypto';
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../errors.js';
import { principalOf } from '../rbac/route-guard.js';
import { deviceId, deviceRecord, idParams, object, publicJwk, uuid } from '../schemas.js';
import { register, type UserPlaneServices } from '../services.js';
import { defineRoute } from './route-spec.js';

/** The device routes. */
export const deviceRoutes = {
  createToken: defineRoute({
    method: 'POST',
    url: '/v1/devices/enrolment-tokens',
    permission: 'devices.enrolment-token',
    tag: 'devices',
    summary: 'Create a one-time enrolment token for a device id (shown once).',
    schema: {
      body: object(
        { deviceId, model: { type: 'string', minLength: 1, maxLength: 64 }, patientId: { anyOf: [uuid, { type: 'null' }] } },
        ['deviceId', 'model'],
      ),
      response: { 201: object({ token: { type: 'string' }, expiresAt: { type: 'string' } }) },
    },
  }),
  enrol: defineRoute({
    method: 'POST',
    url: '/v1/devices/enrol',
    permission: 'public',
    publicBecause: 'Called by the device, authorised by the one-time enrolment token in the body (per-address credential limit).',
    credentialLimit: true,
    tag: 'devices',
    summary: 'Enrol a device: token, device id, PKCS#10 CSR (ECDSA P-256) and public keys → certificate.',
    schema: {
      body: object({
        token: { type: 'string', minLength: 1, maxLength: 128 },
        deviceId,
        csrPem: { type: 'string', minLength: 1, maxLength: 8192 },
        identity: object({ signing: publicJwk, agreement: publicJwk }),
      }),
      response: {
        201: object(
          {
            certificatePem: { type: 'string' },
            caCertificatePem: { type: 'string' },
            gatewayIdentity: object({ signing: publicJwk, agreement: publicJwk }),
            // The therapy command-signing key (CTL-11: not the identity's signing key).
            commandSigner: publicJwk,
            // The firmware director key (CTL-11, CTL-12): update instructions verify with it alone.
            directorKey: publicJwk,
          },
          ['certificatePem', 'caCertificatePem', 'gatewayIdentity', 'commandSigner'],
        ),
      },
    },
  }),
  list: defineRoute({
    method: 'GET',
    url: '/v1/devices',
    permission: 'devices.read',
    tag: 'devices',
    summary: 'Every device and its status (no readings).',
    schema: { response: { 200: object({ devices: { type: 'array', items: deviceRecord } }) } },
  }),
  get: defineRoute({
    method: 'GET',
    url: '/v1/devices/:id',
    permission: 'devices.read',
    tag: 'devices',
    summary: "One device's status.",
    schema: { params: idParams(deviceId), response: { 200: deviceRecord } },
  }),
  revoke: defineRoute({
    method: 'POST',
    url: '/v1/devices/:id/revoke',
    permission: 'devices.revoke',
    tag: 'devices',
    summary: "Revoke a device's certificate; its live connection is closed.",
    schema: { params: idParams(deviceId), response: { 204: { type: 'null' } } },
  }),
};

interface EnrolBody {
  token: string;
  deviceId: string;
  csrPem: string;
  identity: PublicJwks;
}

/** Registers the device routes. */
export function registerDeviceRoutes(app: FastifyInstance, s: UserPlaneServices): void {
  const { ctx } = s;

  register<{ Body: { deviceId: string; model: string; patientId?: string | null } }>(app, deviceRoutes.createToken, async (request, reply) => {
    const principal = principalOf(request);
    const created = ctx.devices.createEnrolmentToken({ ...request.body, createdBy: principal.userId });
    ctx.audit.record({ event: 'device.enrolment-token', outcome: 'success', severity: 'medium', actor: principal.userId, role: principal.role, source: request.ip, object: request.body.deviceId });
    return reply.code(201).send(created);
  });

  register<{ Body: EnrolBody }>(app, deviceRoutes.enrol, async (request, reply) => {
    // DeviceRegistry.enrol audits both outcomes.
    return reply.code(201).send(await ctx.devices.enrol({ ...request.body, source: request.ip }));
  });

  register(app, deviceRoutes.list, () => ({ devices: ctx.devices.list() }));

  register<{ Params: { id: string } }>(app, deviceRoutes.get, (request) => {
    const device = ctx.devices.get(request.params.id);
    if (device === undefined) throw new GatewayError('ERR_DEVICE_UNKNOWN', 'no such device');
    return device;
  });

  register<{ Params: { id: string } }>(app, deviceRoutes.revoke, async (request, reply) => {
    const principal = principalOf(request);
    ctx.devices.revoke(request.params.id, { actor: principal.userId, role: principal.role, source: request.ip });
    return reply.code(204).send();
  });
}
