/**
 * Rollout campaigns (issue 5, "Gateway side"; CTL-01, CTL-12, CTL-14; docs/firmware/gateway.md):
 *
 *   create   a technician names a published release (model, version) and a cohort: every
 *            enrolled device of the model, or an explicit list of them; stages, failure threshold
 *            and minimum sample default from the configuration. The cohort is fixed and ranked
 *            now (campaign-rules.ts); a device follows one unfinished campaign at a time.
 *   approve  two-person rule: an admin who is not the creator, with a fresh TOTP code. The
 *            campaign runs from stage 0.
 *   run      the director offers the update to the devices of the current stage as they ask
 *            (director.ts); devices report progress and outcome. After each outcome the stage is
 *            evaluated: past the failure threshold the campaign pauses itself (audited high);
 *            otherwise, once every device of the stage has finished, it advances by itself, and
 *            after the last stage it completes.
 *   pause / abort   technicians and admins stop a campaign at any time (abort is final).
 *   resume / advance  admins only, fresh TOTP code: resuming opens a new failure window;
 *            advancing widens the rollout before every device of the stage has finished.
 *
 * Pausing and aborting stop new instructions; an instruction already issued stays valid until it
 * expires (`firmware.instructionTtlS`), as a signed JWS cannot be recalled. Every change is
 * audited under `firmware.campaign-*` and `firmware.report`, with ids only.
 */
import type { AuditSeverity } from '@medsim/logging';
import { randomBytes } from 'node:crypto';
import type { GatewayContext } from '../context.js';
import {
  CampaignInvalidError,
  CampaignOverlapError,
  CampaignSameUserError,
  CampaignStateError,
  CampaignUnknownError,
  FirmwareReportInvalidError,
  GatewayError,
} from '../errors.js';
import type { Principal } from '../user-plane/auth/authenticate.js';
import { allows } from '../user-plane/rbac/permissions.js';
import type { UserStore } from '../users/user-store.js';
import {
  CAMPAIGN_LIMITS,
  DEFAULT_STAGES,
  DEVICE_UPDATE_STATUSES,
  checkStages,
  isFailure,
  isFinished,
  nextUpdateState,
  rankCohort,
  shouldPause,
  stageQuota,
  type CampaignStatus,
  type DeviceUpdateStatus,
} from './campaign-rules.js';
import type { DeviceReport } from './device-report.js';
import type { FirmwareStore, TargetRecord } from './firmware-store.js';
import { checkStepUp, type StepUpDeps } from './step-up.js';

/** What a technician asks for. */
export interface CampaignInput {
  readonly model: string;
  readonly version: string;
  /** An explicit cohort (enrolled devices of the model); every enrolled device of the model when absent. */
  readonly devices?: readonly string[];
  /** Increasing percentages ending at 100 (default 10, 50, 100). */
  readonly stages?: readonly number[];
  /** Default `firmware.failureThresholdPercent`. */
  readonly failureThresholdPercent?: number;
  /** Default `firmware.minFailureSample`. */
  readonly minFailureSample?: number;
}

/** How far a campaign got. */
export interface CampaignProgress {
  /** Devices in the cohort. */
  readonly cohort: number;
  /** Devices the current stage offers the update to. */
  readonly eligible: number;
  /** Devices per update status. */
  readonly byStatus: Readonly<Record<DeviceUpdateStatus, number>>;
  /** Devices that finished, and failed or reverted, since the stage began or the campaign was last resumed. */
  readonly stageFinished: number;
  readonly stageFailed: number;
}

/** A campaign as the API shows it. */
export interface CampaignRecord {
  /** 32 hex digits. */
  readonly campaignId: string;
  readonly model: string;
  readonly version: string;
  readonly target: { readonly path: string; readonly securityCounter: number; readonly length: number; readonly sha256: string };
  readonly status: CampaignStatus;
  readonly stages: readonly number[];
  /** Index into `stages` of the current stage (0 until approved). */
  readonly stage: number;
  readonly failureThresholdPercent: number;
  readonly minFailureSample: number;
  /** `manual`, or ERR_CAMPAIGN_FAILURE_THRESHOLD when it paused itself; null unless paused. */
  readonly pauseReason: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly approvedBy: string | null;
  readonly approvedAt: string | null;
  readonly updatedAt: string;
  readonly endedAt: string | null;
  readonly progress: CampaignProgress;
}

