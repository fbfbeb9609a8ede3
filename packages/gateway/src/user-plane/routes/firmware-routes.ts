/**
 * Firmware over the people's HTTPS API (issue 5; CTL-01, CTL-12; docs/firmware/gateway.md): the
 * published releases, publishing a bundle signed offline (technician), and rollout campaigns:
 * create (technician), approve, resume and advance (admin, another user than the creator, fresh
 * TOTP code), pause and abort (technician or admin), and every device's update status. Clinicians
 * and patients hold no firmware permission. Devices use the separate mTLS delivery listener
 * (firmware/delivery-server.ts), never these routes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../../errors.js';
import type { CampaignInput } from '../../firmware/campaigns.js';
import { CAMPAIGN_STATUSES, DEVICE_UPDATE_STATUSES } from '../../firmware/campaign-rules.js';
import type { FirmwareService } from '../../firmware/firmware-service.js';
import { BUNDLE_LIMITS } from '../../firmware/firmware-store.js';
import { METADATA_MAX_BYTES } from '../../firmware/repository-names.js';
import { principalOf } from '../rbac/route-guard.js';
import { dateTime, deviceId, limitQuery, nullableString, object } from '../schemas.js';
import { register, type Handler, type UserPlaneServices } from '../services.js';
import { defineRoute, type JsonSchema } from './route-spec.js';

const MODEL: JsonSchema = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' };
const VERSION: JsonSchema = { type: 'string', maxLength: 40, pattern: '^(0|[1-9][0-9]{0,4})\\.(0|[1-9][0-9]{0,4})\\.(0|[1-9][0-9]{0,9})$' };
const SHA256: JsonSchema = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const base64Up = (bytes: number): number => 4 * Math.ceil(bytes / 3);
/** The largest image any configuration allows (`firmware.maxImageBytes` is checked after decoding). */
const MAX_IMAGE_BASE64 = base64Up(512 * 1024 * 1024);

/** Files by name, base64-encoded. */
const files = (maxFiles: number, maxBase64: number): JsonSchema => ({
  type: 'object',
  maxProperties: maxFiles,
  propertyNames: { type: 'string', minLength: 1, maxLength: 200 },
  additionalProperties: { type: 'string', minLength: 1, maxLength: maxBase64 },
});

const campaignIdParams: JsonSchema = object({ campaignId: { type: 'string', pattern: '^[0-9a-f]{32}$' } });
/** A fresh TOTP code (optional in the schema, so its absence is an audited step-up refusal). */
const stepUpBody: JsonSchema = object({ totpCode: { type: 'string', minLength: 1, maxLength: 16 } }, []);

/** A stored metadata file (MetadataRecord). */
const metadataRecord: JsonSchema = object({
  name: { type: 'string' },
  role: { type: 'string', enum: ['root', 'targets', 'snapshot', 'timestamp'] },
  version: { type: 'integer' },
  length: { type: 'integer' },
  sha256: SHA256,
  publishedAt: dateTime,
  publishedBy: { type: 'string' },
});

/** A stored image (TargetRecord). */
const targetRecord: JsonSchema = object({
  targetPath: { type: 'string' },
  filePath: { type: 'string' },
  model: { type: 'string' },
  version: { type: 'string' },
  securityCounter: { type: 'integer' },
  length: { type: 'integer' },
  sha256: SHA256,
  encrypted: { type: 'boolean' },
  publishedAt: dateTime,
  publishedBy: { type: 'string' },
});

const count: JsonSchema = { type: 'integer', minimum: 0 };

/** A campaign (CampaignRecord). */
const campaignRecord: JsonSchema = object({
  campaignId: { type: 'string' },
  model: { type: 'string' },
  version: { type: 'string' },
  target: object({ path: { type: 'string' }, securityCounter: { type: 'integer' }, length: { type: 'integer' }, sha256: SHA256 }),
  status: { type: 'string', enum: [...CAMPAIGN_STATUSES] },
  stages: { type: 'array', items: { type: 'integer' } },
  stage: { type: 'integer' },
  failureThresholdPercent: { type: 'integer' },
  minFailureSample: { type: 'integer' },
  pauseReason: nullableString,
  createdBy: { type: 'string' },
  createdAt: dateTime,
  approvedBy: nullableString,
  approvedAt: nullableString,
  updatedAt: dateTime,
  endedAt: nullableString,
  progress: object({
    cohort: count,
    eligible: count,
    byStatus: object(Object.fromEntries(DEVICE_UPDATE_STATUSES.map((status) => [status, count]))),
    stageFinished: count,
    stageFailed: count,
  }),
});

