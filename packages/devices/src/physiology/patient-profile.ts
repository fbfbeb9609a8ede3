/**
 * Simulated patients: who they are (age, sex, weight) and their resting baselines, plus diabetes
 * and pacemaker parameters where relevant. Every value is a plausible adult value for the condition,
 * referenced to a common clinical range in a comment. These are synthetic patients for a simulator,
 * NOT for clinical use: no real person's data, no diagnosis or dosing advice.
 */
import { PhysiologyInvalidArgumentError } from '../errors.js';

/** Resting values the models vary around. */
export interface PhysiologyBaselines {
  /** Resting heart rate, beats/min (the intrinsic rate for a pacemaker patient). */
  readonly heartRateBpm: number;
  /** Short-term (5-minute) heart rate variability, SDNN of RR intervals, ms. */
  readonly hrvSdnnMs: number;
  /** Resting SpO2, %. */
  readonly spo2Percent: number;
  /** Pulse oximeter perfusion index (pulsatile / static infrared absorption), %. */
  readonly perfusionIndexPercent: number;
  /** Daytime systolic pressure, mmHg. */
  readonly systolicMmHg: number;
  /** Daytime diastolic pressure, mmHg. */
  readonly diastolicMmHg: number;
  /** Fraction by which blood pressure falls at night (0.1 to 0.2 for a "dipper"). */
  readonly nocturnalDipFraction: number;
  /** Extra systolic pressure measured in a clinic ("white coat" effect), mmHg; half of it on diastolic. */
  readonly whiteCoatSystolicMmHg: number;
  /** Respiration rate, breaths/min. */
  readonly respirationRate: number;
  /** Core temperature (daily mean), °C. */
  readonly coreTemperatureC: number;
  /** Fasting plasma glucose, mg/dL. */
  readonly fastingGlucoseMgDl: number;
  /** Spontaneous desaturation episodes per hour (a drop of a few % lasting 20 to 120 s). */
  readonly desaturationsPerHour: number;
  /** Typical depth of a spontaneous desaturation, SpO2 %. */
  readonly desaturationDepthPercent: number;
}

/** A meal in the daily plan of a diabetic profile (the patient eats it with seeded variation). */
export interface PlannedMeal {
  readonly name: string;
  /** Local clock time, minutes after midnight. */
  readonly minuteOfDay: number;
  /** Carbohydrate, g. */
  readonly carbsG: number;
}

/** Insulin therapy parameters of a person with diabetes (the settings a pump or bolus calculator holds). */
export interface DiabetesParameters {
  /** Insulin sensitivity factor: glucose fall per unit of rapid-acting insulin, mg/dL per U. */
  readonly insulinSensitivityMgDlPerU: number;
  /** Carb ratio: carbohydrate covered by one unit, g per U. */
  readonly carbRatioGPerU: number;
  /** Time for a typical meal to be fully absorbed, minutes. */
  readonly carbAbsorptionMinutes: number;
  /** Duration of insulin action, minutes. */
  readonly insulinActionMinutes: number;
  /** Time to peak insulin activity, minutes. */
  readonly insulinPeakMinutes: number;
  /** Basal insulin need, U/h (what a pump's basal or a long-acting injection covers). */
  readonly basalRateUPerH: number;
  /** The day's meals. */
  readonly mealPlan: readonly PlannedMeal[];
}

/** Pacemaker facts of a patient who has one. */
export interface PacemakerParameters {
  /** Rate of the patient's own rhythm, beats/min (what shows when pacing is off). */
  readonly intrinsicRateBpm: number;
  /** True when the patient depends on pacing (no adequate escape rhythm). */
  readonly dependent: boolean;
  /** Lower rate the pacemaker is programmed to, pulses/min. */
  readonly programmedLowerRateBpm: number;
}

/** A simulated patient. */
export interface PatientProfile {
  readonly id: string;
  readonly description: string;
  /** Years. */
  readonly age: number;
  readonly sex: 'female' | 'male';
  /** kg. */
  readonly weightKg: number;
  readonly baselines: PhysiologyBaselines;
  readonly diabetes?: DiabetesParameters;
  readonly pacemaker?: PacemakerParameters;
}

// Three meals a day with a small afternoon snack; carbohydrate amounts typical of an adult plan
// (45-60 g per meal is the common teaching figure for carbohydrate counting).
const DEFAULT_MEAL_PLAN: readonly PlannedMeal[] = [
  { name: 'breakfast', minuteOfDay: 7 * 60 + 30, carbsG: 45 },
  { name: 'lunch', minuteOfDay: 12 * 60 + 30, carbsG: 60 },
  { name: 'snack', minuteOfDay: 16 * 60, carbsG: 15 },
  { name: 'dinner', minuteOfDay: 19 * 60, carbsG: 65 },
];

