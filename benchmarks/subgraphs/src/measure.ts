import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** One warehouse query as the subgraph logged it: its name (`load_desk`, `list_desk_booking`) and when it ran (epoch ms). */
export interface QueryRecord {
  name: string;
  startMs: number;
  endMs: number;
}

/**
 * Wall time with at least one query in flight. DataLoader issues the loads of one
 * level together (e.g. desk and member), and the emulator runs them one after the
 * other, so the sum of the queries' durations would count the queueing twice.
 */
export function warehouseWallMs(queries: readonly QueryRecord[]): number {
  const sorted = [...queries].sort((a, b) => a.startMs - b.startMs);
  let total = 0;
  let end = -Infinity;
  for (const q of sorted) {
    if (q.endMs <= end) continue;
    total += q.endMs - Math.max(q.startMs, end);
    end = q.endMs;
  }
  return total;
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

/** Nearest-rank percentiles (p95 of 100 samples is the 95th smallest). */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return {
    n: sorted.length,
    p50: round(rank(0.5), 2),
    p95: round(rank(0.95), 2),
    mean: round(mean, 2),
    min: round(sorted[0] ?? NaN, 2),
    max: round(sorted[sorted.length - 1] ?? NaN, 2),
  };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

// USER_HZ: the unit of /proc/<pid>/stat and /proc/stat times; 100 on every Linux architecture Node ships for.
const CLOCK_TICKS_PER_SECOND = 100;

interface Snapshot {
  wallMs: number;
  cpu: NodeJS.CpuUsage;
  subgraphsCpuSeconds: number | null;
  emulator: { pid: number; cpuSeconds: number } | null;
  machineBusy: number | null;
}

/** Average cores kept busy during the measured rounds: this process, the subgraphs under test, the emulator, the machine, and others. */
export interface CoreUse {
  bench: number;
  subgraphs: number | null;
  emulator: number | null;
  machine: number | null;
  others: number | null;
}

/**
 * Who used the CPU while the rounds ran, from /proc: the emulator is shared, and
 * another engineer's test run on it (or on the machine) makes every query slower.
 * The pid file is read at each snapshot, so a restarted emulator shows as a new pid.
 */
export function createMeter(emulatorPidFile: string | undefined, subgraphPids: readonly number[]) {
  const subgraphs = () => {
    const seconds = subgraphPids.map(processCpuSeconds);
    return seconds.every((s) => s !== null) ? seconds.reduce((a, b) => (a as number) + (b as number), 0) : null;
  };
  const emulator = () => {
    const pid = emulatorPidFile ? pidFromFile(emulatorPidFile) : null;
    const cpuSeconds = pid === null ? null : processCpuSeconds(pid);
    return pid === null || cpuSeconds === null ? null : { pid, cpuSeconds };
  };
  return {
    snapshot: (): Snapshot => ({
      wallMs: performance.now(),
      cpu: process.cpuUsage(),
      subgraphsCpuSeconds: subgraphs(),
      emulator: emulator(),
      machineBusy: machineBusySeconds(),
    }),
    cores(start: Snapshot, end: Snapshot): CoreUse & { emulatorRestarted: boolean } {
      const wall = (end.wallMs - start.wallMs) / 1000;
      const bench = (end.cpu.user - start.cpu.user + end.cpu.system - start.cpu.system) / 1e6;
      const restarted = !!start.emulator && !!end.emulator && start.emulator.pid !== end.emulator.pid;
      const emu = start.emulator && end.emulator && !restarted ? end.emulator.cpuSeconds - start.emulator.cpuSeconds : null;
      const busy = start.machineBusy !== null && end.machineBusy !== null ? end.machineBusy - start.machineBusy : null;
      const sub =
        start.subgraphsCpuSeconds !== null && end.subgraphsCpuSeconds !== null ? end.subgraphsCpuSeconds - start.subgraphsCpuSeconds : null;
      return {
        bench: round(bench / wall, 2),
        subgraphs: sub === null ? null : round(sub / wall, 2),
        emulator: emu === null ? null : round(emu / wall, 2),
        machine: busy === null ? null : round(busy / wall, 2),
        others: busy === null ? null : round(Math.max(0, busy - bench - (sub ?? 0) - (emu ?? 0)) / wall, 2),
        emulatorRestarted: restarted || (!!start.emulator !== !!end.emulator && !!emulatorPidFile),
      };
    },
  };
}

function pidFromFile(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** utime + stime of a process in seconds, from /proc/<pid>/stat; null when unreadable. */
function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command) is parenthesised and may hold spaces: count from after it; utime and stime are then 11 and 12.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}

/** Busy time of all cores (all but idle and iowait) in seconds, from /proc/stat; null when unreadable. */
function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    const total = ticks.reduce((a, b) => a + b, 0);
    return Number.isFinite(total) ? (total - idle) / CLOCK_TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}
