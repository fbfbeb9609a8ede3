import { describe, expect, it } from 'vitest';
import { AuditStream, createLogger, type AuditRecord } from '@medsim/logging';
import { Capture } from './capture.js';

const at = Date.UTC(2026, 10, 28, 12, 0, 0);

describe('AuditStream', () => {
  it('[CTL-14] writes each event with its time, actor, role, source, outcome and object, at a level by severity', { tags: ['CTL-14'] }, () => {
    const capture = new Capture();
    const audit = new AuditStream(createLogger({ destination: capture }), () => at);
    audit.record({ event: 'auth.login', outcome: 'failure', severity: 'medium', actor: 'dr-kim', role: 'clinician', source: '127.0.0.1', code: 'ERR_AUTH_BAD_CREDENTIALS' });
    audit.record({ event: 'device.clone-suspected', outcome: 'denied', severity: 'critical', actor: 'pump-0001', role: 'device', object: 'pump-0001' });
    expect(capture.lines).toEqual([
      expect.objectContaining({ audit: true, component: 'audit', level: 'warn', msg: 'auth.login', event: 'auth.login', at: '2026-11-28T12:00:00.000Z', actor: 'dr-kim', role: 'clinician', source: '127.0.0.1', outcome: 'failure' }),
      expect.objectContaining({ audit: true, level: 'error', event: 'device.clone-suspected', object: 'pump-0001', outcome: 'denied' }),
    ]);
  });

  it('[CTL-14] hands every record to the sinks in order, and a sink failure fails the record', { tags: ['CTL-14'] }, () => {
    const capture = new Capture();
    const audit = new AuditStream(createLogger({ destination: capture }), () => at);
    const kept: AuditRecord[] = [];
    audit.addSink({ append: (record) => kept.push(record) });
    audit.record({ event: 'session.supersede', outcome: 'success', severity: 'low', actor: 'dr-kim' });
    audit.addSink({
      append: () => {
        throw new Error('audit table full');
      },
    });
    expect(() => audit.record({ event: 'auth.logout', outcome: 'success', severity: 'info', actor: 'dr-kim' })).toThrow('audit table full');
    expect(kept.map((r) => r.event)).toEqual(['session.supersede', 'auth.logout']);
    // The failed record is not logged as if it had been kept.
    expect(capture.lines.map((line) => line['event'])).toEqual(['session.supersede']);
  });

  it('[CTL-14] refuses event names that are not dotted lower case', { tags: ['CTL-14'] }, () => {
    const audit = new AuditStream(createLogger({ level: 'silent' }));
    for (const event of ['login', 'Auth.Login', 'auth..login', 'auth.login\n{"audit":false}']) {
      expect(() => audit.record({ event, outcome: 'success', severity: 'info', actor: 'x' })).toThrow(TypeError);
    }
  });
});