/** The catalogue of simulated patients, by id. */
export const PATIENT_PROFILES = {
  'healthy-adult': {
    id: 'healthy-adult',
    description: 'Healthy adult, no chronic condition.',
    age: 35,
    sex: 'female',
    weightKg: 68,
    baselines: {
      heartRateBpm: 68, // normal resting 60-100 bpm (AHA)
      hrvSdnnMs: 50, // 5-min SDNN norms ~32-93 ms, mean ~50 (Nunan et al., PACE 2010)
      spo2Percent: 98, // normal 95-100 % at sea level
      perfusionIndexPercent: 3, // finger PI of healthy adults ~0.3-10 %, median ~2-4 %
      systolicMmHg: 116, // "normal" < 120/80 mmHg (ACC/AHA 2017)
      diastolicMmHg: 74,
      nocturnalDipFraction: 0.12, // normal nocturnal dip 10-20 % (ESH 2023)
      whiteCoatSystolicMmHg: 5,
      respirationRate: 14, // adult 12-20 /min
      coreTemperatureC: 36.8, // core 36.5-37.5 °C
      fastingGlucoseMgDl: 88, // normal fasting 70-99 mg/dL (ADA Standards of Care)
      desaturationsPerHour: 0.2, // AHI < 5/h is normal; few dips >= 3 %
      desaturationDepthPercent: 3,
    },
  },
  'elderly-hypertensive': {
    id: 'elderly-hypertensive',
    description: 'Older adult with treated but uncontrolled stage 2 hypertension, non-dipper, white-coat effect.',
    age: 74,
    sex: 'male',
    weightKg: 82,
    baselines: {
      heartRateBpm: 72,
      hrvSdnnMs: 28, // SDNN falls with age; 70+ years ~20-35 ms short-term
      spo2Percent: 95, // >= 94 % usual in older adults without lung disease
      perfusionIndexPercent: 1.5,
      systolicMmHg: 152, // stage 2 hypertension >= 140/90 (ACC/AHA 2017)
      diastolicMmHg: 88,
      nocturnalDipFraction: 0.04, // non-dipper: dip < 10 %
      whiteCoatSystolicMmHg: 15, // white-coat effect commonly 10-20 mmHg systolic
      respirationRate: 16,
      coreTemperatureC: 36.5, // older adults run lower
      fastingGlucoseMgDl: 102, // impaired fasting glucose 100-125 mg/dL (ADA)
      desaturationsPerHour: 1,
      desaturationDepthPercent: 3,
    },
  },
  copd: {
    id: 'copd',
    description: 'Chronic obstructive pulmonary disease (GOLD 3), chronic hypoxaemia and frequent desaturations.',
    age: 67,
    sex: 'male',
    weightKg: 66,
    baselines: {
      heartRateBpm: 88, // resting tachycardia is common in COPD
      hrvSdnnMs: 24,
      spo2Percent: 91, // target 88-92 % in COPD with hypercapnic risk (BTS oxygen guideline 2017)
      perfusionIndexPercent: 2,
      systolicMmHg: 132,
      diastolicMmHg: 80,
      nocturnalDipFraction: 0.08,
      whiteCoatSystolicMmHg: 5,
      respirationRate: 21, // tachypnoea, > 20 /min
      coreTemperatureC: 36.7,
      fastingGlucoseMgDl: 96,
      desaturationsPerHour: 4, // exertional and nocturnal desaturations
      desaturationDepthPercent: 5,
    },
  },
  'type-1-diabetes': {
    id: 'type-1-diabetes',
    description: 'Adult with type 1 diabetes on intensive insulin therapy (injections or pump), total daily dose ~36 U.',
    age: 28,
    sex: 'female',
    weightKg: 62,
    baselines: {
      heartRateBpm: 74,
      hrvSdnnMs: 42,
      spo2Percent: 98,
      perfusionIndexPercent: 3,
      systolicMmHg: 116,
      diastolicMmHg: 74,
      nocturnalDipFraction: 0.11,
      whiteCoatSystolicMmHg: 5,
      respirationRate: 14,
      coreTemperatureC: 36.8,
      fastingGlucoseMgDl: 120, // pre-meal target 80-130 mg/dL (ADA Standards of Care)
      desaturationsPerHour: 0.2,
      desaturationDepthPercent: 3,
    },
    diabetes: {
      insulinSensitivityMgDlPerU: 50, // "1800 rule": 1800 / 36 U per day
      carbRatioGPerU: 12, // "500 rule": 500 / 36 U per day ~ 14, rounded down
      carbAbsorptionMinutes: 180, // Loop's default "medium" absorption time, 3 h
      insulinActionMinutes: 360, // LoopKit ExponentialInsulinModelPreset rapidActingAdult: 360 min
      insulinPeakMinutes: 75, // same preset: peak activity 75 min
      basalRateUPerH: 0.8, // basal ~ 50 % of total daily dose: 18 U / 24 h
      mealPlan: DEFAULT_MEAL_PLAN,
    },
  },
  'heart-failure': {
    id: 'heart-failure',
    description: 'Chronic heart failure with reduced ejection fraction (NYHA III): low pressure, low perfusion, reduced HRV.',
    age: 70,
    sex: 'male',
    weightKg: 79,
    baselines: {
      heartRateBpm: 84, // > 70 bpm is common despite beta-blockers (SHIFT trial entry criterion)
      hrvSdnnMs: 20, // depressed HRV predicts mortality (UK-HEART, Nolan et al. 1998)
      spo2Percent: 94,
      perfusionIndexPercent: 0.8, // low cardiac output, peripheral vasoconstriction
      systolicMmHg: 106, // low-normal systolic typical of HFrEF on therapy
      diastolicMmHg: 66,
      nocturnalDipFraction: 0.05,
      whiteCoatSystolicMmHg: 5,
      respirationRate: 20,
      coreTemperatureC: 36.5,
      fastingGlucoseMgDl: 104,
      desaturationsPerHour: 1.5, // central sleep apnoea / Cheyne-Stokes breathing is frequent in HF
      desaturationDepthPercent: 4,
    },
  },
  'bradycardia-pacemaker': {
    id: 'bradycardia-pacemaker',
    description: 'Older adult with sinus node dysfunction (intrinsic rate ~40 bpm), pacing-dependent, single-chamber pacemaker.',
    age: 78,
    sex: 'female',
    weightKg: 63,
    baselines: {
      heartRateBpm: 40, // sinus bradycardia < 50 bpm (ACC/AHA/HRS 2018 bradycardia guideline)
      hrvSdnnMs: 20,
      spo2Percent: 96,
      perfusionIndexPercent: 1.5,
      systolicMmHg: 138,
      diastolicMmHg: 76,
      nocturnalDipFraction: 0.08,
      whiteCoatSystolicMmHg: 8,
      respirationRate: 16,
      coreTemperatureC: 36.6,
      fastingGlucoseMgDl: 98,
      desaturationsPerHour: 0.5,
      desaturationDepthPercent: 3,
    },
    pacemaker: {
      intrinsicRateBpm: 40,
      dependent: true,
      programmedLowerRateBpm: 60, // the usual nominal lower rate of bradycardia pacemakers
    },
  },
  athlete: {
    id: 'athlete',
    description: 'Endurance athlete: resting bradycardia and high vagal tone.',
    age: 24,
    sex: 'male',
    weightKg: 72,
    baselines: {
      heartRateBpm: 48, // athletic bradycardia 40-60 bpm
      hrvSdnnMs: 85, // trained athletes show high vagally mediated HRV
      spo2Percent: 98,
      perfusionIndexPercent: 5,
      systolicMmHg: 114,
      diastolicMmHg: 68,
      nocturnalDipFraction: 0.13,
      whiteCoatSystolicMmHg: 3,
      respirationRate: 12,
      coreTemperatureC: 36.7,
      fastingGlucoseMgDl: 84,
      desaturationsPerHour: 0.1,
      desaturationDepthPercent: 3,
    },
  },
} as const satisfies Readonly<Record<string, PatientProfile>>;

