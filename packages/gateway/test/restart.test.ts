import { describe, expect, it } from 'vitest';
import { request } from 'node:https';
import type { Gateway } from '../src/index.js';
import { startGateway, tempDataDir } from './fixtures.js';

/** A JSON call over real HTTPS with the gateway's CA. */
function call(gateway: Gateway, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        host: '127.0.0.1',
        port: gateway.addresses.httpPort,
        servername: 'localhost',
        ca: gateway.context.tls.caPem,
        method,
        path,
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('gateway restart on the same data directory', () => {
  it('[CTL-04][CTL-16] user sessions, refresh tokens and single-session state survive a restart', { tags: ['CTL-04', 'CTL-16'] }, async () => {
    const dir = tempDataDir();
    const first = await startGateway({ dataDir: dir.path });
    const password = 'correct horse battery staple';
    await first.users.createUser({ username: 'dr.kim', role: 'clinician', password });
    const login = await call(first, 'POST', '/v1/session/login', { username: 'dr.kim', password });
    expect(login.status).toBe(200);
    const { accessToken, refreshToken } = login.body as { accessToken: string; refreshToken: string };
    await first.close();

    const second = await startGateway({ dataDir: dir.path });
    try {
      // Same token signing key, same session row: the access token still works.
      expect((await call(second, 'GET', '/v1/session/me', undefined, accessToken)).status).toBe(200);
      // The refresh token rotates as before the restart.
      const refreshed = await call(second, 'POST', '/v1/session/refresh', { refreshToken });
      expect(refreshed.status).toBe(200);
      // Reusing the rotated refresh token is still detected after the restart.
      expect((await call(second, 'POST', '/v1/session/refresh', { refreshToken })).body).toMatchObject({ code: 'ERR_AUTH_REFRESH_REUSED' });
    } finally {
      await second.close();
      dir.cleanup();
    }
  });
});