/** One device of a campaign. */
export interface CampaignDeviceRecord {
  readonly deviceId: string;
  /** Whether the current stage offers it the update. */
  readonly eligible: boolean;
  readonly status: DeviceUpdateStatus;
  /** The stage in which it was first offered the update. */
  readonly stage: number | null;
  /** Download progress, percent. */
  readonly progress: number;
  /** The device's error code when it failed or reverted. */
  readonly errorCode: string | null;
  readonly updatedAt: string | null;
  readonly finishedAt: string | null;
}

/** A device's place in the running campaign that offers it an update now (for the director). */
export interface DeviceAssignment {
  readonly campaignId: string;
  readonly stage: number;
  readonly status: DeviceUpdateStatus;
  readonly target: TargetRecord;
}

/** Options of Campaigns. */
export interface CampaignsOptions {
  readonly ctx: GatewayContext;
  readonly users: UserStore;
  readonly store: FirmwareStore;
}

/** Most campaigns one list answer holds. */
export const MAX_CAMPAIGN_PAGE = 1000;

interface CampaignRow {
  campaign_id: string;
  model: string;
  version: string;
  target_path: string;
  stages: string;
  stage: number;
  failure_threshold_percent: number;
  min_failure_sample: number;
  status: CampaignStatus;
  pause_reason: string | null;
  failure_window: number;
  created_by: string;
  created_at: number;
  approved_by: string | null;
  approved_at: number | null;
  updated_at: number;
  ended_at: number | null;
}

interface DeviceRow {
  campaign_id: string;
  device_id: string;
  rank: number;
  status: DeviceUpdateStatus;
  stage: number | null;
  progress: number;
  error_code: string | null;
  updated_at: number | null;
  finished_at: number | null;
  finished_window: number | null;
}

const CAMPAIGN_ID = /^[0-9a-f]{32}$/u;
const FINISHED_SQL = "('confirmed', 'reverted', 'failed')";
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const campaignObject = (id: string): string => `firmware-campaign/${id}`;

/** Who acted, for the audit trail: a user, or the gateway itself. */
type Actor = { readonly caller: Principal; readonly source: string } | 'system';

/** The rollout campaigns of one gateway. */
export class Campaigns {
  readonly #o: CampaignsOptions;
  readonly #stepUp: StepUpDeps;
  readonly #select;

