/**
 * A user of the gateway's API over real HTTPS and WSS: logs in, then follows patients on the
 * live stream (protocol in packages/gateway/src/user-plane/stream/live-stream.ts). Used by the
 * benchmark's subscriber and by the demo.
 */
import type { ReadingJson } from '@medsim/gateway';
import { request } from 'node:https';
import WebSocket from 'ws';

/** Where and who. */
export interface StreamLogin {
  readonly host?: string;
  readonly port: number;
  readonly caPem: string;
  readonly username: string;
  readonly password: string;
  readonly patients: readonly string[];
}

/** Calls the API; resolves with status and parsed JSON body. */
export function callApi(
  target: { host?: string; port: number; caPem: string },
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        host: target.host ?? '127.0.0.1',
        port: target.port,
        servername: 'localhost',
        ca: target.caPem,
        method,
        path,
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.length }),
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Logs in (no second factor: clinicians and patients by default); resolves with the access token. */
export async function login(target: { host?: string; port: number; caPem: string }, username: string, password: string): Promise<string> {
  const { status, body } = await callApi(target, 'POST', '/v1/session/login', { username, password });
  const tokens = body as { accessToken?: string; mfaRequired?: boolean };
  if (status !== 200 || typeof tokens.accessToken !== 'string') throw new Error(`login as ${username} failed: HTTP ${status}`);
  return tokens.accessToken;
}

/** An open live stream. */
export interface ReadingStream {
  readonly socket: WebSocket;
  close(): Promise<void>;
}

/** Logs in, opens the live stream, subscribes to `patients`; calls `onReading` per reading. */
export async function openReadingStream(login_: StreamLogin, onReading: (reading: ReadingJson) => void): Promise<ReadingStream> {
  const token = await login(login_, login_.username, login_.password);
  const host = login_.host ?? '127.0.0.1';
  const socket = new WebSocket(`wss://localhost:${login_.port}/v1/stream`, {
    ca: login_.caPem,
    origin: `https://localhost:${login_.port}`,
    lookup: (_hostname, options, callback) => {
      if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: host, family: 4 }]);
      else callback(null, host, 4);
    },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const pending = new Set(login_.patients);
  const subscribed = new Promise<void>((resolve, reject) => {
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as { type: string; patientId?: string; readings?: ReadingJson[]; code?: string };
      if (message.type === 'readings') {
        for (const reading of message.readings ?? []) onReading(reading);
      } else if (message.type === 'authenticated') {
        for (const patientId of login_.patients) socket.send(JSON.stringify({ type: 'subscribe', patientId }));
        if (pending.size === 0) resolve();
      } else if (message.type === 'subscribed') {
        pending.delete(message.patientId ?? '');
        if (pending.size === 0) resolve();
      } else if (message.type === 'error') {
        reject(new Error(`stream refused: ${message.code ?? 'unknown'}`));
      }
    });
    socket.once('close', (code, reason) => reject(new Error(`stream closed: ${code} ${reason.toString()}`)));
  });
  socket.send(JSON.stringify({ type: 'auth', token }));
  await subscribed;
  return {
    socket,
    close: () =>
      new Promise((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close(1000);
      }),
  };
}
