/**
 * The shared conformance suite (issue 4; MQTT.js's abstract_client pattern): the same checks run
 * against every device model on every transport it supports, against one real gateway (MQTT over
 * mTLS, and BLE through the gateway's noble central on the virtual radio):
 *  - first boot enrols with a CSR from the keystore; a power cycle keeps the identity (no re-enrolment);
 *  - a session opens; everything the device produced is stored exactly once, in the channel its
 *    content type belongs to, and decodes and validates;
 *  - the device reports its status (model, firmware version) and its flash queue drains;
 *  - on BLE, nothing the gateway stored appears on the air.
 */
import { VirtualRadio, createNoble } from '@medsim/ble-radio';
import type { Gateway } from '@medsim/gateway';
import { ContentType, decodePayload } from '@medsim/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BleLink, DEVICE_CLASSES, DEVICE_MODEL_INFO, DEVICE_MODELS, MODEL_TRANSPORTS, MqttLink, PATIENT_PROFILES, Patient, type DeviceModelName, type LinkFactory, type SimulatedDevice } from '../../src/index.js';
import { eventually, registryProvisioner, startGateway, tempDir } from '../helpers/gateway-harness.js';

/** Content types each channel carries (the gateway's CHANNEL_CONTENT). */
const STATUS_TYPES = new Set([ContentType.CONTENT_TYPE_DEVICE_STATUS, ContentType.CONTENT_TYPE_ALARM]);

/** Cycles shortened to about 50 ms whatever the model's period. */
const fastCycle = (model: DeviceModelName): number => 50 / DEVICE_MODEL_INFO[model].cycleMs;

let radio: VirtualRadio;
let gateway: Gateway;
const dir = tempDir('medsim-conformance-');

beforeAll(async () => {
  radio = new VirtualRadio({ seed: 77 });
  gateway = await startGateway({ ble: { noble: createNoble(radio) } });
});

afterAll(async () => {
  await gateway.close();
  radio.close();
  dir.cleanup();
});

const cases = DEVICE_MODELS.flatMap((model) => MODEL_TRANSPORTS[model].map((transport) => ({ model, transport })));

describe.each(cases)('$model over $transport', ({ model, transport }) => {
  it('[CTL-05][CTL-07] enrols, streams everything exactly once on the right channels, reports status, keeps its identity across a power cycle', { tags: ['CTL-05', 'CTL-07'] }, async () => {
    const deviceId = `${model.replace(/[^a-z]/g, '').slice(0, 12)}-${transport}`;
    const patient = new Patient({ profile: model === 'insulin-pump' || model === 'glucose-meter' ? PATIENT_PROFILES['type-1-diabetes'] : PATIENT_PROFILES['healthy-adult'], seed: 1, startMs: Date.now() });
    let ble: BleLink | undefined;
    let address = 0;
    for (const c of deviceId) address = (address * 31 + c.charCodeAt(0)) & 0xffffff;
    const link: LinkFactory = (ctx) =>
      transport === 'mqtt'
        ? new MqttLink({ deviceId: ctx.deviceId, host: '127.0.0.1', port: gateway.addresses.mqttPort, secureContext: ctx.keystore.tlsSecureContext(ctx.enrolment) })
        : (ble ??= new BleLink({ deviceId: ctx.deviceId, radio, address: `c0:ff:ee:${[16, 8, 0].map((s) => ((address >> s) & 0xff).toString(16).padStart(2, '0')).join(':')}`, localName: deviceId.slice(0, 20), device }));
    let enrolments = 0;
    const provision = registryProvisioner(gateway);
    const device: SimulatedDevice = new DEVICE_CLASSES[model]({
      deviceId,
      dataDir: `${dir.path}/${deviceId}`,
      seed: 1,
      patient,
      provisioner: (request) => {
        enrolments += 1;
        return provision(request);
      },
      link,
      cycleScale: fastCycle(model),
      window: 8,
    });
    const produced: { channel: string; contentType: ContentType }[] = [];
    device.on('produced', (message) => produced.push({ channel: message.channel, contentType: message.contentType }));
    try {
      await device.powerOn();
      await eventually(() => device.state === 'online' && device.counters.delivered >= 6, 30_000, `${deviceId} streaming`);
      await device.powerOff();
      await device.powerOn();
      await eventually(() => device.state === 'online' && device.counters.delivered >= produced.length - 2 && device.queued <= 2, 30_000, `${deviceId} drained after the power cycle`);
      await device.powerOff();
    } finally {
      await device.powerOff();
    }
    expect(enrolments).toBe(1);
    expect(device.counters.sessions).toBe(2);
    const stored = gateway.context.readings.payloadsForDevice(deviceId);
    // Exactly once: each envelope identity once (the store's unique key), and nothing beyond what was produced.
    expect(stored.length).toBeLessThanOrEqual(produced.length);
    expect(stored.length).toBeGreaterThanOrEqual(produced.length - device.queued - 2);
    for (const row of stored) {
      const payload = decodePayload(row.contentType, row.payload); // validates
      expect(payload.contentType).toBe(row.contentType);
    }
    const statuses = stored.filter((r) => r.contentType === ContentType.CONTENT_TYPE_DEVICE_STATUS).map((r) => decodePayload(ContentType.CONTENT_TYPE_DEVICE_STATUS, r.payload).message);
    expect(statuses.length).toBeGreaterThanOrEqual(1);
    expect(statuses[0]).toMatchObject({ model, firmwareVersion: device.info.firmwareVersion });
    for (const p of produced) if (p.channel === 'status') expect(STATUS_TYPES.has(p.contentType)).toBe(true);
    if (device.info.deviceClass === 'monitoring') expect(stored.some((r) => r.contentType === ContentType.CONTENT_TYPE_VITAL_SIGN_READING)).toBe(true);
    if (transport === 'ble') for (const row of stored) expect(radio.sniffer.containsBytes(row.payload)).toBe(false);
  });
});
