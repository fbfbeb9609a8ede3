/**
 * The rollout benchmark for people: a headline, the time table (wall time, devices per minute,
 * time per device, setup), the stages, the bytes moved by kind and per device against the image,
 * the CPU of both processes, the outcome (failures must be 0) and the notes.
 */
import { mark, number, paint, table } from '../../ui/terminal.js';
import type { RolloutBenchResult } from './run-rollout-benchmark.js';

const KIB = 1024;
const MIB = 1024 * 1024;

const bytes = (n: number): string => (n >= 10 * MIB ? `${number(n / MIB, 1)} MiB` : n >= 10 * KIB ? `${number(n / KIB, 1)} KiB` : `${number(n)} B`);
const seconds = (s: number | null): string => (s === null ? '-' : `${number(s, s < 10 ? 2 : 1)} s`);

/** Renders a rollout benchmark result. */
export function renderRollout(result: RolloutBenchResult): string {
  const { settings: s, rollout: r, perDevice: d, bytes: b, cpu } = result;
  const payload = b.image.bytes + b.metadata.bytes + b.instructions.bytes + b.reports.bytes;
  const stages = s.stages.length === 1 ? 'one stage' : `stages ${s.stages.join(', ')} %`;
  const ok = r.failed === 0 && r.waiting === 0 && r.confirmed === s.devices && r.runningNewVersion === s.devices;
  const lines = [
    paint('bold', `medsim bench rollout: ${number(s.devices)} devices (${s.model}), a ${bytes(s.imageBytes)} image, ${number(s.concurrency)} updating at once, ${stages}`),
    paint('dim', `${result.machine.node}, ${result.machine.cores} × ${result.machine.cpu}; gateway in its own process; flash fsync off`),
    '',
    table(
      ['time', 'value', ''],
      [
        ['approval to last confirm', seconds(r.seconds), `${number(r.confirmed)} confirmed`],
        ['devices per minute', `${number(r.devicesPerMinute)}/min`, ''],
        ['per device p50 / p95 / max', `${seconds(d.p50Seconds)} / ${seconds(d.p95Seconds)} / ${seconds(d.maxSeconds)}`, 'check with the instruction → confirm'],
        ['  of which download + install (p50)', seconds(d.downloadInstallP50Seconds), 'instruction, TUF refresh, image, slot verify'],
        ['  of which reboot + confirm (p50)', seconds(d.rebootConfirmP50Seconds), 'secure boot, trial, health check, reports'],
        ['setup (before approval)', seconds(result.setup.seconds), 'keys, enrolment, factory image, boot'],
      ],
    ),
    '',
  ];
  if (s.stages.length > 1) {
    lines.push(
      table(
        ['stage', 'devices', 'confirmed', 'time', 'ended at'],
        result.stages.map((st, i) => [`${i + 1}: ${st.percent} %`, number(st.devices), number(st.confirmed), seconds(st.seconds), seconds(st.endSeconds)]),
      ),
      `checks before a device's stage opened: ${number(r.emptyChecks)} (director answered 204)`,
      '',
    );
  }
  lines.push(
    table(
      ['bytes moved (devices\' side)', 'requests', 'bytes', 'per device'],
      [
        ['image', number(b.image.requests), bytes(b.image.bytes), bytes(b.image.bytes / s.devices)],
        ['TUF metadata', number(b.metadata.requests), bytes(b.metadata.bytes), bytes(b.metadata.bytes / s.devices)],
        ['director instructions', number(b.instructions.requests + b.emptyPolls), bytes(b.instructions.bytes), bytes(b.instructions.bytes / s.devices)],
        ['progress reports', number(b.reports.requests), bytes(b.reports.bytes), bytes(b.reports.bytes / s.devices)],
        ['payload in all', '', bytes(payload), `${bytes(b.payloadPerDevice)} (${number(b.payloadOverhead, 4)}× the image)`],
        [`wire, TCP both ways (${number(b.wire.connections)} TLS connections)`, '', bytes(b.wire.bytesIn + b.wire.bytesOut), `${bytes(b.wirePerDevice)} (${number(b.wireOverhead, 4)}× the image)`],
      ],
    ),
    '',
    `CPU from the approval: devices ${number(cpu.devicesSeconds, 1)} s (event loop busy ${number(100 * cpu.devicesLoopBusy, 1)}%), gateway ${number(cpu.gatewaySeconds, 1)} s (RSS ${number(cpu.gatewayRssBytes / MIB)} MiB)`,
    `${mark(ok)} ${number(r.confirmed)} of ${number(s.devices)} confirmed and running the new version (${number(r.runningNewVersion)}), ${number(r.failed)} failed, ${number(r.waiting)} never offered; campaign ${r.campaignStatus}` +
      (r.firstFailure === undefined ? '' : paint('red', ` (first failure: ${r.firstFailure.deviceId} ${r.firstFailure.code}${r.firstFailure.message === undefined ? '' : `: ${r.firstFailure.message}`})`)),
    '',
    ...result.notes.map((n) => paint('dim', `· ${n}`)),
    '',
  );
  return lines.join('\n');
}
