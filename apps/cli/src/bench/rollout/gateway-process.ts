/**
 * The gateway of the rollout benchmark, in a child process (forked with an IPC channel): a fresh
 * temp data directory, every listener on 127.0.0.1 port 0, and two operators (a technician who
 * publishes and creates the campaign, an admin who approves it), created here with generated
 * passwords and TOTP secrets and handed to the parent, which acts as them over the HTTPS API.
 *
 * A process, not in the benchmark's process: the gateway's work (TLS, file serving, a signed
 * instruction per device, a committed report and audit entry per state change) runs on the
 * machine's other core, beside the devices, as it would on its own host; and the process's CPU
 * clock is the gateway's alone.
 *
 * The parent also needs the gateway's online TUF keys (the release's root lists them as the
 * snapshot and timestamp keys): `ready` carries their public halves, never the private ones.
 * Devices enrol through the registry with their own CSR and identity (`enrol`); `campaign` and
 * `campaign-devices` read a campaign's stage and per-device record, `sample` the process's CPU.
 */
import { createGateway, generatePassword, loadConfig, type CampaignStatus, type DeviceUpdateStatus, type Gateway } from '@medsim/gateway';
import { createLogger } from '@medsim/logging';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceEnrolment, Provisioner } from '@medsim/devices';

/** A device's enrolment request, as the Provisioner receives it. */
export type EnrolmentRequest = Parameters<Provisioner>[0];

/** One operator account: shown to the parent once, as `medsim admin create` shows it. */
export interface OperatorAccount {
  readonly username: string;
  readonly password: string;
  /** otpauth:// URI of the account's TOTP secret. */
  readonly totpUri: string;
}

/** What the parent needs to act on the gateway. */
export interface RolloutGatewayInfo {
  readonly httpPort: number;
  readonly firmwarePort: number;
  /** The gateway CA (PEM): the trust anchor of its HTTPS API. */
  readonly caPem: string;
  /** Raw Ed25519 public keys (hex) of the gateway's online snapshot and timestamp keys. */
  readonly onlineKeys: { readonly snapshot: string; readonly timestamp: string };
  readonly technician: OperatorAccount;
  readonly admin: OperatorAccount;
}

/** A campaign's position. */
export interface CampaignView {
  readonly status: CampaignStatus;
  /** Index of the current stage. */
  readonly stage: number;
}

/** One device of a campaign as the gateway recorded it. */
export interface CampaignDeviceView {
  readonly deviceId: string;
  readonly status: DeviceUpdateStatus;
  /** The stage in which it was first offered the update (null: never offered). */
  readonly stage: number | null;
}

/** Messages to the gateway process. */
export type RolloutGatewayRequest =
  | { readonly type: 'enrol'; readonly id: number; readonly request: EnrolmentRequest }
  | { readonly type: 'campaign'; readonly id: number; readonly campaignId: string }
  | { readonly type: 'campaign-devices'; readonly id: number; readonly campaignId: string }
  | { readonly type: 'sample'; readonly id: number }
  | { readonly type: 'stop' };

/** Messages from the gateway process (an answer has its request's type and id). */
export type RolloutGatewayReply =
  | { readonly type: 'ready'; readonly info: RolloutGatewayInfo }
  | { readonly type: 'enrol'; readonly id: number; readonly answer: DeviceEnrolment }
  | { readonly type: 'campaign'; readonly id: number; readonly campaign: CampaignView }
  | { readonly type: 'campaign-devices'; readonly id: number; readonly devices: readonly CampaignDeviceView[] }
  | { readonly type: 'sample'; readonly id: number; readonly cpuSeconds: number; readonly rssBytes: number }
  | { readonly type: 'failed'; readonly id: number; readonly message: string }
  | { readonly type: 'stopped' };

const send = (reply: RolloutGatewayReply): void => {
  process.send?.(reply);
};

const dataDir = mkdtempSync(join(tmpdir(), 'medsim-bench-rollout-gw-'));
const config = loadConfig({
  overrides: {
    dataDir,
    'mqtt.port': 0,
    'http.port': 0,
    'firmware.port': 0,
    'log.level': 'silent',
    // Every simulated device connects from 127.0.0.1 (each holds at most its cap of four).
    'firmware.maxConnections': 100_000,
  },
});
const gateway: Gateway = await createGateway({ config, logger: createLogger({ level: 'silent' }) });
const addresses = await gateway.listen();

async function operator(username: string, role: 'technician' | 'admin'): Promise<OperatorAccount> {
  const password = generatePassword();
  const { id, totpUri } = await gateway.users.createUser({ username, role, password });
  gateway.context.audit.record({ event: 'user.create', outcome: 'success', severity: 'medium', actor: 'system', object: id, role });
  // Technicians and admins always get a TOTP secret (CTL-02).
  return { username, password, totpUri: totpUri! };
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
}

async function answer(message: Exclude<RolloutGatewayRequest, { type: 'stop' }>): Promise<RolloutGatewayReply> {
  const { campaigns } = gateway.firmware;
  switch (message.type) {
    case 'enrol': {
      const { deviceId, model, csrPem, identity } = message.request;
      const { token } = gateway.context.devices.createEnrolmentToken({ deviceId, model, patientId: null, createdBy: 'bench' });
      return { type: 'enrol', id: message.id, answer: await gateway.context.devices.enrol({ token, deviceId, csrPem, identity, source: '127.0.0.1' }) };
    }
    case 'campaign': {
      const { status, stage } = campaigns.get(message.campaignId);
      return { type: 'campaign', id: message.id, campaign: { status, stage } };
    }
    case 'campaign-devices':
      return { type: 'campaign-devices', id: message.id, devices: campaigns.devices(message.campaignId).map(({ deviceId, status, stage }) => ({ deviceId, status, stage })) };
    case 'sample': {
      const cpu = process.cpuUsage();
      return { type: 'sample', id: message.id, cpuSeconds: (cpu.user + cpu.system) / 1e6, rssBytes: process.memoryUsage().rss };
    }
  }
}

process.on('message', (message: RolloutGatewayRequest) => {
  if (message.type === 'stop') {
    // The parent disconnects after 'stopped'; that ends this process (below).
    void stop().then(() => send({ type: 'stopped' }));
    return;
  }
  answer(message).then(send, (error: unknown) => send({ type: 'failed', id: message.id, message: (error as Error).message }));
});
// The parent went away without saying stop (killed, crashed): do not linger holding ports.
process.once('disconnect', () => void stop().then(() => process.exit(0)));

const online = gateway.state.onlineKeys;
send({
  type: 'ready',
  info: {
    httpPort: addresses.httpPort,
    firmwarePort: addresses.firmwarePort,
    caPem: gateway.context.tls.caPem,
    onlineKeys: { snapshot: online.snapshot.publicKey.keyVal['public'] ?? '', timestamp: online.timestamp.publicKey.keyVal['public'] ?? '' },
    technician: await operator('tech.rollout', 'technician'),
    admin: await operator('admin.rollout', 'admin'),
  },
});
