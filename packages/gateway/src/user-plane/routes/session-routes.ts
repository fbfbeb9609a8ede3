/**
 * /v1/session: banner, login (password, then TOTP for MFA roles), refresh, logout, me,
 * break-glass, own password change (CTL-02, CTL-03, CTL-04, CTL-18).
 */
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../errors.js';
import { principalOf } from '../rbac/route-guard.js';
import { dateTime, nullableString, object, password, role, tokenSet, uuid } from '../schemas.js';
import { register, type UserPlaneServices } from '../services.js';
import { defineRoute } from './route-spec.js';

const noContent = { type: 'null' } as const;

/** The session routes. */
export const sessionRoutes = {
  banner: defineRoute({
    method: 'GET',
    url: '/v1/session/banner',
    permission: 'public',
    publicBecause: 'Shown before login (IEC 62443-4-2 CR 1.12); configuration text only.',
    tag: 'session',
    summary: 'The login banner (auth.banner), or null.',
    schema: { response: { 200: object({ banner: nullableString }) } },
  }),
  login: defineRoute({
    method: 'POST',
    url: '/v1/session/login',
    permission: 'public',
    publicBecause: 'Authenticates with user name and password; per-address limit auth.loginsPerMinute and account lockout.',
    credentialLimit: true,
    tag: 'session',
    summary: 'Log in with user name and password.',
    description:
      'Answers tokens, or `{ mfaRequired: true, challenge }` for roles that need TOTP (admin, technician, auditor; clinicians when auth.mfaForClinicians). ' +
      'Unknown user and wrong password get byte-identical 401 ERR_AUTH_FAILED answers. Under sessionPolicy replace a new login ends the previous session; under reject it answers 409 ERR_SESSION_ACTIVE.',
    schema: {
      body: object({ username: { type: 'string', minLength: 1, maxLength: 256 }, password }),
      response: {
        200: {
          anyOf: [
            object({ mfaRequired: { type: 'boolean', const: true }, challenge: { type: 'string' }, expiresIn: { type: 'integer' } }),
            { ...tokenSet, properties: { mfaRequired: { type: 'boolean', const: false }, ...(tokenSet['properties'] as object) }, required: ['mfaRequired', ...(tokenSet['required'] as string[])] },
          ],
        },
      },
    },
  }),
  mfa: defineRoute({
    method: 'POST',
    url: '/v1/session/mfa',
    permission: 'public',
    publicBecause: 'Authenticates with the single-use login challenge and a TOTP code; a wrong code counts towards lockout.',
    credentialLimit: true,
    tag: 'session',
    summary: 'Complete a login with the challenge and the current TOTP code.',
    schema: { body: object({ challenge: { type: 'string', minLength: 1, maxLength: 128 }, code: { type: 'string', minLength: 1, maxLength: 16 } }), response: { 200: tokenSet } },
  }),
  refresh: defineRoute({
    method: 'POST',
    url: '/v1/session/refresh',
    permission: 'public',
    publicBecause: 'Authenticates with the refresh token (rotated on use; reuse revokes the session).',
    credentialLimit: true,
    tag: 'session',
    summary: 'Exchange a refresh token for new tokens (rotation).',
    schema: { body: object({ refreshToken: { type: 'string', minLength: 1, maxLength: 128 } }), response: { 200: tokenSet } },
  }),
  logout: defineRoute({
    method: 'POST',
    url: '/v1/session/logout',
    permission: 'session.self',
    tag: 'session',
    summary: 'End the current session (its tokens stop working at once).',
    schema: { response: { 204: noContent } },
  }),
  me: defineRoute({
    method: 'GET',
    url: '/v1/session/me',
    permission: 'session.self',
    tag: 'session',
    summary: 'The caller and the current session.',
    schema: {
      response: {
        200: object({
          userId: uuid,
          username: { type: 'string' },
          role,
          patientId: nullableString,
          session: object({ id: uuid, createdAt: { type: 'string' }, expiresAt: { type: 'string' }, idleTimeoutS: { type: 'integer' } }),
          breakGlass: { anyOf: [{ type: 'null' }, object({ patientId: uuid, until: { type: 'string' } })] },
        }),
      },
    },
  }),
  breakGlass: defineRoute({
    method: 'POST',
    url: '/v1/session/break-glass',
    permission: 'session.break-glass',
    tag: 'session',
    summary: "Emergency read access to one patient's readings, time-limited, reason required (CTL-18).",
    description: 'Grants read access to the patient for durationS (default and maximum auth.breakGlassMaxS) on this session; audited with high severity.',
    schema: {
      body: object(
        { patientId: uuid, reason: { type: 'string', minLength: 10, maxLength: 500 }, durationS: { type: 'integer', minimum: 60, maximum: 12 * 3600 } },
        ['patientId', 'reason'],
      ),
      response: { 200: object({ patientId: uuid, until: dateTime }) },
    },
  }),
  changePassword: defineRoute({
    method: 'POST',
    url: '/v1/session/password',
    permission: 'session.self',
    tag: 'session',
    summary: 'Change own password; ends the session (log in again).',
    schema: { body: object({ currentPassword: password, newPassword: password }), response: { 204: noContent } },
  }),
};

