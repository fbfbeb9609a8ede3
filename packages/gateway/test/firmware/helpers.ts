/**
 * Helpers of the firmware tests: release bundles made of real signed images (`buildImage` of
 * @medsim/firmware) and stand-in TUF metadata (the gateway treats metadata as opaque files and
 * checks only name, size, role and version), a device's HTTPS client for the mTLS delivery
 * listener (its enrolment certificate and key, the gateway CA pinned), and the director key from
 * a device's enrolment answer.
 */
import { KeyCache, type KeyEntry } from '@medsim/crypto';
import { ImageSigningKey, buildImage, type DirectorInstruction } from '@medsim/firmware';
import type { DeviceCredentials } from '@medsim/testkit';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { Gateway } from '../../src/index.js';
import type { RigUser, TherapyRig } from '../therapy/helpers.js';

/** The release key of these tests (the gateway never checks image signatures; devices do). */
export const RELEASE_KEY = ImageSigningKey.generate();

/** Build time of every test image: builds are reproducible. */
const BUILD_TIME = Date.UTC(2026, 10, 1);

/** A built image and the names it is published under. */
export interface TestImage {
  readonly bytes: Uint8Array;
  readonly sha256: string;
  /** `<model>/<sha256>.<model>-<version>.bin` */
  readonly filePath: string;
  /** `<model>/<model>-<version>.bin` */
  readonly targetPath: string;
}

/** A signed image of `model` at `version` (4 KiB payload unless told). */
export function image(model: string, version: string, securityCounter = 1, payloadSize = 4096): TestImage {
  const bytes = buildImage({ model, version, securityCounter, buildTimeMs: BUILD_TIME, payloadSize }, RELEASE_KEY);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { bytes, sha256, filePath: `${model}/${sha256}.${model}-${version}.bin`, targetPath: `${model}/${model}-${version}.bin` };
}

/** Stand-in TUF metadata of `role` at `version` (what the gateway checks of it: JSON, _type, version). */
export const metadata = (role: string, version: number, extra: Record<string, unknown> = {}): Uint8Array =>
  Buffer.from(JSON.stringify({ signatures: [], signed: { _type: role, version, spec_version: '1.0.31', expires: '2027-01-01T00:00:00Z', ...extra } }));

/** The four roles of a release at `version` (root stays 1). */
export const releaseMetadata = (version: number): Record<string, Uint8Array> => ({
  '1.root.json': metadata('root', 1),
  [`${version}.targets.json`]: metadata('targets', version),
  [`${version}.snapshot.json`]: metadata('snapshot', version),
  'timestamp.json': metadata('timestamp', version),
});

/** A publish request body: files base64-encoded. */
export function bundleBody(metadataFiles: Record<string, Uint8Array>, images: readonly TestImage[] | Record<string, Uint8Array>): { metadata: Record<string, string>; targets: Record<string, string> } {
  const targets = Array.isArray(images) ? Object.fromEntries((images as readonly TestImage[]).map((i) => [i.filePath, i.bytes])) : (images as Record<string, Uint8Array>);
  const encode = (files: Record<string, Uint8Array>): Record<string, string> => Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, Buffer.from(bytes).toString('base64')]));
  return { metadata: encode(metadataFiles), targets: encode(targets) };
}

/** Publishes as `token` through the API; returns the answer. */
export const publish = (rig: TherapyRig, token: string, body: unknown): ReturnType<TherapyRig['request']> => rig.request('POST', '/v1/firmware/releases', { token, body });

/** A delivery answer. */
export interface DeliveryAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly bytes: Buffer;
  /** The body as JSON (empty object when it is not JSON). */
  readonly body: Record<string, unknown>;
}

/** TLS options of a device: its enrolment certificate and key, the gateway CA pinned. */
export const deviceTlsOptions = (credentials: DeviceCredentials): { cert: string; key: string; ca: string } => ({
  cert: credentials.enrolment.certificatePem,
  key: credentials.tlsKeyPem,
  ca: credentials.enrolment.caCertificatePem,
});

/**
 * One request to the delivery listener. `tls` overrides the device's TLS options (a missing or
 * foreign certificate); `agent` keeps a connection open across requests. Rejects when the
 * connection is refused or cut before an answer.
 */
