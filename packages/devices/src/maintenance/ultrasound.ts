/**
 * Ultrasound-class imaging system (hospital network, MQTT over TLS): the maintenance device class.
 * Images never leave it over this link (they go to PACS over DICOM, out of scope); what it sends is
 * its status (operating state, uptime, clock offset, queue) every cycle, for remote monitoring by
 * service. It is the first target of the signed firmware-update system (issue 5); the remote
 * diagnostics, log upload and technician-opened service mode of its maintenance channel are
 * described in docs/devices/ultrasound.md with what is built so far.
 */
import type { DeviceModelInfo, Produced } from '../device/device-model.js';
import { SimulatedDevice } from '../device/simulated-device.js';

const INFO: DeviceModelInfo = {
  model: 'ultrasound',
  deviceClass: 'maintenance',
  displayName: 'Ultrasound imaging system',
  manufacturer: 'medsim',
  firmwareVersion: '7.2.0',
  safetyLevel: 'moderate',
  transports: ['mqtt'],
  cycleMs: 60_000,
  purposes: ['maintenance'],
};

/** The ultrasound model. */
export class Ultrasound extends SimulatedDevice {
  get info(): DeviceModelInfo {
    return INFO;
  }

  protected override batteryProfile(): { capacityMah: number } {
    // Mains powered; the battery only bridges a move between rooms.
    return { capacityMah: 20_000 };
  }

  protected cycle(_nowMs: number): Produced[] {
    return [this.statusMessage()];
  }
}
