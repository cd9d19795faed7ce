import { median, round, type Measurement } from './measure';
import type { EndToEndResult, PipelineResult } from './phases';
import type { ProfileSummary } from './profile';

/** The issue's targets (issue #3, "Benchmark"). */
export const TARGETS = {
  /** (b) may cost at most this many times (a)'s CPU per event. */
  pipelineCpuRatio: 2,
  /** (c) must sustain at least this many events per second on the 2-core machine. */
  endToEndEventsPerSecond: 5000,
} as const;

export interface TimeShare {
  name: string;
  seconds: number;
  /** Share of (c)'s wall time. */
  share: number;
  statements?: number;
  msPerStatement?: number;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  argv: string[];
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string; loadAverageAtStart: number[] };
  workload: {
    events: number;
    tenants: number;
    seed: number;
    partitions: number;
    bytes: number;
    meanEventBytes: number;
    byEntityType: Record<string, number>;
    generateSeconds: number;
    produceSeconds: number;
  };
  settings: { rounds: number; maxBatchMessages: number; maxEventBytes: number; endToEndTimeoutSeconds: number; endToEndProfiled: boolean };
  phases: {
    a: { median: Measurement; rounds: Measurement[] };
    b: { median: Measurement; rounds: PipelineResult[] };
    c: EndToEndResult | null;
  };
  ratios: {
    bOverA: { cpuPerEvent: number; throughput: number };
    cOverA: { cpuPerEvent: number; throughput: number } | null;
  };
  targets: {
    pipelineCpu: { limit: number; actual: number; met: boolean };
    endToEnd: { limit: number; actual: number | null; met: boolean | null; bottleneck: string | null };
  };
  endToEndBreakdown: TimeShare[];
  profiles: { b?: ProfileSummary; c?: ProfileSummary };
}

/** Each field the median over the rounds (rounds differ mainly by JIT warm-up and neighbours' load). */
export function medianMeasurement(rounds: readonly Measurement[]): Measurement {
  const m = (pick: (r: Measurement) => number) => median(rounds.map(pick));
  const coreKeys = new Set(rounds.flatMap((r) => Object.keys(r.cores)));
  const cores = Object.fromEntries(
    [...coreKeys].map((k) => {
      const values = rounds.map((r) => r.cores[k]).filter((v): v is number => typeof v === 'number');
      return [k, values.length === rounds.length ? round(median(values), 2) : null];
    }),
  ) as Measurement['cores'];
  return {
    events: m((r) => r.events),
    wallSeconds: round(
      m((r) => r.wallSeconds),
      3,
    ),
    eventsPerSecond: Math.round(m((r) => r.eventsPerSecond)),
    cpuMs: { user: m((r) => r.cpuMs.user), system: m((r) => r.cpuMs.system), total: m((r) => r.cpuMs.total) },
    cpuUsPerEvent: round(
      m((r) => r.cpuUsPerEvent),
      2,
    ),
    cores,
  };
}

/** Where (c)'s wall time went: each kind of warehouse statement, the writer's own work, and everything outside the writer. */
export function endToEndBreakdown(c: EndToEndResult): TimeShare[] {
  const shares: TimeShare[] = Object.entries(c.statements).map(([name, t]) => ({
    name,
    seconds: round(t.seconds, 2),
    share: round(t.seconds / c.wallSeconds, 3),
    statements: t.statements,
    msPerStatement: t.statements > 0 ? Math.round((t.seconds * 1000) / t.statements) : 0,
  }));
  const inStatements = Object.values(c.statements).reduce((s, t) => s + t.seconds, 0);
  const writerOwn = Math.max(0, c.writerSeconds - inStatements);
  const outside = Math.max(0, c.wallSeconds - c.writerSeconds);
  shares.push({
    name: 'writer CPU between statements (classify, rows, SQL params)',
    seconds: round(writerOwn, 2),
    share: round(writerOwn / c.wallSeconds, 3),
  });
  shares.push({
    name: `outside the writer (Kafka fetch, decode, spans, metrics, commits${c.warehouseFailures > 0 ? ', retry back-off' : ''})`,
    seconds: round(outside, 2),
    share: round(outside / c.wallSeconds, 3),
  });
  return shares.sort((x, y) => y.seconds - x.seconds);
}

