/**
 * The gateway under benchmark, in its own worker thread (its own event loop, its own core):
 * a fresh data directory, both listeners on port 0, a clinician with every bench patient on
 * their care team, and devices enrolled on request.
 */
import { createGateway, loadConfig, UserStore, generatePassword, type Gateway } from '@medsim/gateway';
import { createLogger } from '@medsim/logging';
import type { EnrolmentRequest } from '@medsim/testkit';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';

/** Messages to the worker. */
export type GatewayWorkerRequest =
  | { readonly type: 'enrol'; readonly devices: readonly Omit<EnrolmentRequest, 'token'>[]; readonly patients: number }
  | { readonly type: 'counters' }
  | { readonly type: 'stop' };

/** What the worker reports when listening. */
export interface GatewayWorkerReady {
  readonly type: 'ready';
  readonly mqttPort: number;
  readonly httpPort: number;
  readonly caPem: string;
  readonly clinician: { readonly username: string; readonly password: string };
}

const port = parentPort!;
const dataDir = mkdtempSync(join(tmpdir(), 'medsim-bench-gw-'));
const config = loadConfig({
  overrides: {
    dataDir,
    'mqtt.port': 0,
    'http.port': 0,
    'firmware.port': 0,
    'log.level': 'silent',
    'auth.scryptCost': 2 ** 14,
    // The benchmark's load comes from one address.
    'mqtt.maxConnectionsPerAddress': 5_000,
    'http.requestsPerMinute': 100_000,
  },
});
// The benchmark's subscriber is a back-end consumer following every device, not a browser:
// it gets a larger send buffer than the 1 MiB default before the gateway drops it as too slow.
const gateway: Gateway = await createGateway({ config, logger: createLogger({ level: 'silent' }), userPlane: { stream: { maxBufferedBytes: 64 * 1024 * 1024 } } });
const addresses = await gateway.listen();
const users = new UserStore({
  db: gateway.context.db,
  dataKey: gateway.context.dataKey,
  now: gateway.context.now,
  scryptCost: config['auth.scryptCost'],
  mfaForClinicians: false,
});
const clinician = { username: 'bench-clinician', password: generatePassword() };
const clinicianId = (await users.createUser({ ...clinician, role: 'clinician' })).id;

port.on('message', (message: GatewayWorkerRequest) => {
  void (async () => {
    if (message.type === 'enrol') {
      const patients = Array.from({ length: message.patients }, (_, i) => users.createPatient(`Bench patient ${i}`).id);
      for (const patientId of patients) users.assignCareTeam(clinicianId, patientId, 'bench');
      const answers = [];
      for (const [i, device] of message.devices.entries()) {
        const { token } = gateway.context.devices.createEnrolmentToken({ deviceId: device.deviceId, model: 'pulse-oximeter', patientId: patients[i % patients.length]!, createdBy: 'bench' });
        answers.push(await gateway.context.devices.enrol({ ...device, token, source: 'bench' }));
      }
      port.postMessage({ type: 'enrolled', answers, patients });
    } else if (message.type === 'counters') {
      const wal = `${gateway.state.dataDir.file('gateway.db')}-wal`;
      port.postMessage({ type: 'counters', counters: { ...gateway.ingest.counters, walBytes: existsSync(wal) ? statSync(wal).size : 0 } });
    } else {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
      port.postMessage({ type: 'stopped' });
    }
  })();
});

port.postMessage({
  type: 'ready',
  mqttPort: addresses.mqttPort,
  httpPort: addresses.httpPort,
  caPem: gateway.context.tls.caPem,
  clinician,
} satisfies GatewayWorkerReady);
