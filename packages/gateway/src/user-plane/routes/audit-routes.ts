/**
 * /v1/audit (auditor only, CTL-14): query with filters and cursor paging, and the whole chain as
 * JSON lines for a SIEM. Reading the audit log is itself audited.
 */
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { queryAuditLog } from '../../audit/audit-log.js';
import { principalOf } from '../rbac/route-guard.js';
import { auditEntry, cursorQuery, dateTime, limitQuery, object } from '../schemas.js';
import { register, type UserPlaneServices } from '../services.js';
import { defineRoute } from './route-spec.js';

/** The audit routes. */
export const auditRoutes = {
  query: defineRoute({
    method: 'GET',
    url: '/v1/audit',
    permission: 'audit.read',
    tag: 'audit',
    summary: 'Audit entries, oldest first, filtered; page with `after` (the previous page\'s `next`).',
    schema: {
      querystring: object(
        {
          after: cursorQuery,
          limit: limitQuery,
          event: { type: 'string', maxLength: 64, pattern: '^[a-z][a-z0-9.-]*$' },
          actor: { type: 'string', maxLength: 128 },
          from: dateTime,
          to: dateTime,
        },
        [],
      ),
      response: { 200: object({ entries: { type: 'array', items: auditEntry }, next: { type: ['integer', 'null'] } }) },
    },
  }),
  export: defineRoute({
    method: 'GET',
    url: '/v1/audit/export',
    permission: 'audit.export',
    tag: 'audit',
    summary: 'The whole audit chain as JSON lines (one entry per line, with its hashes).',
    produces: 'application/x-ndjson',
    schema: { response: { 200: { type: 'string' } } },
  }),
};

/** Registers the audit routes. */
export function registerAuditRoutes(app: FastifyInstance, s: UserPlaneServices): void {
  const { ctx } = s;

  register<{ Querystring: { after?: string; limit?: string; event?: string; actor?: string; from?: string; to?: string } }>(app, auditRoutes.query, (request) => {
    const principal = principalOf(request);
    const { after, limit, event, actor, from, to } = request.query;
    const pageSize = Number(limit ?? 100);
    const entries = queryAuditLog(ctx.db, {
      ...(after === undefined ? {} : { afterSeq: Number(after) }),
      limit: pageSize,
      ...(event === undefined ? {} : { event }),
      ...(actor === undefined ? {} : { actor }),
      ...(from === undefined ? {} : { fromIso: new Date(from).toISOString() }),
      ...(to === undefined ? {} : { toIso: new Date(to).toISOString() }),
    });
    ctx.audit.record({ event: 'audit.read', outcome: 'success', severity: 'info', actor: principal.userId, role: principal.role, source: request.ip });
    return { entries, next: entries.length === pageSize ? entries[entries.length - 1]!.seq : null };
  });

  register(app, auditRoutes.export, async (request, reply) => {
    const principal = principalOf(request);
    ctx.audit.record({ event: 'audit.export', outcome: 'success', severity: 'medium', actor: principal.userId, role: principal.role, source: request.ip });
    // Pages of complete queries, not exportAuditLog()'s open iterator: better-sqlite3 refuses any
    // other statement on the connection while an iterator is open, and the stream yields to other
    // requests between chunks. Same lines as exportAuditLog() (JSON of each entry).
    const pages = (function* () {
      let after = 0;
      for (;;) {
        const entries = queryAuditLog(ctx.db, { afterSeq: after, limit: 1000 });
        if (entries.length === 0) return;
        yield entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
        after = entries[entries.length - 1]!.seq;
      }
    })();
    return reply.type('application/x-ndjson').send(Readable.from(pages));
  });
}