/** Names the bottleneck from the numbers: whoever holds most of the wall time, with the evidence. */
export function nameBottleneck(c: EndToEndResult, breakdown: readonly TimeShare[]): string {
  const statements = breakdown.filter((s) => s.statements !== undefined);
  const warehouseShare = statements.reduce((s, t) => s + t.share, 0);
  const top = statements[0];
  const emulator = c.cores['emulator'];
  if (warehouseShare >= 0.5 && top) {
    return (
      `the warehouse: ${pct(warehouseShare)} of the wall time is spent waiting for emulator statements ` +
      `(largest: ${top.name}, ${pct(top.share)}, ${top.msPerStatement} ms per statement)` +
      (emulator === null || emulator === undefined ? '' : `; the emulator process kept ${emulator.toFixed(2)} cores busy`) +
      `, the ingest process ${c.cores.bench.toFixed(2)}. The writer runs its statements one after another and the emulator ` +
      `executes every request on one DuckDB connection, so statement latency adds up per batch`
    );
  }
  if (c.cores.bench >= 0.85) return `the ingest process's CPU: its one Node thread was busy ${pct(c.cores.bench)} of the time`;
  return `neither the warehouse (${pct(warehouseShare)} of wall) nor the ingest CPU (${c.cores.bench} cores): look at Kafka fetch waits`;
}

