import { round, type CoreUse, type Summary } from './measure';
import type { Workload, WorkloadOptions } from './workload';

export type CacheMode = 'on' | 'off';

/** One operation against one server, over the measured rounds. */
export interface CellResult {
  operation: string;
  cache: CacheMode;
  /** Client-side: from sending the request to the parsed response. */
  latencyMs: Summary;
  /** Wall time with a warehouse query in flight, per request. */
  warehouseMs: Summary;
  /** Latency minus warehouse time: HTTP, GraphQL parsing and execution, DataLoader, JSON, on both sides. */
  outsideMs: Summary;
  /** The subgraph process's CPU time (user + system, GC included) while the request ran, as it logs it. */
  cpuMs: Summary;
  queries: {
    mean: number;
    min: number;
    max: number;
    /** Mean queries per request by name (`list_<entity>`, `load_<entity>`). */
    byName: Record<string, number>;
    /** The names of the last measured request's queries, in order. */
    lastRequest: string[];
  };
  samples: { latencyMs: number[]; queries: number[] };
}

export interface Ratios {
  operation: string;
  /** cache on / cache off. */
  latencyP50: number;
  latencyP95: number;
  latencyMean: number;
  queries: number;
  cpu: number;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  argv: string[];
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    node: string;
    platform: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
  };
  workload: WorkloadOptions &
    Pick<Workload, 'generated' | 'skipped' | 'byEntityType' | 'tenantId' | 'day' | 'building' | 'activeBookingsToday'> & {
      written: number;
      writeSeconds: number;
      dataset: string;
      freeDesks: number;
      bookingIds: number;
    };
  settings: {
    requests: number;
    warmup: number;
    cacheOn: { ttlMs: number; maxEntries: number };
    cacheOff: { ttlMs: number; maxEntries: number };
  };
  operations: { key: string; title: string; query: string; expectedNodes: number }[];
  cells: CellResult[];
  ratios: Ratios[];
  /** Duration of each warehouse query by name over all measured requests (issue to rows, as the subgraph waits for it). */
  queryMs: Record<string, Summary>;
  /** Reference-cache lookups of the cache-on server during the measured rounds. */
  cacheLookups: { hits: number; misses: number; hitRate: number | null };
  measuredSeconds: number;
  cores: CoreUse & { emulatorRestarted: boolean };
  warnings: string[];
}

export function ratios(cells: readonly CellResult[]): Ratios[] {
  const ops = [...new Set(cells.map((c) => c.operation))];
  return ops.map((operation) => {
    const on = cells.find((c) => c.operation === operation && c.cache === 'on') as CellResult;
    const off = cells.find((c) => c.operation === operation && c.cache === 'off') as CellResult;
    const r = (a: number, b: number) => (b === 0 ? NaN : round(a / b, 2));
    return {
      operation,
      latencyP50: r(on.latencyMs.p50, off.latencyMs.p50),
      latencyP95: r(on.latencyMs.p95, off.latencyMs.p95),
      latencyMean: r(on.latencyMs.mean, off.latencyMs.mean),
      queries: r(on.queries.mean, off.queries.mean),
      cpu: r(on.cpuMs.mean, off.cpuMs.mean),
    };
  });
}

function table(header: string[], rows: (string | number)[][], alignLeft = 1): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i < alignLeft ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n') + '\n';
}

const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export function formatReport(r: BenchResults): string {
  const out: string[] = [];
  const w = r.workload;
  out.push(
    `Subgraph benchmark: subgraph-bookings against the emulator, ${r.settings.requests} requests per operation and cache mode` +
      ` (after ${r.settings.warmup} warm-up rounds), sequential, interleaved\n`,
  );
  out.push(
    `workload: ${w.written} events (${w.tenants} tenants, seed ${w.seed}, now ${w.now}) in ${w.dataset}, written in ${fixed(w.writeSeconds)} s; ` +
      `tenant ${w.tenantId}, building ${w.building.name} (${w.building.id}), day ${w.day}: ${w.activeBookingsToday} active desk bookings, ${w.freeDesks} free desks\n`,
  );
  out.push(`cache on: ttl ${r.settings.cacheOn.ttlMs} ms, ${r.settings.cacheOn.maxEntries} entries; cache off: ttl 0, 0 entries\n\n`);
  out.push(
    table(
      ['operation', 'cache', 'p50 ms', 'p95 ms', 'mean ms', 'queries/req', 'warehouse ms/req', 'outside ms/req', 'CPU ms/req'],
      r.cells.map((c) => [
        c.operation,
        c.cache,
        fixed(c.latencyMs.p50),
        fixed(c.latencyMs.p95),
        fixed(c.latencyMs.mean),
        fixed(c.queries.mean, 2),
        fixed(c.warehouseMs.mean),
        fixed(c.outsideMs.mean),
        fixed(c.cpuMs.mean, 2),
      ]),
      2,
    ),
  );
  out.push('\ncache on / cache off\n');
  out.push(
    table(
      ['operation', 'p50', 'p95', 'mean', 'queries', 'CPU'],
      r.ratios.map((x) => [
        x.operation,
        `${fixed(x.latencyP50, 2)}×`,
        `${fixed(x.latencyP95, 2)}×`,
        `${fixed(x.latencyMean, 2)}×`,
        `${fixed(x.queries, 2)}×`,
        `${fixed(x.cpu, 2)}×`,
      ]),
    ),
  );
  out.push('\nwarehouse queries per request by name (mean)\n');
  out.push(
    table(
      ['operation', 'cache', 'queries'],
      r.cells.map((c) => [
        c.operation,
        c.cache,
        Object.entries(c.queries.byName)
          .map(([name, n]) => `${name} ${fixed(n, 2)}`)
          .join(', '),
      ]),
      3,
    ),
  );
  out.push('\nwarehouse query duration by name, all measured requests (ms)\n');
  out.push(
    table(
      ['query', 'n', 'p50', 'p95', 'mean'],
      Object.entries(r.queryMs).map(([name, s]) => [name, s.n, fixed(s.p50), fixed(s.p95), fixed(s.mean)]),
    ),
  );
  const l = r.cacheLookups;
  out.push(
    `\nreference cache (cache-on server, measured rounds): ${l.hits} hits, ${l.misses} misses` +
      (l.hitRate === null ? '' : ` (hit rate ${(l.hitRate * 100).toFixed(1)} %)`) +
      '\n',
  );
  const c = r.cores;
  out.push(
    `cores used during the ${fixed(r.measuredSeconds)} s of measured rounds: bench ${fixed(c.bench, 2)}, subgraphs ${c.subgraphs === null ? 'n/a' : fixed(c.subgraphs, 2)}, emulator ${c.emulator === null ? 'n/a' : fixed(c.emulator, 2)}, ` +
      `others ${c.others === null ? 'n/a' : fixed(c.others, 2)} (machine ${c.machine === null ? 'n/a' : fixed(c.machine, 2)} of ${r.machine.cpus}); ` +
      `load average ${r.machine.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')} at start, ${r.machine.loadAverageAtEnd.map((x) => x.toFixed(2)).join(' ')} at end\n`,
  );
  for (const warning of r.warnings) out.push(`WARNING: ${warning}\n`);
  return out.join('');
}
