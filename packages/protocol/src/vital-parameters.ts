/**
 * The IEEE 11073-10101 parameters and units medsim speaks: display name, UCUM unit, which units a
 * parameter may use and the range a value must lie in. Ranges are what a sensor can report, wider
 * than physiology (SpO2 0-100 %, heart rate 0-350 /min): a value outside them is a corrupt or
 * hostile frame, not a patient.
 */
import { Unit, VitalParameter } from './schema.js';

/** Whether a parameter is a numeric (Observation) or a waveform (WaveformChannel). */
export type ParameterKind = 'numeric' | 'waveform';

/** What medsim knows about one parameter. */
export interface ParameterSpec {
  /** The MDC reference id, e.g. "MDC_PULS_OXIM_SAT_O2". */
  readonly mdc: string;
  /** Display name. */
  readonly name: string;
  readonly kind: ParameterKind;
  /** Units allowed for this parameter, each with its value range in that unit. */
  readonly units: ReadonlyArray<{ readonly unit: Unit; readonly min: number; readonly max: number }>;
}

/** IEEE 11073-10101 unit code to UCUM (https://ucum.org) code. */
export const UCUM: Readonly<Record<Exclude<Unit, Unit.UNIT_UNSPECIFIED>, string>> = {
  [Unit.MDC_DIM_PERCENT]: '%',
  [Unit.MDC_DIM_BEAT_PER_MIN]: '/min',
  [Unit.MDC_DIM_RESP_PER_MIN]: '/min',
  [Unit.MDC_DIM_MILLI_G_PER_DL]: 'mg/dL',
  [Unit.MDC_DIM_MMHG]: 'mm[Hg]',
  [Unit.MDC_DIM_VOLT]: 'V',
  [Unit.MDC_DIM_MILLI_VOLT]: 'mV',
  [Unit.MDC_DIM_MILLI_MOLE_PER_L]: 'mmol/L',
  [Unit.MDC_DIM_OHM]: 'Ohm',
  [Unit.MDC_DIM_DEGC]: 'Cel',
  [Unit.MDC_DIM_DIMLESS]: '1',
};

const ecgLead = (lead: string, mdc: string): ParameterSpec => ({
  mdc,
  name: `ECG lead ${lead}`,
  kind: 'waveform',
  units: [{ unit: Unit.MDC_DIM_MILLI_VOLT, min: -20, max: 20 }],
});
const rate = (mdc: string, name: string): ParameterSpec => ({
  mdc,
  name,
  kind: 'numeric',
  units: [{ unit: Unit.MDC_DIM_BEAT_PER_MIN, min: 0, max: 350 }],
});
const pressure = (mdc: string, name: string): ParameterSpec => ({
  mdc,
  name,
  kind: 'numeric',
  units: [{ unit: Unit.MDC_DIM_MMHG, min: 0, max: 350 }],
});

