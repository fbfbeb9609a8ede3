/**
 * /v1/users (admin): create, list, disable/enable, unlock, change role, reset password, reset
 * TOTP. Every change to credentials, role or status ends the user's live sessions at once
 * (S3; a superseded WebSocket closes too) and is audited. An admin cannot act on their own
 * account here: no self-elevation, no locking out the last admin by accident.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../../errors.js';
import { generatePassword } from '../../users/password.js';
import type { UserRole } from '../../users/roles.js';
import { denyObject, principalOf } from '../rbac/route-guard.js';
import type { EndReason } from '../sessions/session-store.js';
import { idParams, object, password, role, userRecord, uuid } from '../schemas.js';
import { register, type UserPlaneServices } from '../services.js';
import { defineRoute } from './route-spec.js';

const noContent = { type: 'null' } as const;
const params = idParams();

/** The user routes. */
export const userRoutes = {
  create: defineRoute({
    method: 'POST',
    url: '/v1/users',
    permission: 'users.create',
    tag: 'users',
    summary: 'Create a user with a role.',
    description:
      'Without `password` a random one is generated and returned once. Roles that need MFA get a TOTP secret now; its otpauth URI is returned once (`totpUri`), to hand over with the password.',
    schema: {
      body: object({ username: { type: 'string', minLength: 3, maxLength: 64 }, role, password, patientId: uuid }, ['username', 'role']),
      response: { 201: object({ id: uuid, password: { type: 'string' }, totpUri: { type: 'string' } }, ['id']) },
    },
  }),
  list: defineRoute({
    method: 'GET',
    url: '/v1/users',
    permission: 'users.read',
    tag: 'users',
    summary: 'Every user (no hashes, no secrets).',
    schema: { response: { 200: object({ users: { type: 'array', items: userRecord } }) } },
  }),
  disable: defineRoute({
    method: 'POST',
    url: '/v1/users/:id/disable',
    permission: 'users.manage',
    tag: 'users',
    summary: 'Disable a user; ends their sessions.',
    schema: { params, response: { 204: noContent } },
  }),
  enable: defineRoute({
    method: 'POST',
    url: '/v1/users/:id/enable',
    permission: 'users.manage',
    tag: 'users',
    summary: 'Re-enable a user.',
    schema: { params, response: { 204: noContent } },
  }),
  unlock: defineRoute({
    method: 'POST',
    url: '/v1/users/:id/unlock',
    permission: 'users.manage',
    tag: 'users',
    summary: 'Lift a lockout.',
    schema: { params, response: { 204: noContent } },
  }),
  role: defineRoute({
    method: 'PUT',
    url: '/v1/users/:id/role',
    permission: 'users.manage',
    tag: 'users',
    summary: "Change a user's role; ends their sessions (effective at once, S10).",
    description: 'If the new role needs MFA and the user has no TOTP yet, one is enrolled and its URI returned once.',
    schema: { params, body: object({ role, patientId: uuid }, ['role']), response: { 200: object({ totpUri: { type: 'string' } }, []) } },
  }),
  passwordReset: defineRoute({
    method: 'POST',
    url: '/v1/users/:id/password-reset',
    permission: 'users.manage',
    tag: 'users',
    summary: 'Set a new random password (returned once); ends their sessions.',
    schema: { params, response: { 200: object({ password: { type: 'string' } }) } },
  }),
  totpReset: defineRoute({
    method: 'POST',
    url: '/v1/users/:id/totp-reset',
    permission: 'users.manage',
    tag: 'users',
    summary: 'Enrol a new TOTP secret (URI returned once); ends their sessions.',
    schema: { params, response: { 200: object({ totpUri: { type: 'string' } }) } },
  }),
};

/** Registers the user routes. */
export function registerUserRoutes(app: FastifyInstance, s: UserPlaneServices): void {
  const { ctx, users, sessions } = s;

  /** The target user id, refusing the caller's own account and unknown ids. */
  const target = (request: FastifyRequest<{ Params: { id: string } }>): string => {
    const id = request.params.id;
    if (id === principalOf(request).userId) denyObject(ctx.audit, request, id);
    if (users.get(id) === undefined) throw new GatewayError('ERR_NOT_FOUND', 'no such user');
    return id;
  };
  const audited = (request: FastifyRequest, event: string, object: string): void => {
    const principal = principalOf(request);
    ctx.audit.record({ event, outcome: 'success', severity: 'high', actor: principal.userId, role: principal.role, source: request.ip, object });
  };
  const endSessions = (userId: string, reason: EndReason): void => {
    sessions.endForUser(userId, reason);
  };

  register<{ Body: { username: string; role: UserRole; password?: string; patientId?: string } }>(app, userRoutes.create, async (request, reply) => {
    const { username, role: newRole, patientId } = request.body;
    const generated = request.body.password === undefined ? generatePassword() : undefined;
    const created = await users.createUser({ username, role: newRole, password: request.body.password ?? generated!, ...(patientId === undefined ? {} : { patientId }) });
    audited(request, 'user.create', created.id);
    return reply.code(201).send({ ...created, ...(generated === undefined ? {} : { password: generated }) });
  });

  register(app, userRoutes.list, () => ({ users: users.list() }));

  register<{ Params: { id: string } }>(app, userRoutes.disable, async (request, reply) => {
    const id = target(request);
    users.setDisabled(id, true);
    endSessions(id, 'disabled');
    audited(request, 'user.disable', id);
    return reply.code(204).send();
  });

  register<{ Params: { id: string } }>(app, userRoutes.enable, async (request, reply) => {
    const id = target(request);
    users.setDisabled(id, false);
    audited(request, 'user.enable', id);
    return reply.code(204).send();
  });

  register<{ Params: { id: string } }>(app, userRoutes.unlock, async (request, reply) => {
    const id = target(request);
    users.unlock(id);
    audited(request, 'user.unlock', id);
    return reply.code(204).send();
  });

  register<{ Params: { id: string }; Body: { role: UserRole; patientId?: string } }>(app, userRoutes.role, (request) => {
    const id = target(request);
    const result = users.setRole(id, request.body.role, request.body.patientId);
    endSessions(id, 'role-change');
    audited(request, 'user.role-change', id);
    return result;
  });

  register<{ Params: { id: string } }>(app, userRoutes.passwordReset, async (request) => {
    const id = target(request);
    const fresh = generatePassword();
    await users.setPassword(id, fresh);
    endSessions(id, 'password-reset');
    audited(request, 'user.password-reset', id);
    return { password: fresh };
  });

  register<{ Params: { id: string } }>(app, userRoutes.totpReset, (request) => {
    const id = target(request);
    const totpUri = users.resetTotp(id);
    endSessions(id, 'totp-reset');
    audited(request, 'user.totp-reset', id);
    return { totpUri };
  });
}
