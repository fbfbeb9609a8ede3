/** /healthz (liveness, no details) and /v1/openapi.json (this API's description). */
import type { FastifyInstance } from 'fastify';
import { object } from '../schemas.js';
import { register } from '../services.js';
import { defineRoute } from './route-spec.js';

/** The system routes. */
export const systemRoutes = {
  health: defineRoute({
    method: 'GET',
    url: '/healthz',
    permission: 'public',
    publicBecause: 'Liveness probe; answers only that the process serves requests (no versions, no counts).',
    tag: 'system',
    summary: 'Liveness.',
    schema: { response: { 200: object({ status: { type: 'string', const: 'ok' } }) } },
  }),
  openapi: defineRoute({
    method: 'GET',
    url: '/v1/openapi.json',
    permission: 'public',
    publicBecause: 'The API description; the same document is committed at docs/protocols/openapi.json.',
    tag: 'system',
    summary: 'This OpenAPI 3.1 document.',
    schema: { response: { 200: { type: 'object', additionalProperties: true } } },
  }),
};

/** Registers the system routes; `document` is the rendered OpenAPI document. */
export function registerSystemRoutes(app: FastifyInstance, document: unknown): void {
  register(app, systemRoutes.health, () => ({ status: 'ok' }));
  register(app, systemRoutes.openapi, () => document);
}
