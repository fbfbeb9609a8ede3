import { describe, expect, it } from 'vitest';
import { idsFromTitle, isEvidenceId, testIds } from '../../src/results/index.js';

describe('evidence ids', () => {
  it('are controls CTL-nn and attack or fault cases C, J, S, M, F, U 1..99', () => {
    for (const id of ['CTL-01', 'CTL-24', 'C1', 'J14', 'S10', 'M16', 'F3', 'U16']) expect(isEvidenceId(id)).toBe(true);
    for (const id of ['CTL-1', 'ctl-01', 'CTL-001', 'U0', 'X1', 'U100', 'MQTT-3.1.0-2', 'slow', '']) expect(isEvidenceId(id)).toBe(false);
  });

  it('are read from every leading [ID] group of a title, skipping groups that are not evidence ids', () => {
    expect(idsFromTitle('[CTL-12][U3] refuses a rollback')).toEqual(['CTL-12', 'U3']);
    expect(idsFromTitle('  [S8] [CTL-06] WSS only')).toEqual(['S8', 'CTL-06']);
    expect(idsFromTitle('[MQTT-3.1.0-2][CTL-06] second CONNECT closes')).toEqual(['CTL-06']);
    expect(idsFromTitle('refuses a rollback [CTL-12]')).toEqual([]);
    expect(idsFromTitle('[CTL-12 refuses')).toEqual([]);
    expect(idsFromTitle(`[${'x'.repeat(100)}][CTL-12] long group`)).toEqual([]);
  });

  it('of a test are its tags then its title prefixes, without duplicates', () => {
    expect(testIds(['CTL-07', 'slow', 'C4'], ['[CTL-07] envelope', '[C4][CTL-08] flipped bit'])).toEqual(['CTL-07', 'C4', 'CTL-08']);
  });
});
