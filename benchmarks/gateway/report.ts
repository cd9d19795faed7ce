import { GATEWAY_LABELS, type GatewayName } from './gateways';
import type { LoadResult } from './load';
import { median, round } from './measure';

/** One gateway's measured leg: the load generator's figures and the CPU seconds each process used in the window. */
export interface Leg {
  gateway: GatewayName;
  round: number;
  result: LoadResult;
  /** CPU seconds in the measured window, by process: gateway (with its workers), each subgraph, load. */
  cpuSeconds: Record<string, number | null>;
  /** Busy seconds of the whole machine in the window. */
  machine: number | null;
  /** POSTs the four subgraphs served in the window. */
  subgraphRequests: number | null;
}

export interface GatewaySummary {
  gateway: GatewayName;
  rounds: number;
  requestsPerSecond: number;
  perRound: number[];
  p50: number;
  p95: number;
  p99: number;
  /** The gateway's own CPU time per request (its process and workers), ms. */
  cpuMsPerRequest: number;
  cpuMsPerRound: number[];
  /** Average cores kept busy, by whom (medians over the rounds). */
  cores: { gateway: number; subgraphs: number; load: number; others: number | null };
  failures: number;
  /** Subgraph fetches per gateway request (median over the rounds); below the query plan's count when fetches are deduplicated. */
  subgraphFetchesPerRequest: number | null;
}

/** The issue's targets: Phoenix's throughput against each baseline. */
export const TARGETS = { apollo: 0.9, hive: 1.0 } as const;

export interface Ratio {
  baseline: GatewayName;
  target: number;
  throughput: number;
  /** Baseline's CPU per request over Phoenix's: the throughput ratio the gateways would have with a core each. */
  cpu: number;
  /** Verdicts on the unrounded ratios. */
  throughputMet: boolean;
  cpuMet: boolean;
}

export function summarise(gateways: readonly GatewayName[], legs: readonly Leg[]) {
  const byGateway = gateways.map((gateway): GatewaySummary => {
    const mine = legs.filter((l) => l.gateway === gateway);
    const cores = mine.map((l) => {
      const seconds = l.result.seconds;
      const gatewayCpu = l.cpuSeconds['gateway'] ?? 0;
      const subgraphs = ['accounts', 'inventory', 'products', 'reviews'].reduce((sum, k) => sum + (l.cpuSeconds[k] ?? 0), 0);
      const load = l.cpuSeconds['load'] ?? 0;
      return {
        gateway: gatewayCpu / seconds,
        subgraphs: subgraphs / seconds,
        load: load / seconds,
        others: l.machine === null ? null : Math.max(0, l.machine - gatewayCpu - subgraphs - load) / seconds,
      };
    });
    const cpuMsPerRound = mine.map((l) => round(((l.cpuSeconds['gateway'] ?? Number.NaN) * 1000) / l.result.requests, 2));
    const others = cores.map((c) => c.others).filter((c): c is number => c !== null);
    return {
      gateway,
      rounds: mine.length,
      requestsPerSecond: round(median(mine.map((l) => l.result.requestsPerSecond)), 1),
      perRound: mine.map((l) => l.result.requestsPerSecond),
      p50: round(median(mine.map((l) => l.result.latencyMs.p50)), 1),
      p95: round(median(mine.map((l) => l.result.latencyMs.p95)), 1),
      p99: round(median(mine.map((l) => l.result.latencyMs.p99)), 1),
      cpuMsPerRequest: round(median(cpuMsPerRound), 2),
      cpuMsPerRound,
      cores: {
        gateway: round(median(cores.map((c) => c.gateway)), 2),
        subgraphs: round(median(cores.map((c) => c.subgraphs)), 2),
        load: round(median(cores.map((c) => c.load)), 2),
        others: others.length ? round(median(others), 2) : null,
      },
      failures: mine.reduce((sum, l) => sum + l.result.failures, 0),
      subgraphFetchesPerRequest: mine.every((l) => l.subgraphRequests !== null)
        ? round(median(mine.map((l) => (l.subgraphRequests as number) / l.result.requests)), 2)
        : null,
    };
  });
  const find = (g: GatewayName) => byGateway.find((s) => s.gateway === g);
  const phoenix = find('phoenix');
  const ratios: Ratio[] = [];
  for (const baseline of ['apollo', 'hive'] as const) {
    const b = find(baseline);
    if (!phoenix || !b) continue;
    const throughput = phoenix.requestsPerSecond / b.requestsPerSecond;
    const cpu = b.cpuMsPerRequest / phoenix.cpuMsPerRequest;
    ratios.push({
      baseline,
      target: TARGETS[baseline],
      throughput: round(throughput, 2),
      cpu: round(cpu, 2),
      throughputMet: throughput >= TARGETS[baseline],
      cpuMet: cpu >= TARGETS[baseline],
    });
  }
  const apollo = find('apollo');
  const hive = find('hive');
  const context =
    apollo && hive
      ? {
          hiveOverApolloThroughput: round(hive.requestsPerSecond / apollo.requestsPerSecond, 2),
          hiveOverApolloCpu: round(apollo.cpuMsPerRequest / hive.cpuMsPerRequest, 2),
        }
      : null;
  return { gateways: byGateway, ratios, context };
}

