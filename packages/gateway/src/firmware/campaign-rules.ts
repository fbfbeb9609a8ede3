/**
 * The arithmetic of a rollout campaign, apart from storage so each rule is tested on its own:
 * which devices a stage offers the update to, when a campaign pauses itself, and which device
 * reports move an update forward.
 *
 * - Cohort order: the devices are ranked by SHA-256(campaign id ‖ 0x00 ‖ device id), so the
 *   choice of the first 10 % is deterministic (the same campaign always starts with the same
 *   devices), differs between campaigns (no device is always the guinea pig) and cannot be steered
 *   by choosing device ids without knowing the campaign id.
 * - Stage k offers the update to the first ceil(stages[k] % of the cohort) devices in that order;
 *   stages are increasing percentages ending at 100.
 * - Automatic pause: when the devices that finished since the stage began (or the campaign was
 *   last resumed) failed or reverted at a rate above the threshold, once at least the minimum
 *   sample finished, or the whole stage did (a 1-device stage that fails pauses too).
 * - Device status only moves forward (pending → offered → downloading → installed → trial →
 *   confirmed | reverted | failed); a report that goes back is stale (U15: replayed or reordered).
 */
import { createHash } from 'node:crypto';
import { CampaignInvalidError, FirmwareReportStaleError } from '../errors.js';

/** A campaign's status. */
export const CAMPAIGN_STATUSES = ['awaiting-approval', 'running', 'paused', 'completed', 'aborted'] as const;
/** A campaign's status. */
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** An update's status on one device of a campaign. */
export const DEVICE_UPDATE_STATUSES = ['pending', 'offered', 'downloading', 'installed', 'trial', 'confirmed', 'reverted', 'failed'] as const;
/** An update's status on one device of a campaign. */
export type DeviceUpdateStatus = (typeof DEVICE_UPDATE_STATUSES)[number];

/** The statuses a device reports (pending and offered are the gateway's). */
export const REPORTED_STATES = ['downloading', 'installed', 'trial', 'confirmed', 'reverted', 'failed'] as const;
/** A status a device reports. */
export type ReportedState = (typeof REPORTED_STATES)[number];

/** Limits of a campaign definition. */
export const CAMPAIGN_LIMITS = {
  /** Most stages. */
  maxStages: 10,
  /** Most devices in one cohort: bounds the work of creating and evaluating a campaign. */
  maxCohort: 100_000,
} as const;

/** The stages used when a campaign names none. */
export const DEFAULT_STAGES: readonly number[] = [10, 50, 100];

const STEP: Readonly<Record<DeviceUpdateStatus, number>> = { pending: 0, offered: 1, downloading: 2, installed: 3, trial: 4, confirmed: 5, reverted: 5, failed: 5 };

/** Whether the update ended on the device (confirmed, reverted or failed). */
export const isFinished = (status: DeviceUpdateStatus): boolean => STEP[status] === 5;

/** Whether the update ended badly (reverted or failed). */
export const isFailure = (status: DeviceUpdateStatus): boolean => status === 'reverted' || status === 'failed';

/** Device ids in cohort order for `campaignId` (see the file comment). */
export function rankCohort(campaignId: string, deviceIds: readonly string[]): string[] {
  const key = (deviceId: string): string => createHash('sha256').update(campaignId).update('\0').update(deviceId).digest('hex');
  return deviceIds
    .map((deviceId) => ({ deviceId, key: key(deviceId) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((entry) => entry.deviceId);
}

/** How many devices of a cohort of `cohort` a stage of `percent` % offers the update to. */
export const stageQuota = (percent: number, cohort: number): number => Math.ceil((percent * cohort) / 100);

/** Checks stage percentages: 1 to 10 whole numbers, strictly increasing, from 1 to 100, the last 100. */
export function checkStages(stages: readonly number[]): void {
  const ok =
    stages.length >= 1 &&
    stages.length <= CAMPAIGN_LIMITS.maxStages &&
    stages.every((p, i) => Number.isInteger(p) && p >= 1 && p <= 100 && (i === 0 || p > stages[i - 1]!)) &&
    stages.at(-1) === 100;
  if (!ok) throw new CampaignInvalidError('stages must be 1 to 10 increasing whole percentages ending at 100', { details: { field: 'stages' } });
}

/** Whether `failed` of `finished` passes a threshold of `thresholdPercent` % (strictly above it). */
export const failureRatePasses = (finished: number, failed: number, thresholdPercent: number): boolean => finished > 0 && failed * 100 > thresholdPercent * finished;

/** Whether the failure rate of a stage window pauses the campaign now. */
export function shouldPause(window: { finished: number; failed: number }, stageDone: boolean, rule: { thresholdPercent: number; minSample: number }): boolean {
  const enough = window.finished >= rule.minSample || (stageDone && window.finished > 0);
  return enough && failureRatePasses(window.finished, window.failed, rule.thresholdPercent);
}

/** A device's update state as stored. */
export interface DeviceUpdateState {
  readonly status: DeviceUpdateStatus;
  readonly progress: number;
  readonly errorCode: string | null;
}

/** A device's report, schema-checked (device-report.ts). */
export interface ReportedUpdate {
  readonly state: ReportedState;
  readonly progress?: number;
  readonly errorCode?: string;
}

/**
 * The state after `report`, or undefined when the report repeats the current state (a resend
 * changes nothing). Throws ERR_FIRMWARE_REPORT_STALE for a report that goes back: an earlier
 * state, lower download progress, or another outcome after the update ended.
 */
export function nextUpdateState(current: DeviceUpdateState, report: ReportedUpdate): DeviceUpdateState | undefined {
  const stale = (why: string): never => {
    throw new FirmwareReportStaleError(`the report goes back: ${why}`, { details: { current: current.status, reported: report.state } });
  };
  if (isFinished(current.status)) {
    if (report.state === current.status && (report.errorCode ?? null) === current.errorCode) return undefined;
    return stale('the update already ended');
  }
  if (STEP[report.state] < STEP[current.status]) return stale('an earlier state');
  if (report.state === current.status && report.state !== 'downloading') return undefined;
  if (report.state === 'downloading') {
    const progress = report.progress ?? 0;
    if (current.status === 'downloading' && progress < current.progress) return stale('lower progress');
    if (current.status === 'downloading' && progress === current.progress) return undefined;
    return { status: 'downloading', progress, errorCode: null };
  }
  if (isFailure(report.state)) return { status: report.state, progress: current.progress, errorCode: report.errorCode ?? null };
  return { status: report.state, progress: 100, errorCode: null };
}