/** Every parameter of the protocol (all VitalParameter values except UNSPECIFIED). */
export const PARAMETERS: Readonly<Record<Exclude<VitalParameter, VitalParameter.VITAL_PARAMETER_UNSPECIFIED>, ParameterSpec>> = {
  [VitalParameter.MDC_ECG_ELEC_POTL_I]: ecgLead('I', 'MDC_ECG_ELEC_POTL_I'),
  [VitalParameter.MDC_ECG_ELEC_POTL_II]: ecgLead('II', 'MDC_ECG_ELEC_POTL_II'),
  [VitalParameter.MDC_ECG_ELEC_POTL_III]: ecgLead('III', 'MDC_ECG_ELEC_POTL_III'),
  [VitalParameter.MDC_ECG_ELEC_POTL_AVR]: ecgLead('aVR', 'MDC_ECG_ELEC_POTL_AVR'),
  [VitalParameter.MDC_ECG_ELEC_POTL_AVL]: ecgLead('aVL', 'MDC_ECG_ELEC_POTL_AVL'),
  [VitalParameter.MDC_ECG_ELEC_POTL_AVF]: ecgLead('aVF', 'MDC_ECG_ELEC_POTL_AVF'),
  [VitalParameter.MDC_ECG_ELEC_POTL_V1]: ecgLead('V1', 'MDC_ECG_ELEC_POTL_V1'),
  [VitalParameter.MDC_ECG_ELEC_POTL_V2]: ecgLead('V2', 'MDC_ECG_ELEC_POTL_V2'),
  [VitalParameter.MDC_ECG_ELEC_POTL_V3]: ecgLead('V3', 'MDC_ECG_ELEC_POTL_V3'),
  [VitalParameter.MDC_ECG_ELEC_POTL_V4]: ecgLead('V4', 'MDC_ECG_ELEC_POTL_V4'),
  [VitalParameter.MDC_ECG_ELEC_POTL_V5]: ecgLead('V5', 'MDC_ECG_ELEC_POTL_V5'),
  [VitalParameter.MDC_ECG_ELEC_POTL_V6]: ecgLead('V6', 'MDC_ECG_ELEC_POTL_V6'),
  [VitalParameter.MDC_ECG_HEART_RATE]: rate('MDC_ECG_HEART_RATE', 'Heart rate (ECG)'),
  [VitalParameter.MDC_PULS_OXIM_PULS_RATE]: rate('MDC_PULS_OXIM_PULS_RATE', 'Pulse rate (oximeter)'),
  [VitalParameter.MDC_PULS_RATE_NON_INV]: rate('MDC_PULS_RATE_NON_INV', 'Pulse rate (NIBP)'),
  [VitalParameter.MDC_PRESS_BLD_NONINV_SYS]: pressure('MDC_PRESS_BLD_NONINV_SYS', 'Blood pressure, systolic'),
  [VitalParameter.MDC_PRESS_BLD_NONINV_DIA]: pressure('MDC_PRESS_BLD_NONINV_DIA', 'Blood pressure, diastolic'),
  [VitalParameter.MDC_PRESS_BLD_NONINV_MEAN]: pressure('MDC_PRESS_BLD_NONINV_MEAN', 'Blood pressure, mean'),
  [VitalParameter.MDC_TEMP_BODY]: {
    mdc: 'MDC_TEMP_BODY',
    name: 'Body temperature',
    kind: 'numeric',
    units: [{ unit: Unit.MDC_DIM_DEGC, min: 20, max: 45 }],
  },
  [VitalParameter.MDC_PULS_OXIM_SAT_O2]: {
    mdc: 'MDC_PULS_OXIM_SAT_O2',
    name: 'Oxygen saturation (SpO2)',
    kind: 'numeric',
    units: [{ unit: Unit.MDC_DIM_PERCENT, min: 0, max: 100 }],
  },
  [VitalParameter.MDC_RESP_RATE]: {
    mdc: 'MDC_RESP_RATE',
    name: 'Respiration rate',
    kind: 'numeric',
    units: [{ unit: Unit.MDC_DIM_RESP_PER_MIN, min: 0, max: 150 }],
  },
  [VitalParameter.MDC_PULS_OXIM_PLETH]: {
    mdc: 'MDC_PULS_OXIM_PLETH',
    name: 'Plethysmogram',
    kind: 'waveform',
    units: [{ unit: Unit.MDC_DIM_DIMLESS, min: -1e6, max: 1e6 }],
  },
  [VitalParameter.MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD]: {
    mdc: 'MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD',
    name: 'Glucose, capillary whole blood',
    kind: 'numeric',
    units: [
      { unit: Unit.MDC_DIM_MILLI_G_PER_DL, min: 10, max: 1_000 },
      { unit: Unit.MDC_DIM_MILLI_MOLE_PER_L, min: 0.5, max: 55.5 },
    ],
  },
  [VitalParameter.MDC_IDC_MSMT_BATTERY_VOLTAGE]: {
    mdc: 'MDC_IDC_MSMT_BATTERY_VOLTAGE',
    name: 'Implant battery voltage',
    kind: 'numeric',
    units: [{ unit: Unit.MDC_DIM_VOLT, min: 0, max: 10 }],
  },
  [VitalParameter.MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE]: {
    mdc: 'MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE',
    name: 'RV pacing lead impedance',
    kind: 'numeric',
    units: [{ unit: Unit.MDC_DIM_OHM, min: 0, max: 10_000 }],
  },
};

/** The spec of a parameter, or undefined for UNSPECIFIED and values outside the schema. */
export function parameterSpec(parameter: number): ParameterSpec | undefined {
  return (PARAMETERS as Readonly<Record<number, ParameterSpec>>)[parameter];
}

/** The UCUM code of a unit, or undefined for UNSPECIFIED and values outside the schema. */
export function ucumOf(unit: number): string | undefined {
  return (UCUM as Readonly<Record<number, string>>)[unit];
}
