/**
 * createUserPlane(): the HTTPS API and the live-stream WebSocket for people (CTL-01..04, CTL-06,
 * CTL-09, CTL-14, CTL-16, CTL-17, CTL-18, CTL-23). Returns the fastify app unstarted: the caller
 * listens (`app.listen({ host, port })`) and closes it (CONVENTIONS 8).
 *
 * TLS 1.3 only, no plaintext listener (so the WebSocket is WSS only); JSON bodies only, at most
 * `http.bodyLimitBytes`; every route guarded (rbac/route-guard.ts); security headers on every
 * answer; every error a `{ code, message }` problem without internals.
 */
import websocket from '@fastify/websocket';
import { fastify, LogController, type FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';
import type { FirmwareService } from '../firmware/firmware-service.js';
import { TherapyCommands } from '../therapy/therapy-commands.js';
import type { UserStore } from '../users/user-store.js';
import { AccessTokens } from './auth/access-token.js';
import { Authenticator } from './auth/authenticate.js';
import { LoginService } from './auth/login.js';
import { RefreshTokens } from './auth/refresh-tokens.js';
import { errorHandler, sendProblem } from './http-errors.js';
import { buildOpenApiDocument } from './openapi.js';
import { RateLimiter } from '../limits/rate-limit.js';
import { installRouteGuard } from './rbac/route-guard.js';
import { registerAuditRoutes } from './routes/audit-routes.js';
import { registerCareTeamRoutes } from './routes/care-team-routes.js';
import { registerDeviceRoutes } from './routes/device-routes.js';
import { registerFirmwareRoutes } from './routes/firmware-routes.js';
import { registerMaintenanceRoutes } from './routes/maintenance-routes.js';
import { registerPatientRoutes } from './routes/patient-routes.js';
import { registerSessionRoutes } from './routes/session-routes.js';
import { registerStreamRoute } from './routes/stream-route.js';
import { registerSystemRoutes } from './routes/system-routes.js';
import { registerTherapyRoutes } from './routes/therapy-routes.js';
import { registerUserRoutes } from './routes/user-routes.js';
import { addSecurityHeaders } from './security-headers.js';
import type { UserPlaneServices } from './services.js';
import { SessionStore } from './sessions/session-store.js';
import { DEFAULT_STREAM_OPTIONS, LiveStream, MAX_CLIENT_MESSAGE_BYTES, type LiveStreamOptions } from './stream/live-stream.js';
import { parseAllowedOrigins } from './stream/origin.js';

/** What the user plane needs besides the context. */
export interface UserPlaneDeps {
  readonly users: UserStore;
  /**
   * The gateway's therapy service (linked to its device plane). Without one, a service without a
   * device link is built: orders and reads work, every confirmation ends undeliverable.
   */
  readonly therapy?: TherapyCommands;
  /** The gateway's firmware service; without one the /v1/firmware routes answer 503 after the role check. */
  readonly firmware?: FirmwareService;
}

/** Tuning for tests and special deployments; the defaults are the documented limits. */
export interface UserPlaneOptions {
  readonly stream?: Partial<LiveStreamOptions>;
}

/** Builds the user plane on `ctx`; the returned app is not listening yet. */
export async function createUserPlane(ctx: GatewayContext, deps: UserPlaneDeps, options: UserPlaneOptions = {}): Promise<FastifyInstance> {
  const { config } = ctx;
  const log = ctx.logger.child({ component: 'user-plane' });
  // fastify types an https app as FastifyInstance<https.Server>; requests and replies are the same
  // node types, and callers only listen and close it, so it is handed out as the plain instance.
  const app = fastify({
    https: { key: ctx.tls.keyPem, cert: ctx.tls.certPem, minVersion: 'TLSv1.3' },
    loggerInstance: log,
    // Per-request log lines off: the audit stream records what matters, without PHI in URLs.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config['http.bodyLimitBytes'],
    exposeHeadRoutes: false,
    return503OnClosing: true,
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
    routerOptions: { maxParamLength: 128 },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Unknown members are errors, not silently removed; no type coercion (fastify's default
    // would turn ["a"] into "a"): query numbers are digit strings checked by pattern (CTL-09).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  }) as unknown as FastifyInstance;
  // JSON only: no text/plain bodies (the default parser set has one).
  app.removeContentTypeParser('text/plain');

  const sessions = new SessionStore(ctx.db, ctx.dataKey, ctx.now, { idleMs: config['auth.idleTimeoutS'] * 1000, absoluteMs: config['auth.absoluteLifetimeS'] * 1000 });
  const tokens = new AccessTokens(ctx.tokenKey, ctx.now, config['auth.accessTokenTtlS'], config['auth.clockToleranceS']);
  const authenticator = new Authenticator({ tokens, sessions, users: deps.users, audit: ctx.audit, logger: log });
  const login = await LoginService.create({
    users: deps.users,
    sessions,
    tokens,
    refresh: new RefreshTokens(ctx.db, ctx.now, config['auth.refreshTokenTtlS'] * 1000),
    audit: ctx.audit,
    now: ctx.now,
    policy: config['auth.sessionPolicy'] === 'reject' ? 'reject' : 'replace',
    lockout: { maxFailed: config['auth.maxFailedLogins'], baseMs: config['auth.lockoutBaseS'] * 1000 },
  });
  const therapy = deps.therapy ?? new TherapyCommands({ ctx, users: deps.users });
  const services: UserPlaneServices = { ctx, users: deps.users, sessions, login, authenticator, therapy };
  const hub = new LiveStream({
    authenticator,
    sessions,
    users: deps.users,
    feed: ctx.feed,
    audit: ctx.audit,
    logger: log,
    now: ctx.now,
    options: { ...DEFAULT_STREAM_OPTIONS, ...options.stream },
  });

  await app.register(websocket, {
    // No compression: it costs CPU per message and opens compression side channels.
    options: { maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false },
    errorHandler: (error, socket) => {
      log.warn({ err: error }, 'live stream socket error');
      socket.terminate();
    },
    preClose: (done) => {
      hub.close();
      done();
    },
  });
  installRouteGuard(app, {
    authenticator,
    audit: ctx.audit,
    requests: new RateLimiter(config['http.requestsPerMinute'], ctx.now),
    credentials: new RateLimiter(config['auth.loginsPerMinute'], ctx.now),
  });
  addSecurityHeaders(app);
  app.setErrorHandler(errorHandler(log));
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, { status: 404, code: 'ERR_NOT_FOUND', message: 'no such route' }));

  registerSystemRoutes(app, buildOpenApiDocument());
  registerSessionRoutes(app, services);
  registerPatientRoutes(app, services);
  registerStreamRoute(app, hub, parseAllowedOrigins(config['http.allowedOrigins']), ctx.audit);
  registerDeviceRoutes(app, services);
  registerUserRoutes(app, services);
  registerCareTeamRoutes(app, services);
  registerAuditRoutes(app, services);
  registerTherapyRoutes(app, services);
  registerMaintenanceRoutes(app, services);
  registerFirmwareRoutes(app, services, deps.firmware);
  return app;
}
