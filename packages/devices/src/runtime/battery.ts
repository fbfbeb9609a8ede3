/**
 * A battery drained by what the device does: radio bytes sent and received, measurements, idle
 * time. Deterministic (plain arithmetic, no randomness), so a fleet run is reproducible. Charge
 * is counted in mAh; costs are given per model in µAh per unit and µA of idle current, since a
 * byte or a measurement costs microamp-hours, not milliamp-hours.
 *
 * Voltage is read from the chemistry's open-circuit curve at the state of charge (linear between
 * points), without load or temperature effects:
 * - `li-ion`: one LiCoO2/NMC cell, 4.20 V full to 3.00 V cut-off, flat around 3.7-3.9 V;
 * - `coin-cell`: a CR2032 (Li/MnO2), 3.0 V nominal, flat near 2.9 V, 2.0 V end point (Energizer
 *   CR2032 datasheet: 235 mAh to 2.0 V). Not rechargeable: `charge()` models a new cell.
 *
 * `low` raises once when the charge falls to the threshold (default 20 % for li-ion, 10 % for a
 * coin cell, whose flat curve leaves little warning) and clears on charge; IEC 60601-1-8 makes a
 * low battery a technical alarm condition, which the runtime reports.
 */
import { EventEmitter } from 'node:events';

/** Battery chemistries with a voltage curve. */
export type BatteryChemistry = 'li-ion' | 'coin-cell';

/** Energy costs of one device model. */
export interface BatteryCosts {
  /** µAh per radio byte sent (airtime × TX current, protocol overhead included). */
  readonly radioTxPerByteUah: number;
  /** µAh per radio byte received. */
  readonly radioRxPerByteUah: number;
  /** µAh per measurement (sensor, LEDs, ADC, processing). */
  readonly perMeasurementUah: number;
  /** µA drawn while idle (sleep current with the radio's idle duty cycle). */
  readonly idleCurrentUa: number;
}

/** Activity to charge to the battery. */
export interface BatteryActivity {
  readonly radioTxBytes?: number;
  readonly radioRxBytes?: number;
  readonly measurements?: number;
  readonly idleMs?: number;
}

/**
 * Options of Battery. Omitted ones come from the profile of the chemistry: `ble-coin-cell` for a
 * coin cell, `wifi-li-ion` otherwise (li-ion is the default chemistry).
 */
export interface BatteryOptions {
  readonly chemistry?: BatteryChemistry;
  /** Rated capacity in mAh. */
  readonly capacityMah?: number;
  readonly costs?: BatteryCosts;
  /** Low-battery threshold in percent (default: 20 li-ion, 10 coin cell). */
  readonly lowPercent?: number;
  /** Initial state of charge in percent (default 100). */
  readonly initialPercent?: number;
}

/** Events of Battery. */
export interface BatteryEvents {
  /** The charge fell to the low threshold (once per discharge). */
  low: [{ readonly percent: number; readonly voltage: number }];
  /** The battery is empty: the device browns out. */
  depleted: [];
  charged: [];
}

/** Open-circuit voltage (V) at state of charge (%), ascending by percent. */
export const BATTERY_VOLTAGE_CURVES: Readonly<Record<BatteryChemistry, readonly (readonly [number, number])[]>> = {
  // Typical single-cell LiCoO2/NMC OCV at 25 °C (rounded to 10 mV).
  'li-ion': [
    [0, 3.0],
    [5, 3.45],
    [10, 3.68],
    [20, 3.74],
    [30, 3.77],
    [40, 3.79],
    [50, 3.82],
    [60, 3.87],
    [70, 3.92],
    [80, 3.98],
    [90, 4.06],
    [100, 4.2],
  ],
  // CR2032 under a light (15 kΩ) load: a long plateau, then a knee below 10 %.
  'coin-cell': [
    [0, 2.0],
    [5, 2.5],
    [10, 2.7],
    [20, 2.8],
    [40, 2.87],
    [60, 2.9],
    [80, 2.92],
    [90, 2.95],
    [100, 3.0],
  ],
};

/** Battery set-ups of the device zoo's radio classes (capacity and costs). */
export const BATTERY_PROFILES = {
  // CR2032 + BLE: 1 Mbit/s PHY, ~5 mA TX and ~4x air-time overhead per payload byte
  // (headers, connection events); ~3 µA System ON sleep plus sensor standby.
  'ble-coin-cell': {
    chemistry: 'coin-cell',
    capacityMah: 225,
    costs: { radioTxPerByteUah: 0.000045, radioRxPerByteUah: 0.00004, perMeasurementUah: 0.003, idleCurrentUa: 5 },
  },
  // Rechargeable Wi-Fi device: ~200 mA TX at a few Mbit/s effective, ~1 mA DTIM power save.
  'wifi-li-ion': {
    chemistry: 'li-ion',
    capacityMah: 1000,
    costs: { radioTxPerByteUah: 0.0002, radioRxPerByteUah: 0.0001, perMeasurementUah: 0.01, idleCurrentUa: 1000 },
  },
  // LTE-M: ~220 mA TX at ~100 kbit/s effective (80 µs a byte), ~50 mA RX, ~200 µA with eDRX.
  'lte-li-ion': {
    chemistry: 'li-ion',
    capacityMah: 2000,
    costs: { radioTxPerByteUah: 0.0049, radioRxPerByteUah: 0.0011, perMeasurementUah: 0.01, idleCurrentUa: 200 },
  },
} as const satisfies Record<string, Required<Pick<BatteryOptions, 'chemistry' | 'capacityMah' | 'costs'>>>;

