import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * CPU and wall-clock accounting for one benchmark phase. The figure the issue asks for
 * is this process's CPU time per event (`process.cpuUsage()`, user + system, GC
 * included); beside it we sample the broker, the emulator and the whole machine from
 * /proc, because on a 2-core machine they compete for the same cores and a busy
 * neighbour (another engineer's test run on the shared services) skews throughput.
 */

// USER_HZ: the unit of /proc/<pid>/stat and /proc/stat times. It is 100 on every Linux
// architecture Node ships for (`getconf CLK_TCK`).
const CLOCK_TICKS_PER_SECOND = 100;

interface Snapshot {
  wallMs: number;
  cpu: NodeJS.CpuUsage;
  /** Pid and CPU seconds of each watched process (null: not running or not readable, e.g. not Linux). */
  processes: Record<string, { pid: number; cpuSeconds: number } | null>;
  /** Busy CPU seconds of the whole machine, all cores. */
  machineBusy: number | null;
}

/** Average number of cores kept busy during a phase, by whom. */
export interface CoreUse {
  bench: number;
  /** The other watched processes, e.g. broker and emulator. */
  [process: string]: number | null;
  machine: number | null;
  /** Machine minus the bench and the watched processes: load we did not cause. */
  others: number | null;
}

export interface Measurement {
  events: number;
  wallSeconds: number;
  eventsPerSecond: number;
  cpuMs: { user: number; system: number; total: number };
  /** This process's CPU time per event, in microseconds. */
  cpuUsPerEvent: number;
  cores: CoreUse;
}

export interface Meter {
  snapshot(): Snapshot;
  measure(start: Snapshot, end: Snapshot, events: number): Measurement;
}

/**
 * A meter that also watches the processes named by pid files (label → file), e.g. the
 * broker and the emulator. The files are read at every snapshot: the services are
 * shared, and if someone restarts one during a phase its figure is reported as unknown
 * rather than as a meaningless difference between two processes.
 */
export function createMeter(watched: Readonly<Record<string, string>>): Meter {
  const sample = (file: string) => {
    const pid = pidFromFile(file);
    const cpuSeconds = pid === null ? null : processCpuSeconds(pid);
    return pid === null || cpuSeconds === null ? null : { pid, cpuSeconds };
  };
  return {
    snapshot: () => ({
      wallMs: performance.now(),
      cpu: process.cpuUsage(),
      processes: Object.fromEntries(Object.entries(watched).map(([label, file]) => [label, sample(file)])),
      machineBusy: machineBusySeconds(),
    }),
    measure(start, end, events) {
      const wallSeconds = (end.wallMs - start.wallMs) / 1000;
      const user = (end.cpu.user - start.cpu.user) / 1000;
      const system = (end.cpu.system - start.cpu.system) / 1000;
      const total = user + system;
      const cores: CoreUse = { bench: round(total / 1000 / wallSeconds, 2), machine: null, others: null };
      let accounted = total / 1000;
      for (const label of Object.keys(watched)) {
        const a = start.processes[label];
        const b = end.processes[label];
        const seconds = a && b && a.pid === b.pid ? b.cpuSeconds - a.cpuSeconds : null;
        cores[label] = seconds === null ? null : round(seconds / wallSeconds, 2);
        accounted += seconds ?? 0;
      }
      if (start.machineBusy !== null && end.machineBusy !== null) {
        const busy = end.machineBusy - start.machineBusy;
        cores.machine = round(busy / wallSeconds, 2);
        cores.others = round(Math.max(0, busy - accounted) / wallSeconds, 2);
      }
      return {
        events,
        wallSeconds: round(wallSeconds, 3),
        eventsPerSecond: Math.round(events / wallSeconds),
        cpuMs: { user: Math.round(user), system: Math.round(system), total: Math.round(total) },
        cpuUsPerEvent: round((total * 1000) / events, 2),
        cores,
      };
    },
  };
}

/** utime + stime of a process, in seconds, from /proc/<pid>/stat; null when unreadable. */
function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command) is parenthesised and may contain spaces; count from after it.
    // Fields 14 and 15 (utime, stime) are then at indexes 11 and 12.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}

/** Busy time of all cores (everything but idle and iowait), in seconds, from /proc/stat. */
function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return Number.isFinite(total) ? (total - idle) / CLOCK_TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}

/** A pid from a pid file (as tools/local/*.sh write them); null when missing or not running. */
function pidFromFile(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 && processCpuSeconds(pid) !== null ? pid : null;
  } catch {
    return null;
  }
}

/** Accumulates wall time per named stage, for cheap in-loop attribution (a few clock reads per chunk). */
export function createStageTimer<S extends string>(stages: readonly S[]) {
  const totals = Object.fromEntries(stages.map((s) => [s, 0])) as Record<S, number>;
  return {
    /** Runs `work`, adding its duration to `stage`. */
    time<T>(stage: S, work: () => T): T {
      const t0 = performance.now();
      try {
        return work();
      } finally {
        totals[stage] += performance.now() - t0;
      }
    },
    async timeAsync<T>(stage: S, work: () => Promise<T>): Promise<T> {
      const t0 = performance.now();
      try {
        return await work();
      } finally {
        totals[stage] += performance.now() - t0;
      }
    },
    /** Milliseconds per stage. */
    totals: (): Record<S, number> => Object.fromEntries(stages.map((s) => [s, Math.round(totals[s])])) as Record<S, number>,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
