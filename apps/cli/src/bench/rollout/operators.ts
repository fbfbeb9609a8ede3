/**
 * The people of a rollout, over the gateway's HTTPS API as anyone outside it would be: a
 * technician logs in (password, then TOTP), publishes the release signed offline (POST
 * /v1/firmware/releases; the gateway adds snapshot and timestamp with its online keys) and creates
 * the campaign; a different user, an admin, logs in and approves it with a fresh TOTP code (the
 * two-person rule with step-up).
 *
 * TOTP codes: the gateway accepts one 30 s step of drift either way and only a code newer than
 * the account's last one. The login uses the code of now and the approval the code of the next
 * step, so the approval is fresh without waiting for the clock.
 */
import { URI, type TOTP } from 'otpauth';
import { callApi } from '../gateway/stream-client.js';
import type { OperatorAccount, RolloutGatewayInfo } from './gateway-process.js';
import type { Release } from './release.js';

/** One TOTP step, ms. */
const TOTP_STEP_MS = 30_000;

type Api = { readonly port: number; readonly caPem: string };

/** A logged-in operator. */
interface Session {
  readonly token: string;
  readonly totp: TOTP;
}

async function call(api: Api, method: string, path: string, expected: number, body?: unknown, token?: string): Promise<Record<string, unknown>> {
  const answer = await callApi(api, method, path, body, token);
  if (answer.status !== expected) throw new Error(`${method} ${path}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as Record<string, unknown>;
}

async function login(api: Api, account: OperatorAccount): Promise<Session> {
  const totp = URI.parse(account.totpUri) as TOTP;
  const first = await call(api, 'POST', '/v1/session/login', 200, { username: account.username, password: account.password });
  const second = await call(api, 'POST', '/v1/session/mfa', 200, { challenge: first['challenge'], code: totp.generate({ timestamp: Date.now() }) });
  return { token: second['accessToken'] as string, totp };
}

/**
 * Publishes `release`, creates its campaign over every enrolled device of the model with
 * `stages`, and has the admin approve it. Resolves with the campaign id once approved.
 */
export async function publishAndApprove(gateway: RolloutGatewayInfo, release: Release, stages: readonly number[]): Promise<string> {
  const api: Api = { port: gateway.httpPort, caPem: gateway.caPem };
  const technician = await login(api, gateway.technician);
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
  await call(
    api,
    'POST',
    '/v1/firmware/releases',
    201,
    {
      metadata: { '1.root.json': b64(release.root), '1.targets.json': b64(release.targetsJson) },
      targets: Object.fromEntries([...release.targetFiles].map(([path, bytes]) => [path.replace(/^targets\//u, ''), b64(bytes)])),
    },
    technician.token,
  );
  const created = await call(api, 'POST', '/v1/firmware/campaigns', 201, { model: release.model, version: release.update.version, stages }, technician.token);
  const campaignId = created['campaignId'] as string;
  const admin = await login(api, gateway.admin);
  const totpCode = admin.totp.generate({ timestamp: Date.now() + TOTP_STEP_MS });
  await call(api, 'POST', `/v1/firmware/campaigns/${campaignId}/approve`, 200, { totpCode }, admin.token);
  return campaignId;
}
