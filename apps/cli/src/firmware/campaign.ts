/**
 * `medsim firmware campaign`: rollout campaigns through the gateway's API (docs/firmware/gateway.md).
 * A technician creates one for a published release and a cohort; an admin other than the creator
 * approves, resumes or advances it, each with a fresh TOTP code (the step-up: a code newer than the
 * login's, so the CLI may wait up to 30 s for the next one); a technician or an admin pauses or
 * aborts it; anyone with firmware.read lists campaigns and reads one's devices and progress. The
 * gateway enforces every rule (roles, two-person rule, states); the CLI prints its refusals.
 */
import type { CampaignDeviceRecord, CampaignRecord } from '@medsim/gateway';
import { parseArgs } from 'node:util';
import { UsageError } from '../commands/usage-error.js';
import { paint, table } from '../ui/terminal.js';
import { API_OPTIONS, withSession } from './api-login.js';
import { commaList, wholeNumber } from './flags.js';
import { meter, printJson, printLines } from './output.js';

/** The decisions, and whether each needs the step-up code. */
const DECISIONS = { approve: true, resume: true, advance: true, pause: false, abort: false } as const;
type Decision = keyof typeof DECISIONS;

const CAMPAIGN_ID = /^[0-9a-f]{32}$/u;

/** One line about a campaign. */
function headline(c: CampaignRecord): string {
  const stage = `stage ${c.stage + 1} of ${c.stages.length} (${c.stages[c.stage] ?? '?'}%)`;
  const status = c.status === 'paused' ? paint('yellow', `paused: ${c.pauseReason ?? '?'}`) : c.status === 'aborted' ? paint('red', c.status) : c.status;
  return `campaign ${c.campaignId}: ${c.model} ${c.version}, ${status}, ${stage}, cohort ${c.progress.cohort}`;
}

/** The progress lines of a campaign. */
function progressLines(c: CampaignRecord): string[] {
  const s = c.progress.byStatus;
  return [
    `  confirmed ${meter(s.confirmed, c.progress.cohort)}   reverted ${s.reverted}, failed ${s.failed}; this stage offers ${c.progress.eligible}`,
    `  stages ${c.stages.join(', ')}%; pauses above ${c.failureThresholdPercent}% failed once ${c.minFailureSample} finished`,
    `  created by ${c.createdBy} at ${c.createdAt}${c.approvedBy === null ? '' : `; approved by ${c.approvedBy} at ${c.approvedAt ?? '?'}`}`,
  ];
}

/** Runs `campaign <action>`; returns the exit code. */
export async function campaign(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      ...API_OPTIONS,
      model: { type: 'string' },
      version: { type: 'string' },
      devices: { type: 'string' },
      stages: { type: 'string' },
      threshold: { type: 'string' },
      'min-sample': { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [action, id, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected ${extra.join(' ')}`);
  const print = (record: CampaignRecord, before: string[] = []): void => (values.json ? printJson(record) : printLines([...before, headline(record), ...progressLines(record)]));

  if (action === 'create') {
    if (values.model === undefined || values.version === undefined) throw new UsageError('--model and --version are required');
    const body = {
      model: values.model,
      version: values.version,
      ...(values.devices === undefined ? {} : { devices: commaList(values.devices, '--devices') }),
      ...(values.stages === undefined ? {} : { stages: commaList(values.stages, '--stages').map((s) => wholeNumber(s, '--stages', 1, 100)) }),
      ...(values.threshold === undefined ? {} : { failureThresholdPercent: wholeNumber(values.threshold, '--threshold', 0, 100) }),
      ...(values['min-sample'] === undefined ? {} : { minFailureSample: wholeNumber(values['min-sample'], '--min-sample', 1, 10_000) }),
    };
    return withSession(values, async (session) => {
      print((await session.call('POST', '/v1/firmware/campaigns', body)) as CampaignRecord, ['created; an admin other than you approves it: medsim firmware campaign approve ID']);
      return 0;
    });
  }
  if (action === 'list') {
    const limit = values.limit === undefined ? 100 : wholeNumber(values.limit, '--limit', 1, 1000);
    return withSession(values, async (session) => {
      const { campaigns } = (await session.call('GET', `/v1/firmware/campaigns?limit=${limit}`)) as { campaigns: CampaignRecord[] };
      if (values.json) printJson({ campaigns });
      else {
        const rows = campaigns.map((c) => [c.campaignId, `${c.model} ${c.version}`, c.status, `${c.stage + 1}/${c.stages.length}`, `${c.progress.byStatus.confirmed}/${c.progress.cohort}`, c.createdAt]);
        printLines([table(['campaign', 'release', 'status', 'stage', 'confirmed', 'created'], rows)]);
      }
      return 0;
    });
  }
  if (action === undefined || (action !== 'status' && !Object.hasOwn(DECISIONS, action))) throw new UsageError('say campaign create|list|status|approve|pause|resume|advance|abort');
  if (id === undefined || !CAMPAIGN_ID.test(id)) throw new UsageError(`say campaign ${action} ID (32 hex digits)`);

  if (action === 'status') {
    return withSession(values, async (session) => {
      const record = (await session.call('GET', `/v1/firmware/campaigns/${id}`)) as CampaignRecord;
      const { devices } = (await session.call('GET', `/v1/firmware/campaigns/${id}/devices`)) as { devices: CampaignDeviceRecord[] };
      if (values.json) printJson({ ...record, devices });
      else {
        const rows = devices.map((d) => [d.deviceId, d.eligible ? 'yes' : 'no', d.status, d.stage === null ? '-' : String(d.stage + 1), `${d.progress}%`, d.errorCode ?? '']);
        printLines([headline(record), ...progressLines(record), table(['device', 'offered', 'status', 'stage', 'download', 'error'], rows)]);
      }
      return 0;
    });
  }
  const decision = action as Decision;
  return withSession(values, async (session) => {
    const body = DECISIONS[decision] ? { totpCode: await session.stepUpCode() } : undefined;
    print((await session.call('POST', `/v1/firmware/campaigns/${id}/${decision}`, body)) as CampaignRecord, [`${decision}: done`]);
    return 0;
  });
}
