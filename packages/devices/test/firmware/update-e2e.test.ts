/**
 * Issue 5 end to end: a release signed offline (TUF root 2 of 3 and targets keys, an image-signing
 * key) is published to a real gateway, which adds snapshot and timestamp with its online keys; a
 * technician creates a campaign per model and a different admin approves it with a fresh TOTP code;
 * simulated ultrasounds and an insulin pump fetch their director instructions, metadata and images
 * over the gateway's mutual-TLS update endpoint, install into their inactive slots, trial-boot,
 * and confirm or revert. The pump keeps delivering basal insulin throughout; an ultrasound whose
 * hardware self-test fails under the new firmware reverts; the ultrasound campaign pauses past its
 * failure threshold. Real gateway, real TLS, real database, real crypto, real files.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '@medsim/gateway';
import { ImageKeyring, ImageSigningKey, TufSigningKey, buildImage, createRoot, signTargets } from '@medsim/firmware';
import { type TOTP, URI } from 'otpauth';
import { InsulinPump, MqttLink, PATIENT_PROFILES, Patient, Ultrasound, type LinkFactory, type SimulatedDevice } from '../../src/index.js';
import { api } from '../helpers/clinician.js';
import { eventually, registryProvisioner, startGateway, tempDir } from '../helpers/gateway-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const MINUTE = 60_000;
const BUILD_TIME = Date.UTC(2026, 10, 1);

/** The release side: TUF root (2 of 3) and targets keys, and the image-signing key. */
function releaseKeys(): { root: TufSigningKey[]; targets: TufSigningKey; image: ImageSigningKey } {
  return { root: [TufSigningKey.generate(), TufSigningKey.generate(), TufSigningKey.generate()], targets: TufSigningKey.generate(), image: ImageSigningKey.generate() };
}

/** A user with TOTP, logged in over HTTPS (both factors). */
async function login(gateway: Gateway, role: 'technician' | 'admin', username: string, freshCode: (totp: TOTP) => string): Promise<{ token: string; totp: TOTP }> {
  const password = `Correct-horse-${role}-battery-staple`;
  const created = await gateway.users.createUser({ username, role, password });
  const totp = URI.parse(created.totpUri!) as TOTP;
  const first = await api(gateway, 'POST', '/v1/session/login', { username, password });
  const second = await api(gateway, 'POST', '/v1/session/mfa', { challenge: first.body['challenge'], code: freshCode(totp) });
  if (second.status !== 200) throw new Error(`login ${username}: ${second.status} ${JSON.stringify(second.body)}`);
  return { token: second.body['accessToken'] as string, totp };
}

