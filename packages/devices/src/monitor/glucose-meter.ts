/**
 * Blood glucose meter (BLE, Glucose Service 0x1808 with the Record Access Control Point): a
 * capillary measurement at each cycle (spot checks; one minute of device time so demos move),
 * kept in the meter's own record store with a sequence number and meal context, as real meters do,
 * so a central can ask for stored records (RACP) and the medsim envelope path sends each once.
 * Alarms on hypoglycaemia (below 70 mg/dL, ADA level 1) and hyperglycaemia (above 250 mg/dL).
 */
import { AlarmCode, AlarmPriority, MealContext, Unit, VitalParameter } from '@medsim/protocol';
import type { DeviceModelInfo, Produced } from '../device/device-model.js';
import { MonitorDevice, observation, round, type AlarmLimit } from './monitor-device.js';

const INFO: DeviceModelInfo = {
  model: 'glucose-meter',
  deviceClass: 'monitoring',
  displayName: 'Glucose meter',
  manufacturer: 'medsim',
  firmwareVersion: '4.2.1',
  safetyLevel: 'moderate',
  transports: ['ble', 'mqtt'],
  cycleMs: 60_000,
  purposes: ['monitoring'],
};

const LIMITS: readonly AlarmLimit[] = [
  { code: AlarmCode.ALARM_CODE_GLUCOSE_LOW, parameter: VitalParameter.MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD, priority: AlarmPriority.ALARM_PRIORITY_HIGH, direction: 'below', limit: 70, hysteresis: 5 },
  { code: AlarmCode.ALARM_CODE_GLUCOSE_HIGH, parameter: VitalParameter.MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD, priority: AlarmPriority.ALARM_PRIORITY_MEDIUM, direction: 'above', limit: 250, hysteresis: 10 },
];

/** One stored glucose record. */
export interface GlucoseRecord {
  readonly sequence: number;
  readonly atMs: number;
  readonly mgDl: number;
  readonly meal: MealContext;
}

/** Records a meter keeps (typical meters hold 500 to 1,000; the oldest is overwritten). */
export const GLUCOSE_RECORDS_KEPT = 500;

/** The glucose meter model. */
export class GlucoseMeter extends MonitorDevice {
  /** What this model is (also readable without an instance). */
  static readonly INFO: DeviceModelInfo = INFO;

  get info(): DeviceModelInfo {
    return INFO;
  }

  /** The meter's record store, oldest first (RACP serves it over BLE). */
  readonly records: GlucoseRecord[] = [];
  #sequence = 0;

  protected cycle(nowMs: number): Produced[] {
    this.patient.advanceTo(nowMs);
    const v = this.patient.vitals();
    const mgDl = round(v.glucoseMgDl);
    const meal = this.#mealContext(nowMs);
    this.#sequence = (this.#sequence % 0xffff) + 1;
    this.records.push({ sequence: this.#sequence, atMs: nowMs, mgDl, meal });
    if (this.records.length > GLUCOSE_RECORDS_KEPT) this.records.shift();
    const reading = this.readingMessage({
      measuredAtMs: nowMs,
      observations: [observation(VitalParameter.MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD, Unit.MDC_DIM_MILLI_G_PER_DL, mgDl)],
      recordNumber: this.#sequence,
      mealContext: meal,
    });
    return [reading, ...this.checkAlarms(LIMITS, () => mgDl, nowMs)];
  }

  /** Meal context from the time of day (a patient tags it on a real meter). */
  #mealContext(nowMs: number): MealContext {
    const hour = new Date(nowMs).getUTCHours();
    if (hour < 6) return MealContext.MEAL_CONTEXT_FASTING;
    if (hour >= 22) return MealContext.MEAL_CONTEXT_BEDTIME;
    return [7, 12, 18].includes(hour) ? MealContext.MEAL_CONTEXT_PREPRANDIAL : MealContext.MEAL_CONTEXT_CASUAL;
  }
}