/** Name of a battery profile. */
export type BatteryProfileName = keyof typeof BATTERY_PROFILES;

const UAH_PER_MAH = 1000;
const MS_PER_HOUR = 3_600_000;

const count = (value: number | undefined, name: string): number => {
  const n = value ?? 0;
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} must be a non-negative number`);
  return n;
};

/** A deterministic battery model. */
export class Battery extends EventEmitter<BatteryEvents> {
  readonly chemistry: BatteryChemistry;
  /** Rated capacity in mAh. */
  readonly capacityMah: number;
  readonly costs: BatteryCosts;
  /** Low-battery threshold in percent. */
  readonly lowPercent: number;
  #remainingMah: number;
  #lowRaised: boolean;

  constructor(options: BatteryOptions = {}) {
    super();
    const chemistry = options.chemistry ?? 'li-ion';
    const profile = BATTERY_PROFILES[chemistry === 'coin-cell' ? 'ble-coin-cell' : 'wifi-li-ion'];
    const capacityMah = options.capacityMah ?? profile.capacityMah;
    if (!(capacityMah > 0) || !Number.isFinite(capacityMah)) throw new RangeError('capacityMah must be positive');
    const initial = options.initialPercent ?? 100;
    if (!(initial >= 0 && initial <= 100)) throw new RangeError('initialPercent must be within 0..100');
    this.chemistry = chemistry;
    this.capacityMah = capacityMah;
    this.costs = options.costs ?? profile.costs;
    this.lowPercent = options.lowPercent ?? (chemistry === 'li-ion' ? 20 : 10);
    this.#remainingMah = (capacityMah * initial) / 100;
    this.#lowRaised = this.percent <= this.lowPercent;
  }

  /** A battery from one of BATTERY_PROFILES, with optional overrides. */
  static fromProfile(name: BatteryProfileName, overrides: BatteryOptions = {}): Battery {
    return new Battery({ ...BATTERY_PROFILES[name], ...overrides });
  }

  /** Charge left in mAh. */
  get remainingMah(): number {
    return this.#remainingMah;
  }

  /** State of charge, 0..100 (not rounded). */
  get percent(): number {
    return (this.#remainingMah / this.capacityMah) * 100;
  }

  /** Open-circuit voltage at the current state of charge, in V. */
  get voltage(): number {
    const curve = BATTERY_VOLTAGE_CURVES[this.chemistry];
    const p = this.percent;
    for (let i = 1; i < curve.length; i += 1) {
      const [p1, v1] = curve[i]!;
      if (p <= p1) {
        const [p0, v0] = curve[i - 1]!;
        return v0 + ((v1 - v0) * (p - p0)) / (p1 - p0);
      }
    }
    return curve[curve.length - 1]![1];
  }

  /** True at or below the low threshold. */
  get low(): boolean {
    return this.percent <= this.lowPercent;
  }

  /** True when empty. */
  get depleted(): boolean {
    return this.#remainingMah <= 0;
  }

  /** Charges `activity` to the battery; returns the mAh it cost. Never increases the charge. */
  consume(activity: BatteryActivity): number {
    const uah =
      count(activity.radioTxBytes, 'radioTxBytes') * this.costs.radioTxPerByteUah +
      count(activity.radioRxBytes, 'radioRxBytes') * this.costs.radioRxPerByteUah +
      count(activity.measurements, 'measurements') * this.costs.perMeasurementUah +
      (count(activity.idleMs, 'idleMs') / MS_PER_HOUR) * this.costs.idleCurrentUa;
    const wasEmpty = this.depleted;
    const cost = Math.min(this.#remainingMah, uah / UAH_PER_MAH);
    this.#remainingMah -= cost;
    if (!this.#lowRaised && this.low) {
      this.#lowRaised = true;
      this.emit('low', { percent: this.percent, voltage: this.voltage });
    }
    if (!wasEmpty && this.depleted) this.emit('depleted');
    return cost;
  }

  /** Full charge (li-ion), or a fresh cell (coin cell). */
  charge(): void {
    this.#remainingMah = this.capacityMah;
    this.#lowRaised = this.low;
    this.emit('charged');
  }
}
