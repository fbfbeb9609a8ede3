/**
 * The fleet benchmark for people: a headline, the start, one table of rates, CPU and memory per
 * device, the gateway's side, a table per fleet thread, and the notes (fsync off, MQTT only).
 */
import { number, paint, table } from '../../ui/terminal.js';
import type { FleetBenchResult } from './run-fleet-benchmark.js';

const KIB = 1024;
const MIB = 1024 * 1024;

/** Renders a fleet benchmark result. */
export function renderFleet(result: FleetBenchResult): string {
  const { settings: s, start, readings, cpu, memory, gateway } = result;
  const devices = s.devices;
  const models = s.models.length === 1 ? s.models[0]! : `mix of ${s.models.length} models`;
  const threads =
    s.isolation === 'process' ? `over ${s.workers} worker process${s.workers === 1 ? '' : 'es'}` : s.workers === 1 ? 'in the main thread' : `over ${s.workers} worker threads`;
  const coreShare = (seconds: number): string => `${number((100 * seconds) / result.window.seconds, 1)}% of a core`;
  const rows = [
    ['readings generated', `${number(readings.producedPerSecond)}/s`, `${number(readings.producedPerSecond / devices, 2)}/s per device`],
    ['readings delivered (PUBACK after commit)', `${number(readings.deliveredPerSecond)}/s`, `${number(readings.queuedAtEnd)} queued at the end`],
    ['stored by the gateway', `${number(gateway.storedPerSecond)}/s`, `${number(gateway.storedInWindow)} in the window`],
    ['CPU, fleet threads', `${number(cpu.fleetThreadsSecondsPerDevicePerMinute * 1000, 1)} ms`, `per device per minute (${coreShare(cpu.fleetThreadsSeconds)})`],
    [
      s.isolation === 'process' ? 'CPU, fleet processes' : 'CPU, fleet process',
      `${number(cpu.processSecondsPerDevicePerMinute * 1000, 1)} ms`,
      `per device per minute (${coreShare(cpu.processSeconds)}, with GC and I/O threads)`,
    ],
    ['resident memory', `${number(memory.rssPerDeviceBytes / KIB)} KiB`, `per device (RSS ${number(memory.rssIdleBytes / MIB)} → ${number(memory.rssEndBytes / MIB)} MiB)`],
    ['V8 heap used', `${number(memory.heapUsedPerDeviceBytes / KIB)} KiB`, 'per device (growth over the idle threads)'],
  ];
  const lines = [
    paint('bold', `medsim bench fleet: ${number(devices)} devices (${models}, MQTT, one report every ${number(s.reportMs / 1000, 1)} s each) ${threads}, ${number(result.window.seconds, 1)} s window`),
    paint('dim', `${result.machine.node}, ${result.machine.cores} × ${result.machine.cpu}; flash fsync off: the simulation is measured, not the disk`),
    '',
    `started: ${number(start.devices)} devices powered on and enrolled in ${number(start.startSeconds, 1)} s; ` +
      (start.onlineSeconds === null ? paint('red', `only ${number(start.online)} online when the window opened`) : `all online in ${number(start.onlineSeconds, 1)} s`),
    '',
    table(['measure', 'value', ''], rows),
    '',
  ];
  if (s.workers > 1 || s.isolation === 'process') {
    lines.push(
      table(
        ['thread', 'devices', 'CPU', 'loop busy', 'heap growth'],
        result.threads.map((t) => [t.thread, number(t.devices), `${number(t.cpuSeconds, 2)} s`, `${number(100 * t.loopBusy, 1)}%`, `${number(t.heapUsedGrowthBytes / MIB, 1)} MiB`]),
      ),
      s.isolation === 'process'
        ? `worker processes idle: ${number(memory.workerThreadsIdleBytes / MIB, 1)} MiB RSS together (not counted per device)`
        : `worker threads idle: +${number(memory.workerThreadsIdleBytes / MIB, 1)} MiB RSS (not counted per device)`,
      '',
    );
  } else {
    lines.push(`main-thread event loop busy ${number(100 * result.threads[0]!.loopBusy, 1)}% of the window`);
  }
  lines.push(
    `gateway (own process): ${number(gateway.cpuSeconds, 2)} CPU s in the window (${coreShare(gateway.cpuSeconds)}), RSS ${number(gateway.rssBytes / MIB)} MiB, ` +
      `${number(gateway.storedTotal)} stored in all, ${number(gateway.duplicates)} duplicates, ${number(gateway.refused)} refused`,
  );
  if (readings.dropped > 0 || readings.reconnects > 0 || readings.deviceErrors > 0) {
    lines.push(
      paint('yellow', `in the window: ${number(readings.dropped)} dropped, ${number(readings.reconnects)} reconnects; ${number(readings.deviceErrors)} device errors${readings.firstDeviceError === undefined ? '' : ` (first: ${readings.firstDeviceError})`}`),
    );
  }
  lines.push('', ...result.notes.map((n) => paint('dim', `· ${n}`)), '');
  return lines.join('\n');
}
