/**
 * Response headers on every answer (CTL-17; OWASP Secure Headers): HTTPS only for a year, no
 * MIME sniffing, never framed, no caching of API answers (they carry PHI and tokens), no
 * referrer, and a CSP that allows nothing (the API serves no documents).
 */
import type { FastifyInstance } from 'fastify';

/** The headers, by name. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

/** Adds the headers to every response of `app`. */
export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.headers(SECURITY_HEADERS);
    return payload;
  });
}
