/** GET /v1/stream: the live-stream WebSocket (WSS only: the listener is TLS only). */
import type { AuditStream } from '@medsim/logging';
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../errors.js';
import type { LiveStream } from '../stream/live-stream.js';
import { originAllowed } from '../stream/origin.js';
import { defineRoute } from './route-spec.js';

/** The stream route. */
export const streamRoutes = {
  stream: defineRoute({
    method: 'GET',
    url: '/v1/stream',
    permission: 'public',
    publicBecause:
      'WebSocket upgrade: Origin checked before it; the first message must be {type:"auth", token} within 5 s; each subscription needs stream.subscribe and the patient scope.',
    websocket: true,
    tag: 'stream',
    summary: 'Live readings over a WebSocket (upgrade with an allowed Origin; authenticate in the first message).',
    description:
      'Client messages: {type:"auth", token} (first, within 5 s; never put the token in the URL), {type:"subscribe"|"unsubscribe", patientId}. ' +
      'Server messages: {type:"authenticated", role}, {type:"subscribed"|"unsubscribed", patientId}, {type:"error", code, patientId}, {type:"readings", patientId, readings}. ' +
      'Close codes: 4001 ERR_SESSION_SUPERSEDED (a newer login, within 1 s), 4002 ERR_SESSION_ENDED/ERR_SESSION_EXPIRED, 4400 ERR_BAD_REQUEST, ' +
      '4401 ERR_AUTH_TOKEN_INVALID (no or bad auth), 1008 ERR_AUTH_RATE_LIMITED, 1013 ERR_STREAM_TOO_SLOW, 1001 shutdown.',
    schema: { response: { 101: { type: 'null' } } },
  }),
};

/** Registers the stream route. */
export function registerStreamRoute(app: FastifyInstance, hub: LiveStream, allowedOrigins: readonly string[], audit: AuditStream): void {
  app.route({
    method: 'GET',
    url: streamRoutes.stream.url,
    config: { permission: streamRoutes.stream.permission },
    websocket: true,
    onRequest: (request, _reply, done) => {
      if (!request.ws) return done(new GatewayError('ERR_BAD_REQUEST', 'this route takes a WebSocket upgrade'));
      if (!originAllowed(request.headers.origin, request.headers.host, allowedOrigins)) {
        audit.record({ event: 'access.denied', outcome: 'denied', severity: 'medium', actor: 'anonymous', source: request.ip, object: 'stream-origin', code: 'ERR_FORBIDDEN' });
        return done(new GatewayError('ERR_FORBIDDEN', 'this Origin may not open the stream'));
      }
      done();
    },
    handler: (socket, request) => hub.accept(socket, request.ip),
  });
}
