import { CheckResult, Severity, decodeMessage, encodeMessage, type MessageFields } from '@medsim/protocol';
import { describe, expect, it } from 'vitest';
import { expectRefusal, samples } from '../fixtures.js';

const report = samples.MaintenanceReport as MessageFields['MaintenanceReport'];
const refused = (fields: MessageFields['MaintenanceReport']): (() => unknown) => () => encodeMessage('MaintenanceReport', fields);

describe('MaintenanceReport', () => {
  it('round-trips a self-test and a log', () => {
    expect(decodeMessage('MaintenanceReport', encodeMessage('MaintenanceReport', report)).checks).toHaveLength(1);
  });

  it('[CTL-09] holds identifiers only, so free text (patient data) does not fit', { tags: ['CTL-09'] }, () => {
    const log = report.logs![0]!;
    const check = report.checks![0]!;
    expectRefusal(refused({ ...report, logs: [{ ...log, event: 'Patient Kim, 54, seen at 10:02' }] }), 'ERR_PROTOCOL_INCONSISTENT');
    expectRefusal(refused({ ...report, logs: [{ ...log, component: 'Link' }] }), 'ERR_PROTOCOL_INCONSISTENT');
    expectRefusal(refused({ ...report, logs: [{ ...log, code: 'not a code' }] }), 'ERR_PROTOCOL_INCONSISTENT');
    expectRefusal(refused({ ...report, checks: [{ ...check, name: 'probe of Mr Lee' }] }), 'ERR_PROTOCOL_INCONSISTENT');
    expectRefusal(refused({ ...report, checks: [{ ...check, unit: 'é' }] }), 'ERR_PROTOCOL_OUT_OF_RANGE');
    expectRefusal(refused({ ...report, checks: [{ ...check, result: CheckResult.CHECK_RESULT_UNSPECIFIED }] }), 'ERR_PROTOCOL_MISSING_FIELD');
    expectRefusal(refused({ ...report, logs: Array.from({ length: 201 }, () => ({ ...log, severity: Severity.SEVERITY_LOW })) }), 'ERR_PROTOCOL_OUT_OF_RANGE');
  });
});
