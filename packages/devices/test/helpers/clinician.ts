/**
 * A clinician driving therapy through the gateway's real HTTPS API: log in, order, confirm with the
 * step-up password, read the command's status.
 */
import type { Gateway } from '@medsim/gateway';
import { request } from 'node:https';

/** One HTTPS JSON exchange with the gateway. */
export function api(gateway: Gateway, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
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
        headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.length }), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A clinician with a patient on their care team, logged in. */
export interface Clinician {
  readonly token: string;
  readonly password: string;
  readonly patientId: string;
}

let counter = 0;

/** Creates a patient and a clinician caring for them, and logs the clinician in. */
export async function clinicianWithPatient(gateway: Gateway): Promise<Clinician> {
  counter += 1;
  const patientId = gateway.users.createPatient(`Patient ${counter}`).id;
  const password = `Correct-horse-${counter}-battery-staple`;
  const created = await gateway.users.createUser({ username: `dr.test${counter}`, role: 'clinician', password });
  gateway.users.assignCareTeam(created.id, patientId, 'test');
  const login = await api(gateway, 'POST', '/v1/session/login', { username: `dr.test${counter}`, password });
  if (login.status !== 200 || typeof login.body['accessToken'] !== 'string') throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { token: login.body['accessToken'], password, patientId };
}

/** Orders an action and confirms it (signal of intent, password step-up); returns the command id. */
export async function orderAndConfirm(gateway: Gateway, clinician: Clinician, deviceId: string, action: Record<string, unknown>): Promise<string> {
  const order = await api(gateway, 'POST', `/v1/devices/${deviceId}/therapy-commands`, { action }, clinician.token);
  if (order.status !== 201) throw new Error(`order failed: ${order.status} ${JSON.stringify(order.body)}`);
  const commandId = String(order.body['commandId']);
  const confirm = await api(gateway, 'POST', `/v1/therapy-commands/${commandId}/confirm`, { password: clinician.password }, clinician.token);
  if (confirm.status !== 200 && confirm.status !== 202) throw new Error(`confirm failed: ${confirm.status} ${JSON.stringify(confirm.body)}`);
  return commandId;
}

/** The status of a command as the gateway records it. */
export async function commandStatus(gateway: Gateway, clinician: Clinician, commandId: string): Promise<Record<string, unknown>> {
  return (await api(gateway, 'GET', `/v1/therapy-commands/${commandId}`, undefined, clinician.token)).body;
}
