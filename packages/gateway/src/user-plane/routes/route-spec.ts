/**
 * Route specifications as data: method, path, permission, schemas and summary. The server
 * registers them, the OpenAPI document and docs/access-control.md are rendered from them, and a
 * test checks that the running server's route inventory is exactly this list (CTL-17).
 */
import type { Permission } from '../rbac/permissions.js';

/** A JSON Schema fragment (draft-07 subset shared by ajv and OpenAPI 3.1). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** A route's declared access: a permission, or explicitly public with the reason why. */
export type RouteAccess =
  | { readonly permission: Permission }
  | {
      readonly permission: 'public';
      /** What authorises the call instead of a bearer token (rendered into the docs). */
      readonly publicBecause: string;
    };

/** One route. */
export type RouteSpec = RouteAccess & {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** fastify path syntax (`:id`). */
  readonly url: string;
  readonly tag: 'system' | 'session' | 'patients' | 'devices' | 'therapy' | 'maintenance' | 'firmware' | 'users' | 'care-teams' | 'audit' | 'stream';
  readonly summary: string;
  readonly description?: string;
  readonly schema: {
    readonly params?: JsonSchema;
    readonly querystring?: JsonSchema;
    readonly body?: JsonSchema;
    /** Success answers by status (errors are the shared Problem answers). */
    readonly response: Readonly<Record<number, JsonSchema>>;
  };
  /** Also counts against the stricter per-address `auth.loginsPerMinute` limit. */
  readonly credentialLimit?: true;
  /** Media type of the success answer, when not JSON. */
  readonly produces?: string;
  /** A WebSocket upgrade route. */
  readonly websocket?: true;
};

/** Identity helper that keeps literal types and checks the shape. */
export const defineRoute = <const T extends RouteSpec>(spec: T): T => spec;
