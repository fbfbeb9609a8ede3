/**
 * Maintenance commands (issue 4; CTL-01, CTL-08, CTL-15): an ultrasound-class imaging system's
 * maintenance channel over the real planes. A technician orders (any enrolled device, no patient
 * scope), confirms with a fresh TOTP code, the device receives the signed command and answers with
 * a signed acknowledgement and a MaintenanceReport on its `status` channel, which the technician
 * reads back; no other role orders or confirms maintenance, and technicians order no therapy.
 */
import { CheckResult, CommandStatus, ContentType, STREAM_IDS, Severity, encodeMessage, type MessageFields } from '@medsim/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCommandEvidence, type CommandEvidence } from '../../src/index.js';
import { TherapyRig, bolus, type Pump, type RigUser } from './helpers.js';

let rig: TherapyRig;
let patient: string;
let technician: RigUser;
let techToken: string;
let clinician: RigUser;
let clinicianToken: string;
let auditorToken: string;
let scanner: Pump;

const DIAGNOSTICS = { action: { kind: 'run-diagnostics' } };

beforeAll(async () => {
  rig = await TherapyRig.start();
  patient = rig.patient('Gus Hay');
  technician = await rig.user('technician');
  clinician = await rig.user('clinician', { careTeam: [patient] });
  techToken = await rig.login(technician);
  clinicianToken = await rig.login(clinician);
  auditorToken = await rig.login(await rig.user('auditor'));
  // The imaging system has no patient: maintenance needs none.
  scanner = await rig.connect(await rig.enrol('us-1', null, 'ultrasound'));
  await rig.enrol('pump-care', patient);
});
afterAll(async () => rig.close());

/** Orders a maintenance action as `token`; returns the answer. */
const orderMaintenance = (deviceId: string, body: unknown, token = techToken): ReturnType<TherapyRig['request']> =>
  rig.request('POST', `/v1/devices/${deviceId}/maintenance-commands`, { token, body });

/** Confirms as `token` with `body` (the step-up factor). */
const confirm = (commandId: string, token: string, body: unknown): ReturnType<TherapyRig['request']> =>
  rig.request('POST', `/v1/therapy-commands/${commandId}/confirm`, { token, body });

/** Seals a MaintenanceReport with the device's session, as firmware does, and publishes it on `status`; resolves on PUBACK (after the commit). */
async function sendReport(device: Pump, report: MessageFields['MaintenanceReport']): Promise<void> {
  const envelope = device.client.session.seal(ContentType.CONTENT_TYPE_MAINTENANCE_REPORT, encodeMessage('MaintenanceReport', report), { streamId: STREAM_IDS.control });
  await device.client.publish('status', envelope);
}

/** The audit object shape of a maintenance command: ids only, no patient. */
const MAINTENANCE_OBJECT = /^therapy-command\/[0-9a-f]{32};device\/[a-z0-9-]+;session\/[0-9a-f-]{36}(;sequence\/\d+)?$/u;

