/**
 * The IEEE 11073-10101 table (src/vital-parameters.ts). Enum values are MDC context-free codes,
 * partition × 65536 + term code; the spot checks below are taken from the standard's tables, not
 * from the implementation.
 */
import { describe, expect, it } from 'vitest';
import { PARAMETERS, UCUM, Unit, VitalParameter, parameterSpec, ucumOf } from '@medsim/protocol';
import { enumValues } from './arbitraries.js';

/** IEEE 11073-10101 partitions used here. */
const MDC_PART_SCADA = 2;
const MDC_PART_DIM = 4;
const mdcCode = (partition: number, term: number): number => partition * 65_536 + term;

describe('vital parameters', () => {
  it('[CTL-09] every VitalParameter except UNSPECIFIED has a spec named after its MDC reference id', { tags: ['CTL-09'] }, () => {
    const parameters = enumValues<VitalParameter>(VitalParameter);
    expect(parameters).toHaveLength(25);
    expect(Object.keys(PARAMETERS).map(Number).sort()).toEqual([...parameters].sort());
    for (const parameter of parameters) {
      const spec = parameterSpec(parameter);
      expect(spec?.mdc).toBe(VitalParameter[parameter]);
      expect(spec?.units.length).toBeGreaterThan(0);
      for (const { unit, min, max } of spec?.units ?? []) {
        expect(ucumOf(unit)).toBeDefined();
        expect(min).toBeLessThan(max);
      }
    }
  });

  it('[CTL-09] every Unit except UNSPECIFIED has a UCUM code', { tags: ['CTL-09'] }, () => {
    const units = enumValues<Unit>(Unit);
    expect(units).toHaveLength(11);
    expect(Object.keys(UCUM).map(Number).sort()).toEqual([...units].sort());
    for (const unit of units) expect(ucumOf(unit)).toMatch(/^\S+$/);
    expect([Unit.MDC_DIM_PERCENT, Unit.MDC_DIM_MMHG, Unit.MDC_DIM_DEGC, Unit.MDC_DIM_MILLI_VOLT, Unit.MDC_DIM_MILLI_G_PER_DL].map(ucumOf)).toEqual([
      '%',
      'mm[Hg]',
      'Cel',
      'mV',
      'mg/dL',
    ]);
  });

  it('[CTL-09] MDC codes are partition × 65536 + term code (spot checks against IEEE 11073-10101)', { tags: ['CTL-09'] }, () => {
    const spotChecks: [number, number, number, number][] = [
      [VitalParameter.MDC_PULS_OXIM_SAT_O2, MDC_PART_SCADA, 19_384, 150_456],
      [VitalParameter.MDC_ECG_ELEC_POTL_III, MDC_PART_SCADA, 317, 131_389],
      [VitalParameter.MDC_ECG_ELEC_POTL_I, MDC_PART_SCADA, 257, 131_329],
      [VitalParameter.MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD, MDC_PART_SCADA, 29_112, 160_184],
      [VitalParameter.MDC_ECG_HEART_RATE, MDC_PART_SCADA, 16_770, 147_842],
      [VitalParameter.MDC_PRESS_BLD_NONINV_SYS, MDC_PART_SCADA, 18_949, 150_021],
      [Unit.MDC_DIM_PERCENT, MDC_PART_DIM, 544, 262_688],
      [Unit.MDC_DIM_MMHG, MDC_PART_DIM, 3_872, 266_016],
      [Unit.MDC_DIM_BEAT_PER_MIN, MDC_PART_DIM, 2_720, 264_864],
      [Unit.MDC_DIM_DEGC, MDC_PART_DIM, 6_048, 268_192],
    ];
    for (const [value, partition, term, code] of spotChecks) {
      expect(value).toBe(code);
      expect(mdcCode(partition, term)).toBe(code);
    }
  });

  it('[CTL-09] every unit lies in partition 4 (MDC_PART_DIM)', { tags: ['CTL-09'] }, () => {
    for (const unit of enumValues<Unit>(Unit)) expect(Math.floor(unit / 65_536)).toBe(MDC_PART_DIM);
  });

  it('[CTL-09] ECG leads and the plethysmogram are waveforms, every other parameter a numeric', { tags: ['CTL-09'] }, () => {
    for (const parameter of enumValues<VitalParameter>(VitalParameter)) {
      const name = VitalParameter[parameter];
      const waveform = name.startsWith('MDC_ECG_ELEC_POTL_') || name === 'MDC_PULS_OXIM_PLETH';
      expect([name, parameterSpec(parameter)?.kind]).toEqual([name, waveform ? 'waveform' : 'numeric']);
    }
  });

  it('[CTL-09] SpO2 is 0-100 % and heart rate 0-350 /min: the widest a sensor reports, not physiology', { tags: ['CTL-09'] }, () => {
    expect(parameterSpec(VitalParameter.MDC_PULS_OXIM_SAT_O2)?.units).toEqual([{ unit: Unit.MDC_DIM_PERCENT, min: 0, max: 100 }]);
    expect(parameterSpec(VitalParameter.MDC_ECG_HEART_RATE)?.units).toEqual([{ unit: Unit.MDC_DIM_BEAT_PER_MIN, min: 0, max: 350 }]);
  });

  it('[CTL-09] codes outside the schema have no spec and no UCUM code', { tags: ['CTL-09'] }, () => {
    for (const code of [0, 1, 12_345, -1, 150_456.5]) expect(parameterSpec(code)).toBeUndefined();
    for (const code of [0, 999, Number.NaN]) expect(ucumOf(code)).toBeUndefined();
  });
});
