/**
 * WebSocket Origin check (S8; ASVS 4.4.2, cross-site WebSocket hijacking): browsers send Origin
 * on every WebSocket handshake and a page cannot forge it, so a page from another site is refused
 * before the upgrade. The header is required (non-browser clients set it to the gateway's own
 * origin). Allowed: the origins in `http.allowedOrigins`, or, when that is empty, https on the
 * very host the request was sent to.
 */

/** Parses `http.allowedOrigins` (comma-separated). */
export function parseAllowedOrigins(setting: string): string[] {
  return setting
    .split(',')
    .map((origin) => origin.trim().toLowerCase().replace(/\/+$/u, ''))
    .filter((origin) => origin !== '');
}

/** Whether a handshake with this Origin and Host may proceed. */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined || origin.length > 2048) return false;
  const normalized = origin.trim().toLowerCase();
  if (allowed.length > 0) return allowed.includes(normalized);
  if (host === undefined) return false;
  let url: URL;
  try {
    url = new URL(normalized);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && url.origin === normalized && url.host === host.toLowerCase();
}
