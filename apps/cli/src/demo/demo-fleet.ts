/**
 * The demo's device zoo: one of every model, on the transports a hospital and homes would use,
 * attached to the demo's three patients (devices on the same patient share one simulated body, so
 * the pump's insulin shows on the glucose meter and the pacemaker's rate on the bedside monitor).
 */
import { VirtualRadio, createNoble } from '@medsim/ble-radio';
import { BleLink, Fleet, NETWORK_PROFILES, PATIENT_PROFILES, parseFleetSpec, type Provisioner, type SimulatedDevice } from '@medsim/devices';
import type { Gateway } from '@medsim/gateway';
import type { Logger } from '@medsim/logging';
import type { Noble } from '@stoprocent/noble';
import { join } from 'node:path';

/** Every model once; `patient` is the index of the demo patient it is attached to. */
export const DEMO_FLEET = [
  { model: 'pulse-oximeter', idPrefix: 'spo2', transport: 'ble', patient: 0, patientProfile: 'copd', cycleScale: 4 },
  { model: 'heart-rate-sensor', idPrefix: 'hr', transport: 'ble', patient: 0, patientProfile: 'copd', cycleScale: 4 },
  { model: 'blood-pressure-monitor', idPrefix: 'bp', transport: 'mqtt', network: 'home-wifi', patient: 0, patientProfile: 'copd', cycleScale: 0.25 },
  { model: 'thermometer', idPrefix: 'temp', transport: 'ble', patient: 1, patientProfile: 'bradycardia-pacemaker', cycleScale: 0.5 },
  { model: 'patient-monitor', idPrefix: 'pm', transport: 'mqtt', network: 'hospital-wifi', patient: 1, patientProfile: 'bradycardia-pacemaker', cycleScale: 5 },
  { model: 'pacemaker', idPrefix: 'pace', transport: 'mqtt', network: 'lte', patient: 1, patientProfile: 'bradycardia-pacemaker', cycleScale: 0.25 },
  { model: 'glucose-meter', idPrefix: 'glu', transport: 'ble', patient: 2, patientProfile: 'type-1-diabetes', cycleScale: 0.25 },
  { model: 'insulin-pump', idPrefix: 'pump', transport: 'ble', patient: 2, patientProfile: 'type-1-diabetes', cycleScale: 0.25 },
  { model: 'ultrasound', idPrefix: 'us', transport: 'mqtt', network: 'hospital-wifi', patient: undefined, patientProfile: 'healthy-adult', cycleScale: 0.25 },
] as const;

/** The radio the demo's BLE devices and the gateway's central share, and the central's noble. */
export function demoRadio(seed: number): { radio: VirtualRadio; noble: Noble } {
  const radio = new VirtualRadio({ seed });
  return { radio, noble: createNoble(radio) };
}

/** Enrols through the gateway's registry (what POST /v1/devices/enrol does), assigning each device to its patient. */
export function registryProvisioner(gateway: Gateway, patientOf: (deviceId: string) => string | null): Provisioner {
  return async ({ deviceId, model, csrPem, identity }) => {
    const { token } = gateway.context.devices.createEnrolmentToken({ deviceId, model, patientId: patientOf(deviceId), createdBy: 'demo' });
    return gateway.context.devices.enrol({ token, deviceId, csrPem, identity, source: '127.0.0.1' });
  };
}

/** Builds the demo fleet against a listening gateway. */
export function demoFleet(options: { gateway: Gateway; radio: VirtualRadio; patients: readonly string[]; dataDir: string; seed: number; logger?: Logger }): Fleet {
  const { gateway, radio, patients } = options;
  const spec = parseFleetSpec(
    {
      seed: options.seed,
      groups: DEMO_FLEET.map(({ patient: _patient, ...group }) => ({ ...group, count: 1 })),
    },
    { patientProfiles: Object.keys(PATIENT_PROFILES), networks: Object.keys(NETWORK_PROFILES) },
  );
  const patientIndex = new Map<string, number | undefined>(DEMO_FLEET.map((d) => [`${d.idPrefix}-1`, d.patient]));
  const patientOf = (deviceId: string): string | null => {
    const index = patientIndex.get(deviceId);
    return index === undefined ? null : (patients[index] ?? null);
  };
  const links = new Map<string, BleLink>();
  let address = 0;
  const fleet: Fleet = new Fleet({
    spec,
    dataDir: join(options.dataDir, 'devices'),
    provisioner: registryProvisioner(gateway, patientOf),
    links: {
      mqtt: { host: '127.0.0.1', port: gateway.addresses.mqttPort },
      ble: (ctx) => {
        let link = links.get(ctx.deviceId);
        if (link === undefined) {
          address += 1;
          const device: SimulatedDevice = fleet.device(ctx.deviceId);
          link = new BleLink({ deviceId: ctx.deviceId, radio, address: `c0:ff:ee:00:00:${address.toString(16).padStart(2, '0')}`, localName: `medsim ${ctx.deviceId}`, device });
          links.set(ctx.deviceId, link);
        }
        return link;
      },
    },
    bodyOf: (deviceId) => {
      const index = patientIndex.get(deviceId);
      return index === undefined ? undefined : `patient-${index}`;
    },
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return fleet;
}