/** One device of a campaign (CampaignDeviceRecord). */
const campaignDevice: JsonSchema = object({
  deviceId: { type: 'string' },
  eligible: { type: 'boolean' },
  status: { type: 'string', enum: [...DEVICE_UPDATE_STATUSES] },
  stage: { type: ['integer', 'null'] },
  progress: { type: 'integer' },
  errorCode: nullableString,
  updatedAt: nullableString,
  finishedAt: nullableString,
});

/** A campaign decision: the campaign after it. */
const decision = (url: string, permission: 'firmware.campaign-approve' | 'firmware.campaign-stop', summary: string, stepUp: boolean) =>
  defineRoute({
    method: 'POST',
    url,
    permission,
    tag: 'firmware',
    summary,
    schema: { params: campaignIdParams, ...(stepUp ? { body: stepUpBody } : {}), response: { 200: campaignRecord } },
  });

/** The firmware routes. */
export const firmwareRoutes = {
  releases: defineRoute({
    method: 'GET',
    url: '/v1/firmware/releases',
    permission: 'firmware.read',
    tag: 'firmware',
    summary: 'Published images (newest version first per model) and TUF metadata files.',
    schema: {
      querystring: object({ model: MODEL }, []),
      response: { 200: object({ targets: { type: 'array', items: targetRecord }, metadata: { type: 'array', items: metadataRecord } }) },
    },
  }),
  publish: defineRoute({
    method: 'POST',
    url: '/v1/firmware/releases',
    permission: 'firmware.publish',
    tag: 'firmware',
    summary: 'Publish a release signed offline: TUF metadata by name and images by hash-prefixed path, each base64-encoded.',
    description:
      'metadata: `N.root.json`, `N.targets.json`, `N.snapshot.json`, `timestamp.json`; targets: `<model>/<sha256>.<name>.bin`. Every image must parse ' +
      'as a medsim image of its directory\'s model with the SHA-256 of its name; at most firmware.maxImageBytes per image, the python-tuf caps per ' +
      'metadata role, firmware.maxBundleBytes per request. Published files never change: the same bytes again change nothing (201), other bytes under ' +
      'a published name are 409 ERR_FIRMWARE_CONFLICT. Audited per file (firmware.publish).',
    schema: {
      body: object({ metadata: files(BUNDLE_LIMITS.metadataFiles, base64Up(METADATA_MAX_BYTES.targets)), targets: files(BUNDLE_LIMITS.targetFiles, MAX_IMAGE_BASE64) }),
      response: { 201: object({ metadata: { type: 'array', items: metadataRecord }, targets: { type: 'array', items: targetRecord } }) },
    },
  }),
  campaigns: defineRoute({
    method: 'GET',
    url: '/v1/firmware/campaigns',
    permission: 'firmware.read',
    tag: 'firmware',
    summary: 'Rollout campaigns, newest first, with their progress.',
    schema: { querystring: object({ limit: limitQuery }, []), response: { 200: object({ campaigns: { type: 'array', items: campaignRecord } }) } },
  }),
  create: defineRoute({
    method: 'POST',
    url: '/v1/firmware/campaigns',
    permission: 'firmware.campaign-create',
    tag: 'firmware',
    summary: 'Create a rollout campaign for a published release and a cohort; it waits for an admin\'s approval.',
    description:
      'Cohort: every enrolled device of the model, or `devices` (enrolled devices of the model). stages: increasing percentages ending at 100 ' +
      '(default 10, 50, 100); failureThresholdPercent and minFailureSample default from the configuration. 400 ERR_CAMPAIGN_INVALID names the ' +
      'field; 409 ERR_CAMPAIGN_OVERLAP names a device already in an unfinished campaign.',
    schema: {
      body: object(
        {
          model: MODEL,
          version: VERSION,
          devices: { type: 'array', minItems: 1, maxItems: 10_000, uniqueItems: true, items: deviceId },
          stages: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'integer', minimum: 1, maximum: 100 } },
          failureThresholdPercent: { type: 'integer', minimum: 0, maximum: 100 },
          minFailureSample: { type: 'integer', minimum: 1, maximum: 10_000 },
        },
        ['model', 'version'],
      ),
      response: { 201: campaignRecord },
    },
  }),
  get: defineRoute({
    method: 'GET',
    url: '/v1/firmware/campaigns/:campaignId',
    permission: 'firmware.read',
    tag: 'firmware',
    summary: 'One rollout campaign and its progress.',
    schema: { params: campaignIdParams, response: { 200: campaignRecord } },
  }),
  devices: defineRoute({
    method: 'GET',
    url: '/v1/firmware/campaigns/:campaignId/devices',
    permission: 'firmware.read',
    tag: 'firmware',
    summary: 'Each device of a campaign, in rollout order: whether the current stage includes it, its update status, progress and error code.',
    schema: { params: campaignIdParams, response: { 200: object({ devices: { type: 'array', items: campaignDevice } }) } },
  }),
  approve: decision(
    '/v1/firmware/campaigns/:campaignId/approve',
    'firmware.campaign-approve',
    'Approve a campaign (two-person rule: not its creator; fresh TOTP code); it runs from its first stage.',
    true,
  ),
  pause: decision('/v1/firmware/campaigns/:campaignId/pause', 'firmware.campaign-stop', 'Pause a running campaign: no new update instructions until resumed.', false),
  resume: decision('/v1/firmware/campaigns/:campaignId/resume', 'firmware.campaign-approve', 'Resume a paused campaign (fresh TOTP code); a new failure window opens.', true),
  advance: decision(
    '/v1/firmware/campaigns/:campaignId/advance',
    'firmware.campaign-approve',
    'Move a running campaign to its next stage before every device of this one has finished (fresh TOTP code).',
    true,
  ),
  abort: decision('/v1/firmware/campaigns/:campaignId/abort', 'firmware.campaign-stop', 'Abort a campaign that has not ended: no new update instructions, for good.', false),
};