/** The human-readable report: one table for the three phases, then ratios, targets and attribution. */
export function formatReport(r: BenchResults): string {
  const lines: string[] = [];
  const w = r.workload;
  lines.push(
    '',
    `Ingest benchmark — ${w.events} events, ${w.tenants} tenants, seed ${w.seed}, ${w.partitions} partitions, ` +
      `${Math.round(w.meanEventBytes)} B/event; ${r.machine.cpus} cores (${r.machine.cpuModel}), Node ${r.machine.node}`,
    `(a) and (b): median of ${r.settings.rounds} rounds; chunks of ${r.settings.maxBatchMessages} messages as in the lane`,
    '',
  );
  const header = ['phase', 'events', 'wall s', 'events/s', 'CPU µs/event', 'cores: ingest', 'broker', 'emulator', 'others'];
  const rows: string[][] = [header];
  const row = (name: string, m: Measurement) => [
    name,
    String(m.events),
    m.wallSeconds.toFixed(2),
    String(m.eventsPerSecond),
    m.cpuUsPerEvent.toFixed(1),
    fmtCores(m.cores.bench),
    fmtCores(m.cores['broker']),
    fmtCores(m.cores['emulator']),
    fmtCores(m.cores.others),
  ];
  rows.push(row('(a) kafkajs + JSON.parse', r.phases.a.median));
  rows.push(row('(b) + decode/classify/enrich/rows', r.phases.b.median));
  const c = r.phases.c;
  if (c) rows.push(row(`(c) end to end${c.partial ? ' (PARTIAL)' : ''}${r.settings.endToEndProfiled ? ' (PROFILED)' : ''}`, c));
  lines.push(...table(rows), '');

  lines.push(
    `b/a: CPU per event ${r.ratios.bOverA.cpuPerEvent.toFixed(2)}×, throughput ${r.ratios.bOverA.throughput.toFixed(2)}×` +
      (r.ratios.cOverA
        ? `    c/a: CPU per event ${r.ratios.cOverA.cpuPerEvent.toFixed(2)}×, throughput ${r.ratios.cOverA.throughput.toFixed(3)}×`
        : ''),
  );
  const t = r.targets;
  lines.push(
    `target b/a CPU per event ≤ ${t.pipelineCpu.limit}×: ${t.pipelineCpu.met ? 'MET' : 'MISSED'} (${t.pipelineCpu.actual.toFixed(2)}×)`,
  );
  if (t.endToEnd.actual !== null) {
    lines.push(
      `target end to end ≥ ${t.endToEnd.limit} events/s: ${t.endToEnd.met ? 'MET' : 'MISSED'} (${t.endToEnd.actual} events/s)`,
      `bottleneck: ${t.endToEnd.bottleneck}`,
    );
  }

  const b = r.phases.b.rounds[r.phases.b.rounds.length - 1];
  if (b) {
    const cpu = b.cpuMs.total;
    const stages = Object.entries(b.stagesMs)
      .map(([s, ms]) => `${s} ${ms} ms (${pct(ms / cpu)})`)
      .join(', ');
    lines.push(
      '',
      `(b) last round, time per stage of ${cpu} ms CPU: ${stages}; rest = kafkajs, consumer loop, GC`,
      `    ${b.rowsBuilt} rows built; enrichment complete for ${b.enriched}/${b.enrichable} bookings and visits; ` +
        `${b.warehouseQueries} warehouse queries in the measured loop`,
    );
  }
  if (c) {
    const rec = c.reconciliation;
    lines.push(
      '',
      `(c) ${c.events}/${c.expected} consumed in ${c.wallSeconds} s — applied ${rec.applied}, superseded ${rec.superseded}, ` +
        `duplicate ${rec.duplicate}, dead-lettered ${rec.dead_lettered}; reconciliation ${rec.balanced ? 'balanced' : 'NOT balanced'}`,
      `    ${c.writerCalls} writer batches (mean ${Math.round(c.events / Math.max(1, c.writerCalls))} events); where the wall time went:`,
    );
    lines.push(
      ...table([
        ['', 'seconds', 'share', 'statements', 'ms/statement'],
        ...r.endToEndBreakdown.map((s) => [
          s.name,
          s.seconds.toFixed(2),
          pct(s.share),
          s.statements === undefined ? '' : String(s.statements),
          s.msPerStatement === undefined ? '' : String(s.msPerStatement),
        ]),
      ]).map((l) => `    ${l}`),
    );
    lines.push(`    writes (events in seconds): ${c.writes.map((w) => `${w.events} in ${w.seconds}`).join(', ')}`);
    if (c.progress.length > 2) {
      lines.push(`    progress (s: consumed): ${c.progress.map((p) => `${p.seconds}: ${p.consumed}`).join(', ')}`);
    }
  }
  for (const [phase, summary] of Object.entries(r.profiles)) {
    if (!summary) continue;
    const note = phase === 'b' ? 'an extra round, not a measured one' : 'the measured run: its numbers include profiling overhead';
    lines.push('', `CPU profile of (${phase}) — ${summary.file} (${summary.totalMs} ms sampled; ${note})`);
    lines.push(`    by module: ${summary.modules.map((h) => `${h.name} ${pct(h.share)}`).join(', ')}`);
    lines.push('    hottest functions (self time):');
    for (const h of summary.functions) lines.push(`      ${pct(h.share).padStart(6)}  ${h.name}`);
  }
  if (c && c.warehouseFailures > 0) {
    lines.push(
      '',
      `warning: ${c.warehouseFailures} warehouse attempts failed during (c) and were retried (was the shared emulator restarted?); ` +
        'that run is disturbed, repeat it.',
    );
  }
  const restarted = [r.phases.a.median, r.phases.b.median, ...(c ? [c] : [])].some(
    (m) => m.cores['emulator'] === null || m.cores['broker'] === null,
  );
  if (restarted) lines.push('', 'note: "–" means the process was not found, or was restarted during the phase.');
  const shared = [r.phases.a.median, r.phases.b.median, ...(c ? [c] : [])].some((m) => (m.cores.others ?? 0) > 0.3);
  if (shared) {
    lines.push('', 'note: other processes kept more than 0.3 cores busy during a phase ("others"); the numbers are pessimistic.');
  }
  return `${lines.join('\n')}\n`;
}

function table(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '));
}

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
const fmtCores = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(2));