describe('a firmware campaign through the gateway', () => {
  it(
    '[CTL-12][CTL-13] updates ultrasounds and a pump while the pump keeps delivering basal; a device failing its self-test reverts; the campaign pauses past its threshold',
    { tags: ['CTL-12', 'CTL-13'], timeout: 120_000 },
    async () => {
      // One clock for the gateway and the devices; it moves on for each TOTP code and to let basal run.
      let offsetMs = 0;
      const now = (): number => Date.now() + offsetMs;
      const freshCode = (totp: TOTP): string => {
        offsetMs += 30_000;
        return totp.generate({ timestamp: now() });
      };
      const gateway = await startGateway({ now, overrides: { 'http.requestsPerMinute': 100_000, 'auth.loginsPerMinute': 1000, 'auth.accessTokenTtlS': 3600, 'auth.idleTimeoutS': 3600 } });
      cleanups.push(() => gateway.close());

      // Release ceremony: the root lists the gateway's online snapshot and timestamp keys.
      const keys = releaseKeys();
      const online = gateway.state.onlineKeys;
      const root = createRoot(
        {
          root: { keys: keys.root.map((k) => k.publicKey), threshold: 2 },
          targets: { keys: [keys.targets.publicKey], threshold: 1 },
          snapshot: { keys: [online.snapshot.publicKey], threshold: 1 },
          timestamp: { keys: [online.timestamp.publicKey], threshold: 1 },
        },
        keys.root.slice(0, 2),
      );
      const image = (model: string, version: string, securityCounter: number): Uint8Array => buildImage({ model, version, securityCounter, buildTimeMs: BUILD_TIME, payloadSize: 16 * 1024 }, keys.image);
      const factory = { ultrasound: image('ultrasound', '7.2.0', 1), 'insulin-pump': image('insulin-pump', '3.5.1', 1) };
      const releases = [
        { model: 'ultrasound', version: '7.3.0', securityCounter: 2, image: image('ultrasound', '7.3.0', 2) },
        { model: 'insulin-pump', version: '3.6.0', securityCounter: 2, image: image('insulin-pump', '3.6.0', 2) },
      ];
      const { targetsJson, targetFiles } = signTargets({ root, add: releases, signers: [keys.targets] });

      const technician = await login(gateway, 'technician', 'tech.park', freshCode);
      const admin = await login(gateway, 'admin', 'admin.cho', freshCode);
      const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
      const published = await api(
        gateway,
        'POST',
        '/v1/firmware/releases',
        {
          metadata: { '1.root.json': b64(root), '1.targets.json': b64(targetsJson) },
          targets: Object.fromEntries([...targetFiles].map(([path, bytes]) => [path.replace(/^targets\//, ''), b64(bytes)])),
        },
        technician.token,
      );
      expect(published.status).toBe(201);
      // The gateway added snapshot and timestamp, signed with its online keys.
      expect((published.body['metadata'] as { name: string }[]).map((m) => m.name).sort()).toEqual(['1.root.json', '1.snapshot.json', '1.targets.json', 'timestamp.json']);

      // The fleet: three ultrasounds (one with a failing transducer) and a pump, each with its bootloader.
      const keyring = new ImageKeyring([keys.image.publicKey]);
      const patientId = gateway.users.createPatient('Min-ji Han').id;
      const devices: SimulatedDevice[] = [];
      const firmwareOf = (model: keyof typeof factory) => ({ keyring, factoryImage: factory[model], trustedRoot: root, endpoint: { host: '127.0.0.1', port: gateway.addresses.firmwarePort }, checkIntervalMs: 0, slotBytes: 256 * 1024 });
      const link: LinkFactory = (ctx) => new MqttLink({ deviceId: ctx.deviceId, host: '127.0.0.1', port: gateway.addresses.mqttPort, secureContext: ctx.keystore.tlsSecureContext(ctx.enrolment) });
      const common = (deviceId: string, seed: number) => {
        const dir = tempDir();
        cleanups.push(dir.cleanup);
        return {
          deviceId,
          dataDir: dir.path,
          seed,
          now,
          patient: new Patient({ profile: PATIENT_PROFILES['type-1-diabetes'], seed, startMs: now() }),
          provisioner: registryProvisioner(gateway, patientId),
          link,
          backoff: { baseMs: 50, maxMs: 500 },
        };
      };
      const ultrasounds = [1, 2, 3].map((n) => new Ultrasound({ ...common(`us-e2e-${n}`, n), firmware: firmwareOf('ultrasound') }));
      ultrasounds[2]!.selfTest.injectFaults({ deadElements: 6 });
      const pump = new InsulinPump({ ...common('pump-e2e-1', 7), firmware: firmwareOf('insulin-pump') });
      devices.push(...ultrasounds, pump);
      for (const device of devices) {
        device.on('error', () => undefined);
        cleanups.push(() => device.powerOff());
        await device.powerOn();
      }
      await eventually(() => devices.every((d) => d.state === 'online'), 30_000, 'every device online');
      expect(devices.map((d) => d.firmwareVersion)).toEqual(['7.2.0', '7.2.0', '7.2.0', '3.5.1']);

      // Campaigns: the technician creates, a different admin approves with a fresh code.
      const campaign = async (model: string, version: string): Promise<string> => {
        const created = await api(gateway, 'POST', '/v1/firmware/campaigns', { model, version, stages: [100], failureThresholdPercent: 20, minFailureSample: 3 }, technician.token);
        expect(created.status).toBe(201);
        const id = created.body['campaignId'] as string;
        const approved = await api(gateway, 'POST', `/v1/firmware/campaigns/${id}/approve`, { totpCode: freshCode(admin.totp) }, admin.token);
        expect(approved.status).toBe(200);
        return id;
      };
      const ultrasoundCampaign = await campaign('ultrasound', '7.3.0');
      const pumpCampaign = await campaign('insulin-pump', '3.6.0');

      // Basal runs before, during and after the update (1-minute delivery steps on the shared clock).
      const basalFrom = now();
      offsetMs += 5 * MINUTE;
      const outcomes = await Promise.all(devices.map((d) => d.checkForUpdate()));
      expect(outcomes.map((o) => o.kind)).toEqual(['installed', 'installed', 'installed', 'installed']);
      await eventually(() => devices.every((d) => d.state !== 'off' && d.state !== 'booting'), 30_000, 'every device back up');
      offsetMs += 5 * MINUTE;
      await eventually(() => ultrasounds[2]!.firmwareVersion === '7.2.0' && ultrasounds[2]!.state !== 'off', 30_000, 'the faulty ultrasound back on its old image');

      expect(ultrasounds.map((d) => [d.firmwareVersion, d.securityCounter])).toEqual([
        ['7.3.0', 2],
        ['7.3.0', 2],
        ['7.2.0', 1],
      ]);
      expect([pump.firmwareVersion, pump.securityCounter]).toEqual(['3.6.0', 2]);

      // The pump delivered basal in every minute step from before the update to after it, never suspended.
      const snapshot = pump.snapshot();
      pump.pump.advanceTo(now());
      const steps = pump.snapshot().deliveries.filter((d) => d.atMs > basalFrom && d.atMs <= now());
      expect(steps.length).toBeGreaterThanOrEqual(9);
      for (let i = 1; i < steps.length; i += 1) expect(steps[i]!.atMs - steps[i - 1]!.atMs).toBe(MINUTE);
      expect(steps.every((s) => s.basalMilliunits > 0)).toBe(true);
      expect(snapshot.suspended).toBe(false);

      // The gateway's view: per-device statuses; the ultrasound campaign paused at 1 failure in 3.
      await eventually(async () => (await api(gateway, 'GET', `/v1/firmware/campaigns/${ultrasoundCampaign}`, undefined, technician.token)).body['status'] === 'paused', 20_000, 'the ultrasound campaign paused');
      const statuses = async (id: string): Promise<Record<string, string>> => {
        const answer = await api(gateway, 'GET', `/v1/firmware/campaigns/${id}/devices`, undefined, technician.token);
        return Object.fromEntries((answer.body['devices'] as { deviceId: string; status: string }[]).map((d) => [d.deviceId, d.status]));
      };
      expect(await statuses(ultrasoundCampaign)).toEqual({ 'us-e2e-1': 'confirmed', 'us-e2e-2': 'confirmed', 'us-e2e-3': 'reverted' });
      const record = (await api(gateway, 'GET', `/v1/firmware/campaigns/${ultrasoundCampaign}`, undefined, technician.token)).body;
      expect(record['pauseReason']).toBe('ERR_CAMPAIGN_FAILURE_THRESHOLD');
      const reverted = (await api(gateway, 'GET', `/v1/firmware/campaigns/${ultrasoundCampaign}/devices`, undefined, technician.token)).body['devices'] as { deviceId: string; errorCode: string | null }[];
      expect(reverted.find((d) => d.deviceId === 'us-e2e-3')?.errorCode).toBe('ERR_UPDATE_HEALTH_CHECK_FAILED');
      expect(await statuses(pumpCampaign)).toEqual({ 'pump-e2e-1': 'confirmed' });
      expect((await api(gateway, 'GET', `/v1/firmware/campaigns/${pumpCampaign}`, undefined, technician.token)).body['status']).toBe('completed');
      const audited = gateway.context.db.prepare("SELECT count(*) AS n FROM audit_log WHERE event LIKE 'firmware.%'").get() as { n: number };
      expect(audited.n).toBeGreaterThan(10);
    },
  );
});
