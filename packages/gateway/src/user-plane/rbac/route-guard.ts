/**
 * Deny by default, enforced twice (CTL-01, CTL-17):
 *   - at start-up, an onRoute hook throws for any route that declares neither a permission nor
 *     `public` (with a reason), so an unguarded route can never be served;
 *   - on every request, an onRequest hook (after the per-address rate limits) authenticates the
 *     caller of every non-public route and checks the role against PERMISSIONS; a request that
 *     somehow reaches a route without a declaration is refused 403.
 * Object-level scope is checked by the handlers (rbac/scope.ts).
 */
import type { AuditStream } from '@medsim/logging';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../../errors.js';
import type { Authenticator, Principal } from '../auth/authenticate.js';
import type { RateLimiter } from '../../limits/rate-limit.js';
import { PERMISSIONS, allows, type Permission } from './permissions.js';

/** A route's declared access, as fastify route config. */
export type RoutePermission = Permission | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every route (route-guard.ts). */
    permission?: RoutePermission;
    /** Also count against the stricter credential limit (login, MFA, refresh, enrolment). */
    credentialLimit?: boolean;
  }
}

const principals = new WeakMap<FastifyRequest, Principal>();
const inventories = new WeakMap<FastifyInstance, { method: string; url: string; permission: RoutePermission }[]>();

/** Every route registered on `app` since the guard was installed (CTL-17: compared with the allow-list). */
export function routeInventory(app: FastifyInstance): readonly { method: string; url: string; permission: RoutePermission }[] {
  return inventories.get(app) ?? [];
}

/** The authenticated caller of a request to a non-public route (set by the guard). */
export function principalOf(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (principal === undefined) throw new GatewayError('ERR_FORBIDDEN', 'no authenticated caller');
  return principal;
}

/** Dependencies of the guard. */
export interface GuardDeps {
  readonly authenticator: Authenticator;
  readonly audit: AuditStream;
  /** `http.requestsPerMinute` per address, every request. */
  readonly requests: RateLimiter;
  /** `auth.loginsPerMinute` per address, credential routes. */
  readonly credentials: RateLimiter;
}

const isDeclared = (permission: unknown): permission is RoutePermission => permission === 'public' || (typeof permission === 'string' && Object.hasOwn(PERMISSIONS, permission));

/** Installs both hooks; call before registering routes. */
export function installRouteGuard(app: FastifyInstance, deps: GuardDeps): void {
  const inventory: { method: string; url: string; permission: RoutePermission }[] = [];
  inventories.set(app, inventory);
  app.addHook('onRoute', (route) => {
    const permission = route.config?.permission;
    if (!isDeclared(permission)) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no permission (deny by default: add config.permission)`);
    }
    for (const method of [route.method].flat()) inventory.push({ method, url: route.url, permission });
  });

  app.addHook('onRequest', async (request) => {
    const source = request.ip;
    for (const [limiter, applies] of [
      [deps.requests, true],
      [deps.credentials, request.routeOptions.config.credentialLimit === true],
    ] as const) {
      if (!applies) continue;
      const decision = limiter.take(source);
      if (!decision.ok) {
        if (decision.first) deps.audit.record({ event: 'auth.rate-limited', outcome: 'denied', severity: 'low', actor: 'anonymous', source, code: 'ERR_AUTH_RATE_LIMITED' });
        throw new GatewayError('ERR_AUTH_RATE_LIMITED', 'too many requests; slow down', { details: { retryAfterS: decision.retryAfterS } });
      }
    }
    const permission = request.routeOptions.config.permission;
    if (request.is404) return;
    if (!isDeclared(permission)) throw new GatewayError('ERR_FORBIDDEN', 'this route is not open to anyone');
    if (permission === 'public') return;
    const principal = await deps.authenticator.fromHeader(request.headers.authorization, source);
    if (!allows(principal.role, permission)) {
      deps.audit.record({
        event: 'access.denied',
        outcome: 'denied',
        severity: 'medium',
        actor: principal.userId,
        role: principal.role,
        source,
        object: `${request.method} ${request.routeOptions.url ?? ''}`,
        code: 'ERR_FORBIDDEN',
      });
      throw new GatewayError('ERR_FORBIDDEN', 'your role may not do this');
    }
    principals.set(request, principal);
  });
}

/** Audits and throws an object-level denial (the role may act, but not on this object). */
export function denyObject(audit: AuditStream, request: FastifyRequest, object: string): never {
  const principal = principalOf(request);
  audit.record({ event: 'access.denied', outcome: 'denied', severity: 'medium', actor: principal.userId, role: principal.role, source: request.ip, object, code: 'ERR_FORBIDDEN' });
  throw new GatewayError('ERR_FORBIDDEN', 'you may not access this object');
}
