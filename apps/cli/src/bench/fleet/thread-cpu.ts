/**
 * CPU time of the calling thread. Node 20 has no per-thread counter: `process.cpuUsage()` inside a
 * worker thread returns the whole process's getrusage(RUSAGE_SELF) (checked on 20.20), and
 * `process.threadCpuUsage()` arrived only in Node 23.9. On Linux the kernel keeps per-thread
 * counters under /proc/thread-self (Linux ≥ 3.17), which resolves to whichever thread reads it, so
 * each fleet thread reads its own:
 *
 * - `schedstat`: nanoseconds on CPU (first field; needs CONFIG_SCHED_INFO, on in distro kernels);
 * - `stat`: utime + stime (fields 14 and 15) in clock ticks, 10 ms each (USER_HZ is 100 on every
 *   mainstream Linux architecture), when schedstat is absent.
 *
 * Elsewhere it falls back to the event loop's busy time (`performance.eventLoopUtilization`), which
 * counts time the loop spent running callbacks, so synchronous syscalls count, idle waits do not:
 * close to the thread's CPU time for this load, but an estimate. The result says which method it used.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** How a thread's CPU time was measured. */
export type ThreadCpuMethod = 'schedstat' | 'stat' | 'event-loop';

/** A reading of the calling thread's CPU clock. */
export interface ThreadCpuSample {
  readonly method: ThreadCpuMethod;
  /** CPU seconds of this thread since it started (event-loop: busy seconds). */
  readonly seconds: number;
}

/** 100 Hz: USER_HZ, the unit of /proc/.../stat times on Linux. */
const TICKS_PER_SECOND = 100;

function fromSchedstat(): number | undefined {
  try {
    const ns = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
    return Number.isFinite(ns) ? ns / 1e9 : undefined;
  } catch {
    return undefined;
  }
}

function fromStat(): number | undefined {
  try {
    const text = readFileSync('/proc/thread-self/stat', 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields from its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** The calling thread's CPU seconds so far, by the best method this platform offers. */
export function threadCpu(): ThreadCpuSample {
  const schedstat = fromSchedstat();
  if (schedstat !== undefined) return { method: 'schedstat', seconds: schedstat };
  const stat = fromStat();
  if (stat !== undefined) return { method: 'stat', seconds: stat };
  return { method: 'event-loop', seconds: performance.eventLoopUtilization().active / 1000 };
}
