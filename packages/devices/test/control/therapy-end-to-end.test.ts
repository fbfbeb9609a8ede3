/**
 * Therapy end to end, on each transport: a clinician orders through the gateway's HTTPS API and
 * confirms; the gateway signs and seals the command; the pump's firmware verifies it, applies its
 * interlocks and answers with a signed acknowledgement that the gateway records. A bolus above the
 * pump's limit is refused by the pump, whoever signed; a replayed envelope changes nothing.
 */
import { VirtualRadio, createNoble } from '@medsim/ble-radio';
import type { Gateway } from '@medsim/gateway';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BleLink, InsulinPump, MqttLink, PATIENT_PROFILES, Patient, type LinkFactory, type SimulatedDevice } from '../../src/index.js';
import { clinicianWithPatient, commandStatus, orderAndConfirm } from '../helpers/clinician.js';
import { eventually, registryProvisioner, startGateway, tempDir } from '../helpers/gateway-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function rig(transport: 'mqtt' | 'ble'): Promise<{ gateway: Gateway; link: (device: () => SimulatedDevice) => LinkFactory }> {
  const radio = new VirtualRadio({ seed: 9 });
  const gateway = await startGateway(transport === 'ble' ? { ble: { noble: createNoble(radio) } } : {});
  cleanups.push(() => gateway.close());
  const link = (device: () => SimulatedDevice): LinkFactory => {
    let ble: BleLink | undefined;
    return (ctx) =>
      transport === 'mqtt'
        ? new MqttLink({ deviceId: ctx.deviceId, host: '127.0.0.1', port: gateway.addresses.mqttPort, secureContext: ctx.keystore.tlsSecureContext(ctx.enrolment) })
        : (ble ??= new BleLink({ deviceId: ctx.deviceId, radio, address: 'c0:ff:ee:00:01:01', localName: 'medsim pump', device: device() }));
  };
  return { gateway, link };
}

describe.each(['mqtt', 'ble'] as const)('therapy over %s', (transport) => {
  it('[CTL-15] an ordered, confirmed bolus is executed and acknowledged; one past the interlock is refused; a replay changes nothing', { tags: ['CTL-15', 'CTL-08'] }, async () => {
    const { gateway, link } = await rig(transport);
    const clinician = await clinicianWithPatient(gateway);
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const patient = new Patient({ profile: PATIENT_PROFILES['type-1-diabetes'], seed: 3, startMs: Date.now() });
    const pump: InsulinPump = new InsulinPump({ deviceId: 'pump-1', dataDir: dir.path, seed: 3, patient, provisioner: registryProvisioner(gateway, clinician.patientId), link: link(() => pump) });
    cleanups.push(() => pump.powerOff());
    const sent: Uint8Array[] = [];
    const send = gateway.downlinks.send.bind(gateway.downlinks);
    vi.spyOn(gateway.downlinks, 'send').mockImplementation(async (deviceId, channel, bytes) => {
      if (channel === 'commands') sent.push(bytes);
      return send(deviceId, channel, bytes);
    });
    await pump.powerOn();
    await eventually(() => pump.state === 'online' && gateway.downlinks.has('pump-1'), 20_000, 'pump online');

    const ok = await orderAndConfirm(gateway, clinician, 'pump-1', { kind: 'insulin-bolus', amountMilliunits: 2_000 });
    await eventually(() => pump.decisions.length === 1, 20_000, 'the pump decided');
    expect(pump.decisions[0]!.reasonCode).toBe('');
    expect(pump.snapshot().bolus).not.toBeNull();
    await eventually(async () => (await commandStatus(gateway, clinician, ok))['status'] === 'executed', 20_000, 'executed at the gateway');

    // 20 U: inside the protocol's range, above the pump's 10 U interlock. Refused; therapy unchanged.
    const before = JSON.stringify(pump.snapshot());
    const tooMuch = await orderAndConfirm(gateway, clinician, 'pump-1', { kind: 'insulin-bolus', amountMilliunits: 20_000 });
    await eventually(() => pump.decisions.length === 2, 20_000, 'the pump decided again');
    expect(pump.decisions[1]!.reasonCode).toBe('ERR_THERAPY_BOLUS_TOO_LARGE');
    await eventually(async () => (await commandStatus(gateway, clinician, tooMuch))['status'] === 'rejected', 20_000, 'recorded as rejected');
    expect(JSON.stringify(pump.snapshot())).toBe(before);

    // The first command's sealed bytes, delivered again: refused at the envelope layer, nothing decided.
    await gateway.downlinks.send('pump-1', 'commands', sent[0]!);
    await new Promise((r) => setTimeout(r, 300));
    expect(pump.decisions).toHaveLength(2);
    expect(JSON.stringify(pump.snapshot())).toBe(before);
  });
});
