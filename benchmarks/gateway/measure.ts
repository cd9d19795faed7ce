import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU accounting from /proc. On a 2-core machine the load generator, the subgraphs and the
 * gateway share the cores, so the fair figure is each gateway's own CPU time per request
 * (utime + stime of its process and any children, e.g. cluster workers).
 */

// USER_HZ: the unit of /proc/<pid>/stat and /proc/stat times (100 on every Linux Node ships for).
const CLOCK_TICKS_PER_SECOND = 100;

interface ProcStat {
  ppid: number;
  cpuSeconds: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command) is parenthesised and may contain spaces; count from after it:
    // state is index 0, ppid index 1, utime index 11, stime index 12.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? { ppid: Number(fields[1]), cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND } : null;
  } catch {
    return null;
  }
}

/** CPU seconds (utime + stime) of a process and all its live descendants; null when the process is gone. */
export function treeCpuSeconds(root: number): number | null {
  const rootStat = readStat(root);
  if (!rootStat) return null;
  const children = new Map<number, number[]>();
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isSafeInteger(pid) || pid <= 0) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    stats.set(pid, stat);
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  let total = 0;
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    total += (pid === root ? rootStat : stats.get(pid))?.cpuSeconds ?? 0;
    queue.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** Busy time of all cores (everything but idle and iowait), in seconds, from /proc/stat. */
export function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return Number.isFinite(total) ? (total - idle) / CLOCK_TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
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
