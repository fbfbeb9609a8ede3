/**
 * A device's update report (POST /v1/firmware/director/{deviceId}/report on the delivery
 * listener): a closed JSON object, checked member by member before anything is read from it
 * (CTL-09). It names the campaign and the nonce (jti) of the director instruction it answers, so
 * a report can only be about an instruction the gateway issued to this very device (U15), and
 * the update state: `downloading` with a whole percentage, `installed`, `trial`, `confirmed`,
 * `reverted` (with the device's error code, when it has one) or `failed` (with its error code).
 */
import { FirmwareReportInvalidError } from '../errors.js';
import { REPORTED_STATES, type ReportedState, type ReportedUpdate } from './campaign-rules.js';

/** A checked report. */
export interface DeviceReport extends ReportedUpdate {
  readonly campaign: string;
  readonly jti: string;
}

const CAMPAIGN_ID = /^[0-9a-f]{32}$/u;
const NONCE = /^[A-Za-z0-9_-]{22}$/u;
/** The devices' stable codes: ERR_ and at most 60 upper-case letters, digits and underscores. */
const ERROR_CODE = /^ERR_[A-Z0-9_]{1,60}$/u;
const MEMBERS = ['campaign', 'jti', 'state', 'progress', 'errorCode'];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks a parsed JSON report; throws ERR_FIRMWARE_REPORT_INVALID naming the first bad member. */
export function parseDeviceReport(value: unknown): DeviceReport {
  const fail = (field: string, why: string): never => {
    throw new FirmwareReportInvalidError(`report ${field}: ${why}`, { details: { field } });
  };
  if (!isObject(value)) return fail('body', 'must be a JSON object');
  for (const key of Object.keys(value)) if (!MEMBERS.includes(key)) fail(key.slice(0, 40), 'unknown member');
  const { campaign, jti, state, progress, errorCode } = value;
  if (typeof campaign !== 'string' || !CAMPAIGN_ID.test(campaign)) fail('campaign', 'must be a campaign id (32 hex digits)');
  if (typeof jti !== 'string' || !NONCE.test(jti)) fail('jti', "must be the instruction's nonce (22 base64url characters)");
  if (typeof state !== 'string' || !(REPORTED_STATES as readonly string[]).includes(state)) fail('state', `must be one of ${REPORTED_STATES.join(', ')}`);
  if (state === 'downloading') {
    if (!Number.isInteger(progress) || (progress as number) < 0 || (progress as number) > 100) fail('progress', 'must be a whole percentage, 0 to 100');
  } else if (progress !== undefined) {
    fail('progress', 'is only for downloading');
  }
  if (state === 'failed' || (state === 'reverted' && errorCode !== undefined)) {
    if (typeof errorCode !== 'string' || !ERROR_CODE.test(errorCode)) fail('errorCode', 'must be an ERR_ code');
  } else if (errorCode !== undefined) {
    fail('errorCode', 'is only for failed or reverted');
  }
  return {
    campaign: campaign as string,
    jti: jti as string,
    state: state as ReportedState,
    ...(progress === undefined ? {} : { progress: progress as number }),
    ...(errorCode === undefined ? {} : { errorCode: errorCode as string }),
  };
}