/** The id of a catalogued profile. */
export type PatientProfileId = keyof typeof PATIENT_PROFILES;

/** Ids of the catalogued profiles. */
export const PATIENT_PROFILE_IDS = Object.keys(PATIENT_PROFILES) as readonly PatientProfileId[];

/** The catalogued profile `id`, or ERR_PHYSIOLOGY_INVALID_ARGUMENT for an unknown id. */
export function patientProfile(id: string): PatientProfile {
  if (!Object.hasOwn(PATIENT_PROFILES, id)) throw new PhysiologyInvalidArgumentError(`Unknown patient profile "${id}"`, { details: { field: 'profile' } });
  return PATIENT_PROFILES[id as PatientProfileId];
}

// Accepted ranges for a caller-built profile: wide enough for any simulated adult, narrow enough
// that the models stay stable (units as in the field names).
const RANGES: Readonly<Record<keyof PhysiologyBaselines, readonly [number, number]>> = {
  heartRateBpm: [25, 200],
  hrvSdnnMs: [0, 250],
  spo2Percent: [60, 100],
  perfusionIndexPercent: [0.02, 20],
  systolicMmHg: [60, 250],
  diastolicMmHg: [30, 150],
  nocturnalDipFraction: [0, 0.3],
  whiteCoatSystolicMmHg: [0, 40],
  respirationRate: [4, 60],
  coreTemperatureC: [34, 39],
  fastingGlucoseMgDl: [40, 400],
  desaturationsPerHour: [0, 60],
  desaturationDepthPercent: [0, 30],
};

