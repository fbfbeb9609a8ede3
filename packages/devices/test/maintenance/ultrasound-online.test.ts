/**
 * The maintenance channel through the real runtime over MQTT: a signed OpenServiceMode sealed into
 * the ultrasound's live session by a real gateway reaches the firmware through the downlink, and
 * the gateway stores the device's answer: the SERVICE_MODE_OPENED security event and a status that
 * says SERVICE; the same envelope delivered again is refused at the envelope layer. (The gateway's
 * technician ordering is built separately; the command here is signed with the tests' key, which
 * the device trusts from its enrolment.) Diagnostics: the report is stored by the gateway.
 */
import type { Gateway } from '@medsim/gateway';
import { ContentType, OperatingState, STREAM_IDS, SecurityEventType, decodeMessage } from '@medsim/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttLink, PATIENT_PROFILES, Patient, Ultrasound } from '../../src/index.js';
import { commandFields, makeIdentities, signCommand } from '../control/command-fixtures.js';
import { eventually, startGateway, tempDir } from '../helpers/gateway-harness.js';
import { benchProvisioner, type MaintenanceAction, closeService, openService, runDiagnostics } from './ultrasound-fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('ultrasound over MQTT', () => {
  it('[CTL-19][CTL-08] a sealed, signed OpenServiceMode opens service mode; the gateway stores SERVICE and the event; a resent envelope changes nothing; a diagnostics report reaches the gateway', { tags: ['CTL-19', 'CTL-08', 'CTL-22'] }, async () => {
    const [gateway, ids]: [Gateway, Awaited<ReturnType<typeof makeIdentities>>] = await Promise.all([startGateway(), makeIdentities()]);
    cleanups.push(() => gateway.close());
    const dir = tempDir('medsim-us-online-');
    cleanups.push(dir.cleanup);
    const deviceId = 'us-online-1';
    const device = new Ultrasound({
      deviceId,
      dataDir: dir.path,
      seed: 2,
      patient: new Patient({ profile: PATIENT_PROFILES['healthy-adult'], seed: 2, startMs: Date.now() }),
      provisioner: benchProvisioner(gateway, ids),
      link: (ctx) => new MqttLink({ deviceId: ctx.deviceId, host: '127.0.0.1', port: gateway.addresses.mqttPort, secureContext: ctx.keystore.tlsSecureContext(ctx.enrolment) }),
      cycleScale: 0.01,
    });
    cleanups.push(() => device.powerOff());
    await device.powerOn();
    await eventually(() => device.state === 'online' && gateway.downlinks.has(deviceId), 20_000, 'online');

    const send = (action: MaintenanceAction, sequence: number): Uint8Array => {
      const signed = signCommand(ids.gateway, { ...commandFields(sequence, {}, { deviceId, issuedAtMs: Date.now() }), ...action });
      return gateway.sessions.sealFor(deviceId, ContentType.CONTENT_TYPE_THERAPY_COMMAND, signed, STREAM_IDS.commands);
    };
    const stored = (): ReturnType<Gateway['context']['readings']['payloadsForDevice']> => gateway.context.readings.payloadsForDevice(deviceId);
    const envelope = send(openService(15), 1);
    await gateway.downlinks.send(deviceId, 'commands', envelope);
    await eventually(() => device.operatingState === OperatingState.OPERATING_STATE_SERVICE, 20_000, 'service mode open');
    await eventually(
      () =>
        stored().some((r) => r.contentType === ContentType.CONTENT_TYPE_SECURITY_EVENT && decodeMessage('SecurityEvent', r.payload).type === SecurityEventType.SECURITY_EVENT_TYPE_SERVICE_MODE_OPENED) &&
        stored().some((r) => r.contentType === ContentType.CONTENT_TYPE_DEVICE_STATUS && decodeMessage('DeviceStatus', r.payload).state === OperatingState.OPERATING_STATE_SERVICE),
      20_000,
      'SERVICE_MODE_OPENED and a SERVICE status at the gateway',
    );
    expect(device.decisions).toHaveLength(1);

    // The same sealed bytes again: the session refuses them before the firmware sees a command.
    await gateway.downlinks.send(deviceId, 'commands', envelope);
    await new Promise((r) => setTimeout(r, 300));
    expect(device.decisions).toHaveLength(1);

    await gateway.downlinks.send(deviceId, 'commands', send(closeService(), 2));
    await eventually(() => device.operatingState === OperatingState.OPERATING_STATE_NORMAL, 20_000, 'service mode closed');

    // Diagnostics: the report reaches the gateway's store on the status channel and validates there.
    await gateway.downlinks.send(deviceId, 'commands', send(runDiagnostics(), 3));
    await eventually(() => stored().some((r) => r.contentType === ContentType.CONTENT_TYPE_MAINTENANCE_REPORT), 20_000, 'the MaintenanceReport at the gateway');
    const report = decodeMessage('MaintenanceReport', stored().find((r) => r.contentType === ContentType.CONTENT_TYPE_MAINTENANCE_REPORT)!.payload);
    expect(report.checks.map((c) => c.name)).toContain('transducer.dead-elements');
    const events = device.eventLog().map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(['link.up', 'session.opened', 'service.opened', 'state.service', 'service.closed', 'state.normal', 'security.integrity-failure']));
  });
});