  constructor(options: CampaignsOptions) {
    this.#o = options;
    const { ctx } = options;
    this.#stepUp = {
      users: options.users,
      lockout: { maxFailed: ctx.config['auth.maxFailedLogins'], baseMs: ctx.config['auth.lockoutBaseS'] * 1000 },
      now: ctx.now,
      recordLockout: (caller) => ctx.audit.record({ event: 'auth.lockout', outcome: 'denied', severity: 'high', actor: caller.userId, role: caller.role, code: 'ERR_AUTH_LOCKED' }),
    };
    this.#select = ctx.db.prepare('SELECT * FROM firmware_campaigns WHERE campaign_id = ?');
  }

  /**
   * Creates a campaign awaiting approval. Throws ERR_CAMPAIGN_INVALID (no such release, bad
   * stages or threshold, empty cohort, a listed device not enrolled or of another model) and
   * ERR_CAMPAIGN_OVERLAP (a device already in an unfinished campaign); audited either way.
   */
  create(caller: Principal, input: CampaignInput, source: string): CampaignRecord {
    const { ctx, store } = this.#o;
    const actor = { caller, source };
    const refuse = (error: GatewayError): never => {
      this.#audit(actor, 'firmware.campaign-create', 'denied', 'medium', `firmware-release/${input.model}@${input.version}`, error.code);
      throw error;
    };
    if (!allows(caller.role, 'firmware.campaign-create')) refuse(new GatewayError('ERR_FORBIDDEN', 'only a technician creates a campaign'));
    const target = store.targetByVersion(input.model, input.version);
    if (target === undefined) refuse(new CampaignInvalidError(`no published release of ${input.model} at ${input.version}`, { details: { field: 'version' } }));
    // The director does not wrap content keys for devices yet (DirectorInstruction.contentKeyJwe).
    if (target!.encrypted) refuse(new CampaignInvalidError('encrypted images cannot be rolled out yet: the director does not carry content keys', { details: { field: 'version' } }));
    const stages = input.stages ?? DEFAULT_STAGES;
    const threshold = input.failureThresholdPercent ?? ctx.config['firmware.failureThresholdPercent'];
    const minSample = input.minFailureSample ?? ctx.config['firmware.minFailureSample'];
    try {
      checkStages(stages);
    } catch (error) {
      refuse(error as GatewayError);
    }
    if (!Number.isInteger(threshold) || threshold < 0 || threshold > 100) refuse(new CampaignInvalidError('failureThresholdPercent must be 0 to 100', { details: { field: 'failureThresholdPercent' } }));
    if (!Number.isInteger(minSample) || minSample < 1 || minSample > 10_000) refuse(new CampaignInvalidError('minFailureSample must be 1 to 10000', { details: { field: 'minFailureSample' } }));
    const cohort = this.#cohort(input, refuse);
    const overlap = ctx.db.prepare(
      `SELECT d.campaign_id FROM firmware_campaign_devices d JOIN firmware_campaigns c USING (campaign_id)
       WHERE d.device_id = ? AND c.status IN ('awaiting-approval', 'running', 'paused') AND d.status NOT IN ${FINISHED_SQL} LIMIT 1`,
    );
    for (const deviceId of cohort) {
      const other = overlap.get(deviceId) as { campaign_id: string } | undefined;
      if (other !== undefined) refuse(new CampaignOverlapError(`${deviceId} is in an unfinished campaign`, { details: { deviceId, campaignId: other.campaign_id } }));
    }
    const campaignId = randomBytes(16).toString('hex');
    const now = ctx.now();
    ctx.db.transaction(() => {
      ctx.db
        .prepare(
          `INSERT INTO firmware_campaigns (campaign_id, model, version, target_path, stages, failure_threshold_percent, min_failure_sample,
             status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'awaiting-approval', ?, ?, ?)`,
        )
        .run(campaignId, input.model, input.version, target!.targetPath, JSON.stringify(stages), threshold, minSample, caller.userId, now, now);
      const insert = ctx.db.prepare("INSERT INTO firmware_campaign_devices (campaign_id, device_id, rank, status) VALUES (?, ?, ?, 'pending')");
      rankCohort(campaignId, cohort).forEach((deviceId, rank) => insert.run(campaignId, deviceId, rank));
    })();
    this.#audit(actor, 'firmware.campaign-create', 'success', 'medium', campaignObject(campaignId));
    return this.get(campaignId);
  }

  /** Campaigns, newest first. */
  list(limit = MAX_CAMPAIGN_PAGE): CampaignRecord[] {
    const rows = this.#o.ctx.db.prepare('SELECT * FROM firmware_campaigns ORDER BY created_at DESC, rowid DESC LIMIT ?').all(Math.min(Math.max(limit, 1), MAX_CAMPAIGN_PAGE)) as CampaignRow[];
    return rows.map((row) => this.#record(row));
  }

  /** One campaign; throws ERR_CAMPAIGN_UNKNOWN. */
  get(campaignId: string): CampaignRecord {
    return this.#record(this.#mustRow(campaignId));
  }

  /** The devices of a campaign in cohort order, with their update status. */
  devices(campaignId: string): CampaignDeviceRecord[] {
    const row = this.#mustRow(campaignId);
    const quota = this.#quota(row);
    const devices = this.#o.ctx.db.prepare('SELECT * FROM firmware_campaign_devices WHERE campaign_id = ? ORDER BY rank').all(campaignId) as DeviceRow[];
    return devices.map((d) => this.#deviceRecord(d, quota));
  }

  /** Approves (two-person rule, admin, fresh TOTP code); the campaign runs from stage 0. */
  approve(caller: Principal, campaignId: string, totpCode: string | undefined, source: string): CampaignRecord {
    const row = this.#mustRow(campaignId);
    const refuse = this.#refuser({ caller, source }, 'firmware.campaign-approve', campaignId);
    if (!allows(caller.role, 'firmware.campaign-approve')) refuse(new GatewayError('ERR_FORBIDDEN', 'only an admin approves a campaign'), 'high');
    if (row.created_by === caller.userId) refuse(new CampaignSameUserError(), 'high');
    if (row.status !== 'awaiting-approval') refuse(new CampaignStateError(`the campaign is ${row.status}; only one awaiting approval can be approved`));
    checkStepUp(this.#stepUp, caller, totpCode, refuse);
    const now = this.#o.ctx.now();
    this.#transition(
      campaignId,
      'awaiting-approval',
      "status = 'running', stage = 0, failure_window = failure_window + 1, approved_by = @user, approved_at = @now, updated_at = @now",
      { now, user: caller.userId },
      refuse,
    );
    this.#audit({ caller, source }, 'firmware.campaign-approve', 'success', 'high', campaignObject(campaignId));
    this.#evaluate(campaignId);
    return this.get(campaignId);
  }

  /** Pauses a running campaign (technician or admin): no new instructions until resumed. */
  pause(caller: Principal, campaignId: string, source: string): CampaignRecord {
    const refuse = this.#refuser({ caller, source }, 'firmware.campaign-pause', campaignId);
    const row = this.#mustRow(campaignId);
    if (row.status !== 'running') refuse(new CampaignStateError(`the campaign is ${row.status}; only a running one can be paused`));
    this.#transition(campaignId, 'running', "status = 'paused', pause_reason = 'manual', updated_at = @now", { now: this.#o.ctx.now() }, refuse);
    this.#audit({ caller, source }, 'firmware.campaign-pause', 'success', 'medium', campaignObject(campaignId));
    return this.get(campaignId);
  }

  /** Resumes a paused campaign (admin, fresh TOTP code): a new failure window opens. */
  resume(caller: Principal, campaignId: string, totpCode: string | undefined, source: string): CampaignRecord {
    const refuse = this.#refuser({ caller, source }, 'firmware.campaign-resume', campaignId);
    const row = this.#mustRow(campaignId);
    if (row.status !== 'paused') refuse(new CampaignStateError(`the campaign is ${row.status}; only a paused one can be resumed`));
    checkStepUp(this.#stepUp, caller, totpCode, refuse);
    this.#transition(campaignId, 'paused', "status = 'running', pause_reason = NULL, failure_window = failure_window + 1, updated_at = @now", { now: this.#o.ctx.now() }, refuse);
    this.#audit({ caller, source }, 'firmware.campaign-resume', 'success', 'high', campaignObject(campaignId));
    this.#evaluate(campaignId);
    return this.get(campaignId);
  }

  /** Moves a running campaign to its next stage now (admin, fresh TOTP code). */
  advance(caller: Principal, campaignId: string, totpCode: string | undefined, source: string): CampaignRecord {
    const refuse = this.#refuser({ caller, source }, 'firmware.campaign-advance', campaignId);
    const row = this.#mustRow(campaignId);
    if (row.status !== 'running') refuse(new CampaignStateError(`the campaign is ${row.status}; only a running one can advance`));
    if (row.stage >= this.#stages(row).length - 1) refuse(new CampaignStateError('the campaign is at its last stage'));
    checkStepUp(this.#stepUp, caller, totpCode, refuse);
    this.#nextStage({ caller, source }, row);
    this.#evaluate(campaignId);
    return this.get(campaignId);
  }

  /** Aborts a campaign that has not ended (technician or admin); final. */
  abort(caller: Principal, campaignId: string, source: string): CampaignRecord {
    const refuse = this.#refuser({ caller, source }, 'firmware.campaign-abort', campaignId);
    const row = this.#mustRow(campaignId);
    if (row.status === 'completed' || row.status === 'aborted') refuse(new CampaignStateError(`the campaign is ${row.status} already`));
    const now = this.#o.ctx.now();
    this.#transition(campaignId, row.status, "status = 'aborted', pause_reason = NULL, updated_at = @now, ended_at = @now", { now }, refuse);
    this.#audit({ caller, source }, 'firmware.campaign-abort', 'success', 'high', campaignObject(campaignId));
    return this.get(campaignId);
  }

  /**
   * The running campaign that offers `deviceId` an update now: the device is in its cohort,
   * within the current stage's share, and its update has not finished. Undefined otherwise.
   */
  assignment(deviceId: string): DeviceAssignment | undefined {
    const rows = this.#o.ctx.db
      .prepare(
        `SELECT d.*, c.stages AS c_stages, c.stage AS c_stage, c.target_path AS c_target FROM firmware_campaign_devices d JOIN firmware_campaigns c USING (campaign_id)
         WHERE d.device_id = ? AND c.status = 'running' AND d.status NOT IN ${FINISHED_SQL} ORDER BY c.created_at`,
      )
      .all(deviceId) as (DeviceRow & { c_stages: string; c_stage: number; c_target: string })[];
    for (const row of rows) {
      const percent = (JSON.parse(row.c_stages) as number[])[row.c_stage]!;
      if (row.rank >= stageQuota(percent, this.#cohortSize(row.campaign_id))) continue;
      const target = this.#o.store.targetByPath(row.c_target);
      if (target !== undefined) return { campaignId: row.campaign_id, stage: row.c_stage, status: row.status, target };
    }
    return undefined;
  }

  /** Marks a device offered (the director issued its first instruction); later calls change nothing. */
  recordOffer(campaignId: string, deviceId: string, stage: number): void {
    this.#o.ctx.db
      .prepare("UPDATE firmware_campaign_devices SET status = 'offered', stage = ?, updated_at = ? WHERE campaign_id = ? AND device_id = ? AND status = 'pending'")
      .run(stage, this.#o.ctx.now(), campaignId, deviceId);
  }

  /**
   * Records a device's report: it must name an instruction issued to this device for that
   * campaign (ERR_FIRMWARE_REPORT_INVALID) and move its update forward (a resend changes
   * nothing; going back is ERR_FIRMWARE_REPORT_STALE). Status changes are audited; an outcome
   * evaluates the campaign (pause, advance, complete).
   */
  report(deviceId: string, report: DeviceReport, source: string): CampaignDeviceRecord {
    const { ctx } = this.#o;
    const object = `${campaignObject(report.campaign)};device/${deviceId}`;
    const deny = (error: GatewayError): never => {
      this.#deviceAudit(deviceId, source, 'denied', 'medium', object, error.code);
      throw error;
    };
    const issued = ctx.db.prepare('SELECT campaign_id, device_id FROM firmware_instructions WHERE jti = ?').get(report.jti) as { campaign_id: string; device_id: string } | undefined;
    if (issued?.device_id !== deviceId || issued.campaign_id !== report.campaign) deny(new FirmwareReportInvalidError('the report names no instruction issued to this device for that campaign'));
    const current = ctx.db.prepare('SELECT * FROM firmware_campaign_devices WHERE campaign_id = ? AND device_id = ?').get(report.campaign, deviceId) as DeviceRow;
    let next;
    try {
      next = nextUpdateState({ status: current.status, progress: current.progress, errorCode: current.error_code }, report);
    } catch (error) {
      return deny(error as GatewayError);
    }
    const quota = this.#quota(this.#mustRow(report.campaign));
    if (next === undefined) return this.#deviceRecord(current, quota);
    const now = ctx.now();
    const finished = isFinished(next.status);
    // A device finishing is stamped with the campaign's current failure window (campaign-rules.ts).
    ctx.db
      .prepare(
        `UPDATE firmware_campaign_devices SET status = ?, progress = ?, error_code = ?, updated_at = ?, finished_at = ?,
           finished_window = CASE WHEN ? THEN (SELECT failure_window FROM firmware_campaigns WHERE campaign_id = ?) END
         WHERE campaign_id = ? AND device_id = ?`,
      )
      .run(next.status, next.progress, next.errorCode, now, finished ? now : null, finished ? 1 : 0, report.campaign, report.campaign, deviceId);
    if (next.status !== current.status) {
      const failed = isFailure(next.status);
      this.#deviceAudit(deviceId, source, failed ? 'failure' : 'success', failed ? 'medium' : 'info', `${object};status/${next.status}`, next.errorCode ?? undefined);
    }
    if (finished) this.#evaluate(report.campaign);
    return this.#deviceRecord(ctx.db.prepare('SELECT * FROM firmware_campaign_devices WHERE campaign_id = ? AND device_id = ?').get(report.campaign, deviceId) as DeviceRow, quota);
  }

  /** The cohort of `input`, checked; `refuse` audits and throws. */
  #cohort(input: CampaignInput, refuse: (error: GatewayError) => never): string[] {
    const { devices } = this.#o.ctx;
    let cohort: string[];
    if (input.devices === undefined) {
      cohort = devices
        .list()
        .filter((d) => d.model === input.model && d.status === 'enrolled')
        .map((d) => d.id);
    } else {
      cohort = [...new Set(input.devices)];
      for (const deviceId of cohort) {
        const device = devices.get(deviceId);
        if (device?.status !== 'enrolled' || device.model !== input.model) {
          refuse(new CampaignInvalidError(`${deviceId} is not an enrolled ${input.model}`, { details: { field: 'devices', deviceId } }));
        }
      }
    }
    if (cohort.length === 0) refuse(new CampaignInvalidError(`no enrolled ${input.model} to update`, { details: { field: 'devices' } }));
    if (cohort.length > CAMPAIGN_LIMITS.maxCohort) refuse(new CampaignInvalidError(`a cohort holds at most ${CAMPAIGN_LIMITS.maxCohort} devices`, { details: { field: 'devices' } }));
    return cohort;
  }

  /**
   * After an outcome, an approval, a resume or an advance: pauses past the failure threshold;
   * otherwise, once every device of the stage has finished, moves to the next stage (and
   * evaluates that one, which may hold no new device) or completes the campaign.
   */
  #evaluate(campaignId: string): void {
    const row = this.#mustRow(campaignId);
    if (row.status !== 'running') return;
    const { db } = this.#o.ctx;
    const window = this.#window(row);
    const unfinished = (db.prepare(`SELECT count(*) AS n FROM firmware_campaign_devices WHERE campaign_id = ? AND rank < ? AND status NOT IN ${FINISHED_SQL}`).get(campaignId, this.#quota(row)) as { n: number }).n;
    const stageDone = unfinished === 0;
    if (shouldPause(window, stageDone, { thresholdPercent: row.failure_threshold_percent, minSample: row.min_failure_sample })) {
      const paused = db
        .prepare("UPDATE firmware_campaigns SET status = 'paused', pause_reason = 'ERR_CAMPAIGN_FAILURE_THRESHOLD', updated_at = ? WHERE campaign_id = ? AND status = 'running'")
        .run(this.#o.ctx.now(), campaignId);
      if (paused.changes === 1) this.#audit('system', 'firmware.campaign-pause', 'failure', 'high', `${campaignObject(campaignId)};stage/${row.stage}`, 'ERR_CAMPAIGN_FAILURE_THRESHOLD');
      return;
    }
    if (!stageDone) return;
    if (row.stage < this.#stages(row).length - 1) {
      this.#nextStage('system', row);
      this.#evaluate(campaignId);
      return;
    }
    const now = this.#o.ctx.now();
    const completed = db.prepare("UPDATE firmware_campaigns SET status = 'completed', updated_at = ?, ended_at = ? WHERE campaign_id = ? AND status = 'running'").run(now, now, campaignId);
    if (completed.changes === 1) this.#audit('system', 'firmware.campaign-complete', 'success', 'medium', campaignObject(campaignId));
  }

  /** Moves `row` (running) to its next stage, with a new failure window. */
  #nextStage(actor: Actor, row: CampaignRow): void {
    const now = this.#o.ctx.now();
    const moved = this.#o.ctx.db
      .prepare("UPDATE firmware_campaigns SET stage = stage + 1, failure_window = failure_window + 1, updated_at = ? WHERE campaign_id = ? AND status = 'running' AND stage = ?")
      .run(now, row.campaign_id, row.stage);
    if (moved.changes === 1) this.#audit(actor, 'firmware.campaign-advance', 'success', 'high', `${campaignObject(row.campaign_id)};stage/${row.stage + 1}`);
  }

  /** Applies `set` if the campaign is still `from` (a concurrent change makes it a state error). */
  #transition(campaignId: string, from: CampaignStatus, set: string, params: Record<string, string | number>, refuse: (error: GatewayError) => never): void {
    const changed = this.#o.ctx.db.prepare(`UPDATE firmware_campaigns SET ${set} WHERE campaign_id = @id AND status = @from`).run({ ...params, id: campaignId, from });
    if (changed.changes !== 1) refuse(new CampaignStateError('the campaign changed meanwhile'));
  }

  /** A refusal that audits `event` denied before throwing. */
  #refuser(actor: Actor, event: string, campaignId: string): (error: GatewayError, severity?: AuditSeverity) => never {
    return (error, severity = 'medium') => {
      this.#audit(actor, event, 'denied', severity, campaignObject(campaignId), error.code);
      throw error;
    };
  }

  #audit(actor: Actor, event: string, outcome: 'success' | 'failure' | 'denied', severity: AuditSeverity, object: string, code?: string): void {
    const who = actor === 'system' ? { actor: 'system' } : { actor: actor.caller.userId, role: actor.caller.role, source: actor.source };
    this.#o.ctx.audit.record({ event, outcome, severity, ...who, object, ...(code === undefined ? {} : { code }) });
  }

  #deviceAudit(deviceId: string, source: string, outcome: 'success' | 'failure' | 'denied', severity: AuditSeverity, object: string, code?: string): void {
    this.#o.ctx.audit.record({ event: 'firmware.report', outcome, severity, actor: deviceId, role: 'device', source, object, ...(code === undefined ? {} : { code }) });
  }

  /** Devices finished, and failed, in the current failure window (since the stage began or the campaign was last resumed). */
  #window(row: CampaignRow): { finished: number; failed: number } {
    return this.#o.ctx.db
      .prepare(
        `SELECT count(*) AS finished, COALESCE(SUM(CASE WHEN status IN ('reverted', 'failed') THEN 1 ELSE 0 END), 0) AS failed
         FROM firmware_campaign_devices WHERE campaign_id = ? AND finished_window = ?`,
      )
      .get(row.campaign_id, row.failure_window) as { finished: number; failed: number };
  }

  #mustRow(campaignId: string): CampaignRow {
    const row = CAMPAIGN_ID.test(campaignId) ? (this.#select.get(campaignId) as CampaignRow | undefined) : undefined;
    if (row === undefined) throw new CampaignUnknownError();
    return row;
  }

  #stages(row: CampaignRow): number[] {
    return JSON.parse(row.stages) as number[];
  }

  #cohortSize(campaignId: string): number {
    return (this.#o.ctx.db.prepare('SELECT count(*) AS n FROM firmware_campaign_devices WHERE campaign_id = ?').get(campaignId) as { n: number }).n;
  }

  /** How many devices the current stage offers the update to (none before approval). */
  #quota(row: CampaignRow): number {
    if (row.status === 'awaiting-approval') return 0;
    return stageQuota(this.#stages(row)[row.stage]!, this.#cohortSize(row.campaign_id));
  }

  #deviceRecord(row: DeviceRow, quota: number): CampaignDeviceRecord {
    return {
      deviceId: row.device_id,
      eligible: row.rank < quota,
      status: row.status,
      stage: row.stage,
      progress: row.progress,
      errorCode: row.error_code,
      updatedAt: iso(row.updated_at),
      finishedAt: iso(row.finished_at),
    };
  }

  #record(row: CampaignRow): CampaignRecord {
    const { db } = this.#o.ctx;
    const byStatus = Object.fromEntries(DEVICE_UPDATE_STATUSES.map((s) => [s, 0])) as Record<DeviceUpdateStatus, number>;
    for (const { status, n } of db.prepare('SELECT status, count(*) AS n FROM firmware_campaign_devices WHERE campaign_id = ? GROUP BY status').all(row.campaign_id) as { status: DeviceUpdateStatus; n: number }[]) {
      byStatus[status] = n;
    }
    const window = this.#window(row);
    const target = this.#o.store.targetByPath(row.target_path)!;
    return {
      campaignId: row.campaign_id,
      model: row.model,
      version: row.version,
      target: { path: target.targetPath, securityCounter: target.securityCounter, length: target.length, sha256: target.sha256 },
      status: row.status,
      stages: this.#stages(row),
      stage: row.stage,
      failureThresholdPercent: row.failure_threshold_percent,
      minFailureSample: row.min_failure_sample,
      pauseReason: row.pause_reason,
      createdBy: row.created_by,
      createdAt: iso(row.created_at)!,
      approvedBy: row.approved_by,
      approvedAt: iso(row.approved_at),
      updatedAt: iso(row.updated_at)!,
      endedAt: iso(row.ended_at),
      progress: {
        cohort: Object.values(byStatus).reduce((a, b) => a + b, 0),
        eligible: this.#quota(row),
        byStatus,
        stageFinished: window.finished,
        stageFailed: window.failed,
      },
    };
  }
}
