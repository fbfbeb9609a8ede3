/**
 * The two systems the gateway benchmark drives with the same load: the medsim gateway (mTLS,
 * HPKE session, envelope decrypt, validation, durable commit before PUBACK, fan-out to a
 * WebSocket subscriber) and Mosquitto as a plain relay (the same number of clients, the same
 * payload size, QoS 1, one subscriber).
 */
import { DeviceClient, type DeviceCredentials, pulseOximeterReading } from '@medsim/testkit';
import { deviceTopic } from '@medsim/protocol';
import type { SecureSession } from '@medsim/crypto';
import { LeanMqttClient } from './lean-client.js';
import { MOSQUITTO, TOPIC_ROOT } from './keys.js';
import type { Publisher } from './load.js';

/** Readings' measurement times start here; each device counts up 1 ms per reading. */
const BASE_MS = Date.UTC(2026, 0, 1);

/** A benchmark device: its lean connection and the session its handshake opened. */
export interface GatewayDevice {
  readonly deviceId: string;
  readonly client: LeanMqttClient;
  readonly session: SecureSession;
}

/** A gateway device as a benchmark publisher: key = device id and measurement time. */
export function gatewayPublisher(device: GatewayDevice): Publisher {
  let seq = 0;
  const id = device.deviceId;
  const topic = deviceTopic(id, 'telemetry');
  return {
    id,
    async send(onKey) {
      const measuredAtMs = BASE_MS + seq;
      seq += 1;
      const key = `${id}|${measuredAtMs}`;
      const bytes = DeviceClient.sealReadingWith(device.session, { ...pulseOximeterReading(seq), measuredAtMs });
      onKey(key);
      await device.client.publish(topic, bytes);
      return key;
    },
  };
}


/**
 * Connects gateway devices (credentials already enrolled): the handshake with the testkit's
 * full client, then the readings over a lean connection of the same identity (the session
 * outlives the MQTT connection it was opened on).
 */
export async function connectGatewayFleet(fleet: readonly DeviceCredentials[], mqttPort: number): Promise<GatewayDevice[]> {
  const devices: GatewayDevice[] = [];
  // A few at a time: a TLS handshake and an HPKE handshake each cost the gateway real work.
  for (let i = 0; i < fleet.length; i += 50) {
    const batch = await Promise.all(
      fleet.slice(i, i + 50).map(async (credentials) => {
        const full = await DeviceClient.connect(credentials, { host: '127.0.0.1', port: mqttPort, timeoutMs: 30_000 });
        const session = await full.openSession();
        await full.close();
        const { enrolment } = credentials;
        // The gateway allows one live connection per identity: retry until the old one is gone.
        for (let attempt = 0; ; attempt += 1) {
          try {
            const client = await LeanMqttClient.connect({
              host: '127.0.0.1',
              port: mqttPort,
              clientId: credentials.deviceId,
              tls: { key: credentials.tlsKeyPem, cert: enrolment.certificatePem, ca: enrolment.caCertificatePem },
            });
            return { deviceId: credentials.deviceId, client, session };
          } catch (error) {
            if (attempt >= 20) throw error;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      }),
    );
    devices.push(...batch);
  }
  return devices;
}


/** A Mosquitto client publishing payloads of `size` bytes: key = client id and sequence. */
export function mosquittoPublisher(client: LeanMqttClient, id: string, size: number): Publisher {
  let seq = 0;
  const payload = Buffer.alloc(Math.max(size, 8));
  return {
    id,
    async send(onKey) {
      seq += 1;
      payload.writeDoubleBE(seq, 0);
      const key = `${id}|${seq}`;
      onKey(key);
      await client.publish(`${TOPIC_ROOT}/${id}`, payload);
      return key;
    },
  };
}


function connectMqtt(clientId: string): Promise<LeanMqttClient> {
  return LeanMqttClient.connect({ host: MOSQUITTO.host, port: MOSQUITTO.port, clientId });
}

/** True when a Mosquitto answers on 127.0.0.1:1883. */
export async function mosquittoAvailable(): Promise<boolean> {
  try {
    const client = await connectMqtt(`medsim-bench-probe-${process.pid}`);
    await client.close();
    return true;
  } catch {
    return false;
  }
}

/** Connects `count` Mosquitto publishers. */
export async function connectMosquittoFleet(count: number, size: number): Promise<{ publishers: Publisher[]; close: () => Promise<void> }> {
  const clients: LeanMqttClient[] = [];
  for (let i = 0; i < count; i += 100) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, k) => connectMqtt(`medsim-bench-${process.pid}-${i + k}`)))));
  }
  return {
    publishers: clients.map((client, i) => mosquittoPublisher(client, `d${i}`, size)),
    close: async () => {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}
