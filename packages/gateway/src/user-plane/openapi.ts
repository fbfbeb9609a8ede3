/**
 * The OpenAPI 3.1 document of the user plane, generated from the route specs (the same schemas
 * fastify validates with), served at /v1/openapi.json and committed at docs/protocols/openapi.json;
 * a test fails when the two differ (`npm run docs` regenerates it). Each operation carries its
 * permission and the roles holding it (`x-permission`, `x-roles`), or why it is public.
 */
import { PERMISSIONS } from './rbac/permissions.js';
import { ROUTE_SPECS } from './routes/catalogue.js';
import type { JsonSchema, RouteSpec } from './routes/route-spec.js';
import { problem } from './schemas.js';

/** Where the document is committed, relative to the repository root. */
export const OPENAPI_PATH = 'docs/protocols/openapi.json';

const problemAnswer = (description: string): JsonSchema => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

/** The error answers operations share, by component name. */
const ERROR_ANSWERS = {
  BadRequest: problemAnswer('ERR_BAD_REQUEST: the input failed validation.'),
  Unauthenticated: problemAnswer('ERR_AUTH_TOKEN_INVALID, ERR_SESSION_SUPERSEDED, ERR_SESSION_EXPIRED or ERR_SESSION_ENDED.'),
  Forbidden: problemAnswer('ERR_FORBIDDEN: the role or the object scope does not allow it (deny by default).'),
  RateLimited: problemAnswer('ERR_AUTH_RATE_LIMITED: per-address limit; see Retry-After.'),
  Error: problemAnswer('Any other error, as { code, message } (docs/reference/errors.md).'),
};
const ref = (name: keyof typeof ERROR_ANSWERS): JsonSchema => ({ $ref: `#/components/responses/${name}` });

function operationId(spec: RouteSpec): string {
  const words = spec.url.split(/[/:{}.-]+/u).filter((w) => w !== '');
  return [spec.method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('');
}

/** Path and query parameters from the params/querystring object schemas. */
function parameters(spec: RouteSpec): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [where, schema] of [
    ['path', spec.schema.params],
    ['query', spec.schema.querystring],
  ] as const) {
    if (schema === undefined) continue;
    const required = new Set((schema['required'] as string[] | undefined) ?? []);
    for (const [name, property] of Object.entries(schema['properties'] as Record<string, JsonSchema>)) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: property });
    }
  }
  return out;
}

function responses(spec: RouteSpec): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [status, schema] of Object.entries(spec.schema.response)) {
    if (status === '204') out[status] = { description: 'Done; no content.' };
    else if (status === '101') out[status] = { description: 'Switching to the WebSocket protocol.' };
    else out[status] = { description: 'Success.', content: { [spec.produces ?? 'application/json']: { schema } } };
  }
  if (spec.schema.body !== undefined || spec.schema.params !== undefined || spec.schema.querystring !== undefined) {
    out['400'] = ref('BadRequest');
  }
  if (spec.permission !== 'public') {
    out['401'] = ref('Unauthenticated');
    out['403'] = ref('Forbidden');
  }
  out['429'] = ref('RateLimited');
  out['default'] = ref('Error');
  return out;
}

function operation(spec: RouteSpec): JsonSchema {
  const params = parameters(spec);
  return {
    operationId: operationId(spec),
    tags: [spec.tag],
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    security: spec.permission === 'public' ? [] : [{ bearer: [] }],
    'x-permission': spec.permission,
    ...(spec.permission === 'public' ? { 'x-public-because': spec.publicBecause } : { 'x-roles': [...PERMISSIONS[spec.permission].roles] }),
    ...(params.length === 0 ? {} : { parameters: params }),
    ...(spec.schema.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: spec.schema.body } } } }),
    responses: responses(spec),
  };
}

/** The OpenAPI 3.1 document, as an object. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const spec of ROUTE_SPECS) {
    const path = spec.url.replace(/:([A-Za-z]+)/gu, '{$1}');
    (paths[path] ??= {})[spec.method.toLowerCase()] = operation(spec);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'medsim gateway user API',
      version: 'v1',
      description:
        'HTTPS (TLS 1.3) API of the medsim gateway for people: sessions, patients and readings, devices, users, care teams, audit. ' +
        'Bearer access tokens are EdDSA JWTs (typ at+jwt) bound to a server-side session; one live session per user (ADR 0003). ' +
        'Errors are application/problem+json { code, message }. Access rules: docs/access-control.md.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    tags: [...new Set(ROUTE_SPECS.map((spec) => spec.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: problem },
      responses: ERROR_ANSWERS,
    },
  };
}

/** The committed form: 2-space JSON with a final newline. */
export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}