export function deliver(
  gateway: Gateway,
  credentials: DeviceCredentials,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | Buffer; tls?: Record<string, string | undefined>; agent?: Agent } = {},
): Promise<DeliveryAnswer> {
  const tls = { ...deviceTlsOptions(credentials), ...init.tls };
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port: gateway.addresses.firmwarePort,
        method,
        path,
        headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
        ...(init.agent === undefined ? { agent: false, ...Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined)) } : { agent: init.agent }),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const bytes = Buffer.concat(chunks);
          let body: Record<string, unknown>;
          try {
            body = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
          } catch {
            body = {};
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, bytes, body });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    if (init.body !== undefined) request.write(init.body);
    request.end();
  });
}

/** A keep-alive agent holding one device connection. */
export const deviceAgent = (credentials: DeviceCredentials): Agent => new Agent({ ...deviceTlsOptions(credentials), keepAlive: true, maxSockets: 1 });

/** The director key a device was given at enrolment, imported as the device would. */
export async function directorKeyOf(credentials: DeviceCredentials): Promise<KeyEntry> {
  const { directorKey } = credentials.enrolment;
  if (directorKey === undefined) throw new Error('the enrolment answer has no directorKey');
  return new KeyCache().importPublicJwk(directorKey, 'Ed25519');
}

/** The code of a rejected promise (undefined when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string } | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error as { code?: string; message: string };
  }
}

/** Creates a campaign as `token`; returns the answer. */
export const createCampaign = (rig: TherapyRig, token: string, body: Record<string, unknown>): ReturnType<TherapyRig['request']> =>
  rig.request('POST', '/v1/firmware/campaigns', { token, body });

/** A campaign decision (`approve`, `pause`, …) as `token`, with `body` (the step-up code). */
export const decide = (rig: TherapyRig, token: string, campaignId: string, decision: string, body?: Record<string, unknown>): ReturnType<TherapyRig['request']> =>
  rig.request('POST', `/v1/firmware/campaigns/${campaignId}/${decision}`, { token, ...(body === undefined ? {} : { body }) });

/** Creates and approves a campaign (the admin gives a fresh TOTP code); returns its id. */
export async function runningCampaign(rig: TherapyRig, techToken: string, admin: RigUser, adminToken: string, body: Record<string, unknown>): Promise<string> {
  const created = await createCampaign(rig, techToken, body);
  if (created.status !== 201) throw new Error(`create ${created.status} ${JSON.stringify(created.body)}`);
  const campaignId = created.body['campaignId'] as string;
  const approved = await decide(rig, adminToken, campaignId, 'approve', { totpCode: rig.freshCode(admin) });
  if (approved.status !== 200) throw new Error(`approve ${approved.status} ${JSON.stringify(approved.body)}`);
  return campaignId;
}

/** The payload of a compact JWS, unverified (to read its jti and campaign in a test). */
export const payloadOf = (jws: string): DirectorInstruction => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as DirectorInstruction;

/** A device asks for its instruction: the JWS, or undefined on 204. */
export async function instructionFor(gateway: Gateway, credentials: DeviceCredentials): Promise<string | undefined> {
  const answer = await deliver(gateway, credentials, 'GET', `/v1/firmware/director/${credentials.deviceId}`);
  if (answer.status === 204) return undefined;
  if (answer.status !== 200) throw new Error(`director ${answer.status} ${answer.bytes.toString('utf8')}`);
  return answer.body['instruction'] as string;
}

/** A device reports on the instruction `jws`; returns the answer. */
export function report(gateway: Gateway, credentials: DeviceCredentials, jws: string, state: Record<string, unknown>): Promise<DeliveryAnswer> {
  const { campaign, jti } = payloadOf(jws);
  return deliver(gateway, credentials, 'POST', `/v1/firmware/director/${credentials.deviceId}/report`, { body: JSON.stringify({ campaign, jti, ...state }) });
}

/** Reports the whole happy path: downloading, installed, trial, confirmed. */
export async function updateConfirmed(gateway: Gateway, credentials: DeviceCredentials, jws: string): Promise<void> {
  for (const state of [{ state: 'downloading', progress: 40 }, { state: 'installed' }, { state: 'trial' }, { state: 'confirmed' }]) {
    const answer = await report(gateway, credentials, jws, state);
    if (answer.status !== 204) throw new Error(`report ${answer.status} ${answer.bytes.toString('utf8')}`);
  }
}
