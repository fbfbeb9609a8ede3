/**
 * The documents from one evidence set: a run in which a CTL-07 test failed must show every
 * requirement mapped to CTL-07 as a gap (never applied) in the checklist, the failure in the V&V
 * report, and the threats relying on CTL-07 flagged in the risk file; Markdown and HTML say the same.
 */
import { describe, expect, it } from 'vitest';
import { buildEvidence, checklistDocument, renderHtml, renderMarkdown, riskFileDocument, threatsByControl, vvReportDocument, type RiskRegisterView } from '../../src/documents/index.js';
import { checklistHeader } from '../../src/header.js';
import { readVitestReport } from '../../src/results/index.js';
import { FIXTURE_ROOT, fixtureReport } from '../fixtures/evidence-catalogue.js';

const register: RiskRegisterView = {
  assets: [{ id: 'biometric-data', name: 'Biometric data', description: 'Readings in transit and at rest.', principles: ['confidentiality', 'integrity'] }],
  boundaries: [{ id: 'device-network', name: 'Device network', description: 'Between devices and the gateway.' }],
  interfaces: [{ id: 'mqtt-device-plane', name: 'MQTT device plane', between: ['device', 'gateway'], protocol: 'MQTT over mutual TLS', boundary: 'device-network', description: 'Readings up, commands down.', notApplicable: {} }],
  threats: [
    {
      id: 'THR-001',
      title: 'Reading altered in transit',
      interface: 'mqtt-device-plane',
      assets: ['biometric-data'],
      stride: 'T',
      cwe: { id: 'CWE-345', name: 'Insufficient Verification of Data Authenticity' },
      actor: 'On-path attacker',
      scenario: 'Flips bits of a sealed reading.',
      harm: 'A wrong reading drives a wrong decision.',
      multiPatient: false,
      cia: ['integrity'],
      before: { severity: 3, exploitability: 4 },
      controls: ['CTL-07'],
      attackCases: ['C4'],
      after: { severity: 3, exploitability: 1 },
      residual: 'acceptable',
      rationale: 'AES-256-GCM tags every envelope.',
    },
  ],
};

function evidence(report: 'ctl07-failed' | 'all-passed') {
  return buildEvidence({
    profileId: 'mfds-2019',
    run: readVitestReport(fixtureReport(report), { rootDir: FIXTURE_ROOT }),
    header: checklistHeader([{ model: 'insulin-pump', displayName: 'Insulin pump', safetyLevel: 'major', purposes: ['monitoring', 'control'], technologies: ['BLE'] }], [], 'home'),
    software: { name: 'medsim', version: '0.0.0', commit: 'abc1234', dirty: false, environment: { 'Node.js': 'v20.20.2' }, tools: { vitest: '4.1.12' } },
    threatsByControl: threatsByControl(register.threats),
    generatedAt: '2026-11-29T04:00:00.000Z',
  });
}

describe('the submission documents', () => {
  it('the checklist never shows a requirement as applied when one of its tests failed', () => {
    const set = evidence('ctl07-failed');
    const item = set.items.find((i) => i.item.id === '2.1')!;
    expect(item.status).toBe('gap');
    const markdown = renderMarkdown(checklistDocument(set));
    const row = markdown.split('\n').find((line) => line.startsWith('| **2.1**'))!;
    expect(row).toContain('GAP: a verifying test failed');
    expect(row).toContain('RECONSTRUCTED by medsim; not official text');
    expect(row).toContain('VV-CTL-07');
    expect(row).toContain('RMF-THR-001');
    // The seed's verbatim items say so; the header comes from the devices given.
    expect(markdown.split('\n').find((line) => line.startsWith('| **1.2**'))).toContain('(official text)');
    expect(markdown).toContain('| Cybersecurity safety level | Major (상)');
    // No item is applied in this run unless all its controls had passing tests.
    for (const e of set.items) if (e.status === 'applied') expect(e.controls.every((c) => c.status === 'applied')).toBe(true);
  });

  it('the V&V report shows the failing test with its failure, and the HTML prints the same tables with a status chart', () => {
    const set = evidence('ctl07-failed');
    const vv = renderMarkdown(vvReportDocument(set));
    expect(vv).toContain('## VV-CTL-07');
    expect(vv).toMatch(/failure: /u);
    expect(vv).toContain('`abc1234`');
    const html = renderHtml(checklistDocument(set));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<svg role="img"');
    expect(html).toContain('<th>Verification method of conformity</th>');
    expect(html).not.toContain('<script');
  });

  it('the risk file flags a threat whose control is not applied in this run, and not when it is', () => {
    const failed = renderMarkdown(riskFileDocument(evidence('ctl07-failed'), register));
    expect(failed).toContain('## Threats whose controls are not applied in this run');
    expect(failed).toContain('RMF-THR-001 Reading altered in transit: CTL-07');
    const passed = renderMarkdown(riskFileDocument(evidence('all-passed'), register));
    expect(passed).not.toContain('## Threats whose controls are not applied in this run');
    expect(passed).toContain('S3 serious × E1 impractical → acceptable');
  });
});