export function formatReport(results: {
  startedAt: string;
  options: { durationSeconds: number; warmupSeconds: number; concurrency: number; workers: number; rounds: number };
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  responseBytes: number;
  summary: ReturnType<typeof summarise>;
}): string {
  const { options, machine, summary } = results;
  const lines: string[] = [];
  lines.push(`Gateway benchmark, ${results.startedAt}`);
  lines.push(
    `${options.concurrency} concurrent clients, ${options.warmupSeconds} s warm-up + ${options.durationSeconds} s measured per leg, ` +
      `${options.rounds} rounds, ${options.workers} worker process(es) per gateway; nested query, ${results.responseBytes}-byte answer`,
  );
  lines.push(`${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}`);
  lines.push('');
  lines.push(
    '| gateway | req/s (median) | per round | p50 ms | p95 ms | p99 ms | gateway CPU ms/req | cores: gateway / subgraphs / load / others | subgraph fetches/req | failures |',
  );
  lines.push('|---|---:|---|---:|---:|---:|---:|---|---:|---:|');
  for (const s of summary.gateways) {
    const c = s.cores;
    lines.push(
      `| ${GATEWAY_LABELS[s.gateway]} | ${s.requestsPerSecond} | ${s.perRound.join(', ')} | ${s.p50} | ${s.p95} | ${s.p99} | ` +
        `${s.cpuMsPerRequest} (${s.cpuMsPerRound.join(', ')}) | ${c.gateway} / ${c.subgraphs} / ${c.load} / ${c.others ?? '?'} | ${s.subgraphFetchesPerRequest ?? '?'} | ${s.failures} |`,
    );
  }
  if (summary.ratios.length > 0) {
    lines.push('');
    lines.push(
      '| Phoenix vs | throughput ratio | CPU-per-request ratio (baseline / Phoenix) | target | verdict (throughput) | verdict (CPU) |',
    );
    lines.push('|---|---:|---:|---:|---|---|');
    for (const r of summary.ratios) {
      const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
      lines.push(
        `| ${GATEWAY_LABELS[r.baseline]} | ${r.throughput}× | ${r.cpu}× | ≥ ${r.target}× | ${verdict(r.throughputMet)} | ${verdict(r.cpuMet)} |`,
      );
    }
  }
  const busy = summary.gateways.filter((g) => g.cores.others !== null && g.cores.others > 0.3);
  if (busy.length > 0) {
    lines.push('');
    lines.push(
      `WARNING: other processes kept ${busy.map((g) => `${g.cores.others} cores busy during ${GATEWAY_LABELS[g.gateway]}`).join(', ')} ` +
        '(median of its rounds): throughput and latency are disturbed; the CPU per request is the fairer figure. Run again on a quiet machine.',
    );
  }
  if (summary.context) {
    lines.push('');
    lines.push(
      `Hive over bare Apollo: ${summary.context.hiveOverApolloThroughput}× throughput, ${summary.context.hiveOverApolloCpu}× by CPU per request.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