const { banner, login, mfa, refresh, logout, me, breakGlass, changePassword } = sessionRoutes;

/** Registers the session routes. */
export function registerSessionRoutes(app: FastifyInstance, s: UserPlaneServices): void {
  const { ctx } = s;

  register(app, banner, () => ({ banner: ctx.config['auth.banner'] === '' ? null : ctx.config['auth.banner'] }));

  register<{ Body: { username: string; password: string } }>(app, login, async (request) => {
    const result = await s.login.login(request.body.username, request.body.password, request.ip);
    return result.mfaRequired ? result : { mfaRequired: false, ...result.tokens };
  });

  register<{ Body: { challenge: string; code: string } }>(app, mfa, async (request) => s.login.completeMfa(request.body.challenge, request.body.code, request.ip));

  register<{ Body: { refreshToken: string } }>(app, refresh, async (request) => s.login.refresh(request.body.refreshToken, request.ip));

  register(app, logout, async (request, reply) => {
    const principal = principalOf(request);
    s.sessions.end(principal.sessionId, 'logout');
    ctx.audit.record({ event: 'session.logout', outcome: 'success', severity: 'info', actor: principal.userId, role: principal.role, source: request.ip, object: principal.sessionId });
    return reply.code(204).send();
  });

  register(app, me, (request) => {
    const principal = principalOf(request);
    const session = s.sessions.require(principal.sessionId, false);
    const grant = principal.breakGlass !== null && principal.breakGlass.until > ctx.now() ? principal.breakGlass : null;
    return {
      userId: principal.userId,
      username: principal.username,
      role: principal.role,
      patientId: principal.patientId,
      session: {
        id: session.id,
        createdAt: new Date(session.createdAt).toISOString(),
        expiresAt: new Date(session.expiresAt).toISOString(),
        idleTimeoutS: ctx.config['auth.idleTimeoutS'],
      },
      breakGlass: grant === null ? null : { patientId: grant.patientId, until: new Date(grant.until).toISOString() },
    };
  });

  register<{ Body: { patientId: string; reason: string; durationS?: number } }>(app, breakGlass, (request) => {
    const principal = principalOf(request);
    const { patientId, reason } = request.body;
    if (reason.trim().length < 10) throw new GatewayError('ERR_BAD_REQUEST', 'a reason of at least 10 characters is required', { details: { field: 'reason' } });
    if (!s.users.patientExists(patientId)) throw new GatewayError('ERR_NOT_FOUND', 'no such patient');
    const maxS = ctx.config['auth.breakGlassMaxS'];
    const until = ctx.now() + Math.min(request.body.durationS ?? maxS, maxS) * 1000;
    s.sessions.grantBreakGlass(principal.sessionId, patientId, reason.trim(), until);
    // High severity: reviewed after the fact; the log line at warn is the notification (CTL-18).
    ctx.audit.record({ event: 'access.break-glass', outcome: 'success', severity: 'high', actor: principal.userId, role: principal.role, source: request.ip, object: patientId });
    return { patientId, until: new Date(until).toISOString() };
  });

  register<{ Body: { currentPassword: string; newPassword: string } }>(app, changePassword, async (request, reply) => {
    const principal = principalOf(request);
    if (!(await s.users.verifyPassword(principal.userId, request.body.currentPassword))) {
      s.users.recordLoginFailure(principal.userId, { maxFailed: ctx.config['auth.maxFailedLogins'], baseMs: ctx.config['auth.lockoutBaseS'] * 1000 });
      ctx.audit.record({ event: 'user.password-change', outcome: 'failure', severity: 'medium', actor: principal.userId, role: principal.role, source: request.ip, code: 'ERR_AUTH_FAILED' });
      throw new GatewayError('ERR_AUTH_FAILED', 'the current password is not correct');
    }
    await s.users.setPassword(principal.userId, request.body.newPassword);
    s.sessions.endForUser(principal.userId, 'password-change');
    ctx.audit.record({ event: 'user.password-change', outcome: 'success', severity: 'medium', actor: principal.userId, role: principal.role, source: request.ip, object: principal.userId });
    return reply.code(204).send();
  });
}
