/**
 * The image slot size of each device model: what its flash partition layout gives one of the two
 * slots, fixed for the device's life (an image larger than it is refused: ERR_BOOT_SLOT_TOO_SMALL).
 * Wearables and implant-class parts have microcontroller flash; the patient monitor and the
 * ultrasound run larger application processors, and the ultrasound's slot holds the 64 MiB image
 * of the update benchmark (issue 5) with room to grow. Slot files are created sparse, so unwritten
 * slot space costs no disk.
 */
import type { DeviceModelName } from '../device/device-model.js';

const MiB = 1024 * 1024;

/** Bytes of one image slot, per model. */
export const MODEL_SLOT_BYTES: Readonly<Record<DeviceModelName, number>> = {
  'pulse-oximeter': 1 * MiB,
  'heart-rate-sensor': 1 * MiB,
  'blood-pressure-monitor': 1 * MiB,
  'glucose-meter': 1 * MiB,
  thermometer: 1 * MiB,
  pacemaker: 1 * MiB,
  'insulin-pump': 2 * MiB,
  'patient-monitor': 32 * MiB,
  ultrasound: 128 * MiB,
};