describe('maintenance commands end to end (CTL-08, CTL-15)', () => {
  it('[CTL-01][CTL-08][CTL-15] a technician orders run-diagnostics, confirms with a fresh TOTP code; the device gets it signed, acks it executed, and its report is read back', { tags: ['CTL-01', 'CTL-08', 'CTL-15'] }, async () => {
    const order = await orderMaintenance('us-1', DIAGNOSTICS);
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({
      purpose: 'maintenance',
      deviceId: 'us-1',
      patientId: null,
      status: 'awaiting-confirmation',
      sequence: null,
      action: { kind: 'run-diagnostics' },
      summary: 'Run diagnostics (self-test), ultrasound us-1',
      issuerUserId: technician.id,
    });
    const commandId = order.body['commandId'] as string;
    // A technician's account has TOTP (privileged role): no factor, or the password, is not enough.
    expect((await confirm(commandId, techToken, {})).body['code']).toBe('ERR_THERAPY_STEP_UP_REQUIRED');
    expect((await confirm(commandId, techToken, { password: technician.password })).body['code']).toBe('ERR_THERAPY_STEP_UP_REQUIRED');
    const confirmed = await confirm(commandId, techToken, { totpCode: rig.freshCode(technician) });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'sent', sequence: 1 });

    const received = await scanner.receiver.next();
    expect(received.header.contentType).toBe(ContentType.CONTENT_TYPE_THERAPY_COMMAND);
    const command = received.command;
    expect(Buffer.from(command.commandId).toString('hex')).toBe(commandId);
    expect(command.deviceId).toBe('us-1');
    expect(command.action).toBe('runDiagnostics');
    expect(command.runDiagnostics).toBeDefined();
    expect(command.issuerUserId).toBe(technician.id);
    expect(command.commandSequence).toBe(1);

    await scanner.receiver.acknowledge(command, CommandStatus.COMMAND_STATUS_EXECUTED);
    const read = await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token: techToken });
    expect(read.body).toMatchObject({ status: 'executed', ackStatus: 'executed', purpose: 'maintenance' });

    const generatedAtMs = rig.clock.nowMs;
    await sendReport(scanner, {
      commandId: command.commandId,
      generatedAtMs,
      checks: [
        { name: 'transducer.elements', result: CheckResult.CHECK_RESULT_PASS, value: 128, unit: '{elements}' },
        { name: 'fan.speed', result: CheckResult.CHECK_RESULT_WARN, value: 3100.5, unit: '/min' },
      ],
      logs: [],
    });
    const reports = await rig.request('GET', '/v1/devices/us-1/maintenance-reports', { token: techToken });
    expect(reports.status).toBe(200);
    expect(reports.body).toEqual({
      reports: [
        {
          id: expect.any(Number),
          deviceId: 'us-1',
          commandId,
          generatedAt: new Date(generatedAtMs).toISOString(),
          receivedAt: expect.any(String),
          checks: [
            { name: 'transducer.elements', result: 'pass', value: 128, unit: '{elements}' },
            { name: 'fan.speed', result: 'warn', value: 3100.5, unit: '/min' },
          ],
          logs: [],
        },
      ],
      next: null,
    });

    // Every step audited with ids only (no patient: there is none), under maintenance.*.
    const trail = rig.auditOf(commandId);
    expect(trail.map((e) => `${e.event}:${e.outcome}`)).toEqual([
      'maintenance.order:success',
      'maintenance.confirm:denied',
      'maintenance.confirm:denied',
      'maintenance.confirm:success',
      'maintenance.send:success',
      'maintenance.ack:success',
      'maintenance.report:success',
    ]);
    expect(trail.every((e) => MAINTENANCE_OBJECT.test(e.object ?? ''))).toBe(true);
    expect(rig.audit().at(-1)).toMatchObject({ event: 'maintenance.report-read', outcome: 'success', actor: technician.id, role: 'technician', object: 'device/us-1' });

    // The auditor's evidence verifies offline like a therapy command's.
    const evidence = await rig.request('GET', `/v1/therapy-commands/${commandId}/evidence`, { token: auditorToken });
    expect(evidence.status).toBe(200);
    expect(evidence.body).toMatchObject({ patientId: null, status: 'executed' });
    const verified = await verifyCommandEvidence(evidence.body as unknown as CommandEvidence, { requireAck: true });
    expect(verified.command.action).toBe('runDiagnostics');
  });

  it('[CTL-15] upload-logs and service mode on a device that has a patient: no patient in the command, the report stored without one, reports newest first and paged', { tags: ['CTL-15', 'CTL-01'] }, async () => {
    const pump = await rig.connect(await rig.enrol('pump-service', patient));
    const since = rig.clock.nowMs - 3_600_000;
    const sent: string[] = [];
    for (const [action, summary] of [
      [{ kind: 'open-service-mode', durationMinutes: 30 }, 'Open service mode for 30 min'],
      [{ kind: 'upload-logs', sinceMs: since, maxEntries: 50 }, `Upload the device log, at most 50 entries since ${new Date(since).toISOString()}`],
      [{ kind: 'close-service-mode' }, 'Close service mode'],
    ] as const) {
      const order = await orderMaintenance('pump-service', { action });
      expect(order.status).toBe(201);
      // A technician works on the device, never sees whose it is.
      expect(order.body).toMatchObject({ patientId: null, summary: `${summary}, insulin-pump pump-service` });
      const commandId = order.body['commandId'] as string;
      expect((await confirm(commandId, techToken, { totpCode: rig.freshCode(technician) })).body['status']).toBe('sent');
      sent.push(commandId);
    }
    const received = [await pump.receiver.next(), await pump.receiver.next(), await pump.receiver.next()].map((r) => r.command);
    expect(received.map((c) => c.action)).toEqual(['openServiceMode', 'uploadLogs', 'closeServiceMode']);
    expect(received[0]!.openServiceMode?.durationMinutes).toBe(30);
    expect(received[1]!.uploadLogs).toMatchObject({ sinceMs: since, maxEntries: 50 });
    expect(received.map((c) => c.commandSequence)).toEqual([1, 2, 3]);

    const logs = received[1]!;
    await sendReport(pump, {
      commandId: logs.commandId,
      generatedAtMs: rig.clock.nowMs,
      checks: [],
      logs: [
        { atMs: since + 1000, severity: Severity.SEVERITY_MEDIUM, component: 'link', event: 'link.down', code: 'ERR_LINK_TIMEOUT' },
        { atMs: since + 2000, severity: Severity.SEVERITY_INFO, component: 'link', event: 'link.up', code: '' },
      ],
    });
    await sendReport(pump, { commandId: received[2]!.commandId, generatedAtMs: rig.clock.nowMs, checks: [], logs: [] });
    const first = await rig.request('GET', '/v1/devices/pump-service/maintenance-reports?limit=1', { token: techToken });
    expect((first.body['reports'] as { commandId: string }[]).map((r) => r.commandId)).toEqual([sent[2]]);
    const second = await rig.request('GET', `/v1/devices/pump-service/maintenance-reports?limit=1&before=${String(first.body['next'])}`, { token: techToken });
    expect(second.body['reports']).toEqual([
      expect.objectContaining({
        commandId: sent[1],
        logs: [
          { at: new Date(since + 1000).toISOString(), severity: 'medium', component: 'link', event: 'link.down', code: 'ERR_LINK_TIMEOUT' },
          { at: new Date(since + 2000).toISOString(), severity: 'info', component: 'link', event: 'link.up', code: null },
        ],
      }),
    ]);
    // Stored apart from the patient's readings (the pump's patient is set; the reports name none).
    const rows = rig.gateway.context.db.prepare('SELECT patient_id FROM readings WHERE device_id = ? AND content_type = ?').all('pump-service', ContentType.CONTENT_TYPE_MAINTENANCE_REPORT) as { patient_id: string | null }[];
    expect(rows).toEqual([{ patient_id: null }, { patient_id: null }]);
    // The technician's history of the device: maintenance only, newest first.
    const history = await rig.request('GET', '/v1/devices/pump-service/maintenance-commands', { token: techToken });
    expect((history.body['commands'] as { commandId: string }[]).map((c) => c.commandId)).toEqual([...sent].reverse());
  });

  it('[CTL-09] maintenance ranges are the protocol\'s; an unknown device is 404, a revoked one 409', { tags: ['CTL-09'] }, async () => {
    for (const [action, field] of [
      [{ kind: 'open-service-mode', durationMinutes: 241 }, 'openServiceMode.durationMinutes'],
      [{ kind: 'upload-logs', maxEntries: 0 }, 'uploadLogs.maxEntries'],
      [{ kind: 'upload-logs', maxEntries: 201 }, 'uploadLogs.maxEntries'],
    ] as const) {
      const answer = await orderMaintenance('us-1', { action });
      expect(answer.status).toBe(400);
      expect(answer.body['code']).toBe('ERR_THERAPY_ACTION_INVALID');
      expect(answer.body['message']).toContain(field);
    }
    expect((await orderMaintenance('us-nowhere', DIAGNOSTICS)).body['code']).toBe('ERR_DEVICE_UNKNOWN');
    await rig.enrol('us-revoked', null, 'ultrasound');
    rig.gateway.context.devices.revoke('us-revoked', { actor: 'test', role: 'admin' });
    const revoked = await orderMaintenance('us-revoked', DIAGNOSTICS);
    expect(revoked.status).toBe(409);
    expect(revoked.body['code']).toBe('ERR_DEVICE_REVOKED');
    expect((await rig.request('GET', '/v1/devices/us-nowhere/maintenance-reports', { token: techToken })).status).toBe(404);
  });
});