const DIABETES_RANGES: Readonly<Record<Exclude<keyof DiabetesParameters, 'mealPlan'>, readonly [number, number]>> = {
  insulinSensitivityMgDlPerU: [5, 400],
  carbRatioGPerU: [1, 100],
  carbAbsorptionMinutes: [30, 480],
  insulinActionMinutes: [120, 600],
  insulinPeakMinutes: [20, 180],
  basalRateUPerH: [0, 5],
};

function checkRange(value: unknown, [min, max]: readonly [number, number], field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new PhysiologyInvalidArgumentError(`${field} must be a number in [${min}, ${max}]`, { details: { field } });
  }
}

/**
 * Checks a profile (catalogued or caller-built) against the ranges the models are stable in and
 * returns it; ERR_PHYSIOLOGY_INVALID_ARGUMENT names the first field out of range.
 */
export function validatePatientProfile(profile: PatientProfile): PatientProfile {
  if (typeof profile !== 'object' || profile === null || typeof profile.baselines !== 'object' || profile.baselines === null) {
    throw new PhysiologyInvalidArgumentError('profile must be a PatientProfile or the id of one', { details: { field: 'profile' } });
  }
  if (typeof profile.id !== 'string' || profile.id.length === 0 || profile.id.length > 64) {
    throw new PhysiologyInvalidArgumentError('profile.id must be 1 to 64 characters', { details: { field: 'profile.id' } });
  }
  checkRange(profile.age, [0, 120], 'profile.age');
  checkRange(profile.weightKg, [1, 300], 'profile.weightKg');
  for (const [field, range] of Object.entries(RANGES) as [keyof PhysiologyBaselines, readonly [number, number]][]) {
    checkRange(profile.baselines[field], range, `profile.baselines.${field}`);
  }
  if (profile.baselines.diastolicMmHg >= profile.baselines.systolicMmHg - 10) {
    throw new PhysiologyInvalidArgumentError('profile.baselines.diastolicMmHg must be at least 10 mmHg below systolic', { details: { field: 'profile.baselines.diastolicMmHg' } });
  }
  if (profile.diabetes !== undefined) {
    const diabetes = profile.diabetes;
    for (const [field, range] of Object.entries(DIABETES_RANGES) as [Exclude<keyof DiabetesParameters, 'mealPlan'>, readonly [number, number]][]) {
      checkRange(diabetes[field], range, `profile.diabetes.${field}`);
    }
    if (diabetes.insulinPeakMinutes >= diabetes.insulinActionMinutes / 2) {
      // The exponential insulin model needs peak < duration / 2 (its time constant diverges there).
      throw new PhysiologyInvalidArgumentError('profile.diabetes.insulinPeakMinutes must be below half the action time', { details: { field: 'profile.diabetes.insulinPeakMinutes' } });
    }
    if (diabetes.mealPlan.length > 12) throw new PhysiologyInvalidArgumentError('profile.diabetes.mealPlan holds at most 12 meals', { details: { field: 'profile.diabetes.mealPlan' } });
    diabetes.mealPlan.forEach((meal, i) => {
      checkRange(meal.minuteOfDay, [0, 1439], `profile.diabetes.mealPlan[${i}].minuteOfDay`);
      checkRange(meal.carbsG, [0, 300], `profile.diabetes.mealPlan[${i}].carbsG`);
    });
  }
  if (profile.pacemaker !== undefined) {
    checkRange(profile.pacemaker.intrinsicRateBpm, [20, 200], 'profile.pacemaker.intrinsicRateBpm');
    checkRange(profile.pacemaker.programmedLowerRateBpm, [30, 150], 'profile.pacemaker.programmedLowerRateBpm');
  }
  return profile;
}
