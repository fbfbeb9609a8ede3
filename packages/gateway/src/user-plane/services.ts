/** What the route handlers of one user plane share. */
import type { FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault, RouteGenericInterface, RouteHandlerMethod } from 'fastify';
import type { GatewayContext } from '../context.js';
import type { TherapyCommands } from '../therapy/therapy-commands.js';
import type { UserStore } from '../users/user-store.js';
import type { Authenticator } from './auth/authenticate.js';
import type { LoginService } from './auth/login.js';
import type { RouteSpec } from './routes/route-spec.js';
import type { SessionStore } from './sessions/session-store.js';

/** The services behind the routes. */
export interface UserPlaneServices {
  readonly ctx: GatewayContext;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly login: LoginService;
  readonly authenticator: Authenticator;
  readonly therapy: TherapyCommands;
}

/** A route handler. */
export type Handler<G extends RouteGenericInterface> = RouteHandlerMethod<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, G>;

/** Registers `spec` with `handler`, carrying its permission into the route config. */
export function register<G extends RouteGenericInterface>(app: FastifyInstance, spec: RouteSpec, handler: Handler<G>): void {
  app.route<G>({
    method: spec.method,
    url: spec.url,
    schema: spec.schema,
    config: { permission: spec.permission, credentialLimit: spec.credentialLimit === true },
    handler,
  });
}