describe('who may order and confirm maintenance (CTL-01)', () => {
  it('[CTL-01] a clinician ordering maintenance is refused 403 and audited, by either route, even for a care-team pump', { tags: ['CTL-01'] }, async () => {
    const viaMaintenance = await orderMaintenance('pump-care', DIAGNOSTICS, clinicianToken);
    expect(viaMaintenance.status).toBe(403);
    expect(viaMaintenance.body['code']).toBe('ERR_FORBIDDEN');
    expect(rig.audit().at(-1)).toMatchObject({ event: 'access.denied', actor: clinician.id, role: 'clinician', object: 'POST /v1/devices/:id/maintenance-commands' });
    const viaTherapy = await rig.request('POST', '/v1/devices/pump-care/therapy-commands', { token: clinicianToken, body: DIAGNOSTICS });
    expect(viaTherapy.status).toBe(403);
    expect(viaTherapy.body['code']).toBe('ERR_FORBIDDEN');
    expect(rig.audit().at(-1)).toMatchObject({ event: 'access.denied', actor: clinician.id, role: 'clinician', object: 'device/pump-care', code: 'ERR_FORBIDDEN' });
    // Nothing was stored for the pump.
    expect((await rig.request('GET', '/v1/devices/pump-care/maintenance-commands', { token: techToken })).body['commands']).toEqual([]);
  });

  it('[CTL-01] a technician ordering a bolus is refused 403 and audited, by either route', { tags: ['CTL-01'] }, async () => {
    const viaTherapy = await rig.request('POST', '/v1/devices/pump-care/therapy-commands', { token: techToken, body: bolus(1000) });
    expect(viaTherapy.status).toBe(403);
    expect(rig.audit().at(-1)).toMatchObject({ event: 'access.denied', actor: technician.id, role: 'technician', object: 'POST /v1/devices/:id/therapy-commands' });
    const viaMaintenance = await orderMaintenance('pump-care', bolus(1000));
    expect(viaMaintenance.status).toBe(403);
    expect(viaMaintenance.body['code']).toBe('ERR_FORBIDDEN');
    expect(rig.audit().at(-1)).toMatchObject({ event: 'access.denied', actor: technician.id, role: 'technician', object: 'device/pump-care', code: 'ERR_FORBIDDEN' });
    expect((await rig.request('GET', '/v1/devices/pump-care/therapy-commands', { token: clinicianToken })).body['commands']).toEqual([]);
  });

  it('[CTL-01] patients, admins and auditors cannot order maintenance or read reports: 403, audited', { tags: ['CTL-01'] }, async () => {
    for (const role of ['patient', 'admin', 'auditor'] as const) {
      const user = await rig.user(role, role === 'patient' ? { patientId: patient } : {});
      const token = await rig.login(user);
      const answer = await orderMaintenance('us-1', DIAGNOSTICS, token);
      expect(answer.status, role).toBe(403);
      expect(answer.body['code']).toBe('ERR_FORBIDDEN');
      expect(rig.audit().at(-1)).toMatchObject({ event: 'access.denied', actor: user.id, role, code: 'ERR_FORBIDDEN' });
      expect((await rig.request('GET', '/v1/devices/us-1/maintenance-reports', { token })).status, role).toBe(403);
      expect((await rig.request('GET', '/v1/devices/us-1/maintenance-commands', { token })).status, role).toBe(403);
    }
  });

  it('[CTL-01][CTL-08] only the ordering technician confirms: another technician, a clinician, a reused code and another session are refused, audited, nothing sent', { tags: ['CTL-01', 'CTL-08'] }, async () => {
    const colleague = await rig.user('technician');
    const colleagueToken = await rig.login(colleague);
    // A first command confirmed as it should be: its code is spent.
    const spent = rig.freshCode(technician);
    const first = await orderMaintenance('us-1', { action: { kind: 'close-service-mode' } });
    expect((await confirm(first.body['commandId'] as string, techToken, { totpCode: spent })).body['status']).toBe('sent');
    const order = await orderMaintenance('us-1', { action: { kind: 'open-service-mode', durationMinutes: 15 } });
    const commandId = order.body['commandId'] as string;

    const byColleague = await confirm(commandId, colleagueToken, { totpCode: rig.freshCode(colleague) });
    expect(byColleague.status).toBe(403);
    expect(byColleague.body['code']).toBe('ERR_FORBIDDEN');
    expect(rig.auditOf(commandId).at(-1)).toMatchObject({ event: 'maintenance.confirm', outcome: 'denied', severity: 'high', actor: colleague.id, code: 'ERR_FORBIDDEN' });
    expect((await rig.request('POST', `/v1/therapy-commands/${commandId}/cancel`, { token: colleagueToken })).body['code']).toBe('ERR_FORBIDDEN');

    const byClinician = await confirm(commandId, clinicianToken, { password: clinician.password });
    expect(byClinician.status).toBe(403);
    expect(byClinician.body['code']).toBe('ERR_FORBIDDEN');
    expect(rig.auditOf(commandId).at(-1)).toMatchObject({ event: 'maintenance.confirm', outcome: 'denied', actor: clinician.id, role: 'clinician', code: 'ERR_FORBIDDEN' });
    expect((await rig.request('POST', `/v1/therapy-commands/${commandId}/cancel`, { token: clinicianToken })).body['code']).toBe('ERR_FORBIDDEN');
    // Nor does a clinician read it (commands.read: technicians maintenance, clinicians their care team's therapy).
    expect((await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token: clinicianToken })).status).toBe(403);
    expect((await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token: colleagueToken })).status).toBe(200);
    expect((await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token: auditorToken })).status).toBe(200);

    // The ordering technician, with the code that confirmed the first command: refused (a code
    // must be newer than the last one accepted), and it counts towards the lockout.
    const reused = await confirm(commandId, techToken, { totpCode: spent });
    expect(reused.status).toBe(403);
    expect(reused.body['code']).toBe('ERR_THERAPY_STEP_UP_FAILED');

    // The ordering technician in another session (logged in again: the ordering session ended).
    const secondToken = await rig.login(technician);
    const otherSession = await confirm(commandId, secondToken, { totpCode: rig.freshCode(technician) });
    expect(otherSession.status).toBe(403);
    expect(otherSession.body['code']).toBe('ERR_THERAPY_CONFIRMATION_SESSION');
    techToken = secondToken;
    expect((await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token: techToken })).body).toMatchObject({ status: 'awaiting-confirmation', sequence: null });
    expect(rig.auditOf(commandId).some((e) => e.event === 'maintenance.send')).toBe(false);

    // And a technician reads no clinician's therapy command.
    const therapy = await rig.request('POST', '/v1/devices/pump-care/therapy-commands', { token: clinicianToken, body: bolus(500) });
    expect(therapy.status).toBe(201);
    expect((await rig.request('GET', `/v1/therapy-commands/${String(therapy.body['commandId'])}`, { token: techToken })).status).toBe(403);
    expect((await confirm(therapy.body['commandId'] as string, techToken, { totpCode: rig.freshCode(technician) })).body['code']).toBe('ERR_FORBIDDEN');
  });
});