/** Decodes base64 file contents; ERR_BAD_REQUEST names the file of a malformed one. */
function decodeFiles(encoded: Readonly<Record<string, string>>, field: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(encoded)) {
    const bytes = Buffer.from(text, 'base64');
    // Node skips characters outside the alphabet and stops at inner padding: either shortens the result.
    const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
    if (text.length % 4 !== 0 || bytes.length !== (text.length / 4) * 3 - padding) {
      throw new GatewayError('ERR_BAD_REQUEST', `${field}: a file is not base64`, { details: { field, name: name.slice(0, 200) } });
    }
    out[name] = bytes;
  }
  return out;
}

/** Registers the firmware routes; without a firmware service they answer 503 ERR_UNAVAILABLE after the role check. */
export function registerFirmwareRoutes(app: FastifyInstance, s: UserPlaneServices, firmware: FirmwareService | undefined): void {
  const service = (): FirmwareService => {
    if (firmware === undefined) throw new GatewayError('ERR_UNAVAILABLE', 'firmware updates are not set up on this server');
    return firmware;
  };
  const by = (request: FastifyRequest): { actor: string; role: string; source: string } => {
    const principal = principalOf(request);
    return { actor: principal.userId, role: principal.role, source: request.ip };
  };

  register<{ Querystring: { model?: string } }>(app, firmwareRoutes.releases, (request) => ({
    targets: service().store.listTargets(request.query.model),
    metadata: service().store.listMetadata(),
  }));

  // A bundle carries images: its own body limit, not http.bodyLimitBytes.
  const publish: Handler<{ Body: { metadata: Record<string, string>; targets: Record<string, string> } }> = async (request, reply) => {
    const bundle = { metadata: decodeFiles(request.body.metadata, 'metadata'), targets: decodeFiles(request.body.targets, 'targets') };
    return reply.code(201).send(await service().store.publish(bundle, by(request)));
  };
  const spec = firmwareRoutes.publish;
  app.route({
    method: spec.method,
    url: spec.url,
    schema: spec.schema,
    bodyLimit: s.ctx.config['firmware.maxBundleBytes'],
    config: { permission: spec.permission, credentialLimit: false },
    handler: publish,
  });

  register<{ Querystring: { limit?: string } }>(app, firmwareRoutes.campaigns, (request) => ({ campaigns: service().campaigns.list(Number(request.query.limit ?? 1000)) }));

  register<{ Body: CampaignInput }>(app, firmwareRoutes.create, async (request, reply) =>
    reply.code(201).send(service().campaigns.create(principalOf(request), request.body, request.ip)),
  );

  register<{ Params: { campaignId: string } }>(app, firmwareRoutes.get, (request) => service().campaigns.get(request.params.campaignId));

  register<{ Params: { campaignId: string } }>(app, firmwareRoutes.devices, (request) => ({ devices: service().campaigns.devices(request.params.campaignId) }));

  type Decision = { Params: { campaignId: string }; Body: { totpCode?: string } | undefined };
  register<Decision>(app, firmwareRoutes.approve, (request) => service().campaigns.approve(principalOf(request), request.params.campaignId, request.body?.totpCode, request.ip));
  register<Decision>(app, firmwareRoutes.pause, (request) => service().campaigns.pause(principalOf(request), request.params.campaignId, request.ip));
  register<Decision>(app, firmwareRoutes.resume, (request) => service().campaigns.resume(principalOf(request), request.params.campaignId, request.body?.totpCode, request.ip));
  register<Decision>(app, firmwareRoutes.advance, (request) => service().campaigns.advance(principalOf(request), request.params.campaignId, request.body?.totpCode, request.ip));
  register<Decision>(app, firmwareRoutes.abort, (request) => service().campaigns.abort(principalOf(request), request.params.campaignId, request.ip));
}
