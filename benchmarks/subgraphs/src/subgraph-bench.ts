/**
 * Subgraph benchmark, run by `tools/bench/subgraphs`; what it measures and the numbers
 * are in docs/benchmarks.md. Latency (p50/p95) and warehouse queries per GraphQL request
 * for three typical operations against the emulator, with and without the reference
 * cache, in one run: two subgraph-bookings processes (the app's own main.ts, configured by
 * environment) on one generated dataset, one with the cache on and one with it off, asked
 * the same questions in turn. It creates its own dataset and drops it at the end, also on
 * Ctrl-C, because others use the same emulator at the same time.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SCOPES } from '@phoenix/domain';
import { migrate } from '@phoenix/bq';
import { createTestWarehouse, dropTestDataset } from '@phoenix/bq/testing';
import { postGraphQL, signedHeaders, TEST_CONTEXT_KEYS } from '@phoenix/subgraph/testing';
import { createMeter, round, summarize, warehouseWallMs, type QueryRecord } from './measure';
import { operations, type Operation } from './operations';
import { formatReport, ratios, type BenchResults, type CacheMode, type CellResult } from './report';
import { startSubgraph, SubgraphStartError, type SubgraphProcess } from './subgraph-process';
import { generateWorkload, writeWorkload } from './workload';

const USAGE = `usage: tools/bench/subgraphs [options]

Latency (p50/p95), warehouse queries and CPU time per GraphQL request for three typical
operations of subgraph-bookings against the emulator, with the reference cache on and off,
on a generated dataset of its own. See docs/benchmarks.md.

  --requests <n>   measured requests per operation and cache mode (default 100)
  --warmup <n>     unreported warm-up rounds before them (default 5)
  --seed <n>       generator seed (default 7)
  --tenants <n>    tenants in the generated stream (default 2; requests are signed for the first, acme)
  --members <n>    members per tenant (default 250: about 60 desk bookings per building on a weekday)
  --days <n>       simulated days of bookings from 2026-01-05 (default 12)
  --now <time>     the simulated present; later events are not written (default 2026-01-14T10:00:00Z,
                   a Wednesday morning: today's bookings checked in or booked, later days booked)
  --chunk <n>      events per applyEvents call when writing the dataset (default 1000)
  --out <file>     JSON results (default .local/bench/subgraphs-<timestamp>.json)
  --emulator-pid-file <f>  pid file of the BigQuery emulator, to report its CPU (set by tools/bench/subgraphs)
  -h, --help       this text
`;

const say = (text: string) => process.stderr.write(`bench: ${text}\n`);

class UsageError extends Error {}
/** The subgraph answered wrongly or not at all: the numbers would mean nothing. */
class BenchAborted extends Error {}

function positiveInteger(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}`);
  return n;
}

const CACHE_ON = { ttlMs: 60_000, maxEntries: 100_000 };
const CACHE_OFF = { ttlMs: 0, maxEntries: 0 };
const SCOPES_ALL = [SCOPES.read, SCOPES.personalData];

const ROOT = resolve(__dirname, '..', '..', '..');

interface Server {
  mode: CacheMode;
  process: SubgraphProcess;
}

/** One request: timed here; its queries and CPU come from the subgraph's log afterwards, by request id. */
interface Sample {
  requestId: string;
  latencyMs: number;
  cpuMs: number;
  queries: QueryRecord[];
}

/** parseArgs options that take a value. */
const valued = <const N extends string>(names: readonly N[]) =>
  Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])) as Record<N, { type: 'string' }>;

let interrupted = false;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...valued(['requests', 'warmup', 'seed', 'tenants', 'members', 'days', 'now', 'chunk', 'out', 'emulator-pid-file']),
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const options = {
    requests: positiveInteger('requests', values.requests, 100),
    warmup: positiveInteger('warmup', values.warmup, 5, 0),
    seed: positiveInteger('seed', values.seed, 7),
    tenants: positiveInteger('tenants', values.tenants, 2),
    membersPerTenant: positiveInteger('members', values.members, 250),
    days: positiveInteger('days', values.days, 12),
    chunk: positiveInteger('chunk', values.chunk, 1000),
    now: values.now ?? '2026-01-14T10:00:00Z',
    floorsPerBuilding: 4,
    desksPerFloor: 20,
  };
  if (!Number.isFinite(Date.parse(options.now)) || !/^\d{4}-\d{2}-\d{2}T/.test(options.now))
    throw new UsageError('--now must be an RFC 3339 timestamp, e.g. 2026-01-14T10:00:00Z');
  const startedAt = new Date();
  const out = resolve(values.out ?? `.local/bench/subgraphs-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const loadAverageAtStart = loadavg();

  say(`generating the workload (seed ${options.seed}, ${options.tenants} tenants, ${options.days} days, now ${options.now})`);
  const { requests: _requests, warmup: _warmup, chunk: _chunk, ...workloadOptions } = options;
  const workload = generateWorkload(workloadOptions);
  if (workload.skipped.invalid > 0) say(`${workload.skipped.invalid} generated messages were not valid events and are skipped`);
  if (workload.activeBookingsToday < 50) {
    throw new UsageError(
      `only ${workload.activeBookingsToday} active desk bookings in one building on ${workload.day}; the day view needs 50: raise --members or pick a weekday with --now`,
    );
  }
  const ops = operations(workload);

  // A benchmark, like a test suite, takes the emulator's address from the environment
  // tools/bench/subgraphs sets (tools/local/services.sh env); the subgraph's own
  // loadEnvironment would also demand a context secret the benchmark does not use.
  const base = createTestWarehouse('bench_subgraphs', process.env);
  const dataset = base.config.datasetId;
  const servers: Server[] = [];

  // What this run creates on the shared emulator is dropped again, also on Ctrl-C.
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      await Promise.all(servers.map((s) => s.process.stop().catch(() => undefined)));
      await dropTestDataset(base);
    })());
  const onSignal = () => {
    interrupted = true;
    say(`interrupted: stopping the subgraphs and dropping dataset ${dataset}`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    say(`migrating dataset ${dataset}`);
    await migrate(base);
    say(`writing ${workload.events.length} events through libs/bq (applyEvents, ${options.chunk} per call)`);
    const writeSeconds = await writeWorkload(base, workload.events, options.chunk, (written) =>
      say(`written ${written}/${workload.events.length}`),
    );
    say(`written in ${writeSeconds.toFixed(1)} s`);

    // The subgraphs read the emulator tools/bench/subgraphs named, in this run's dataset.
    const warehouseEnv = Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('BIGQUERY_') && e[1] !== undefined),
    );
    for (const [mode, cache] of [
      ['on', CACHE_ON],
      ['off', CACHE_OFF],
    ] as const) {
      say(`starting subgraph-bookings with the reference cache ${mode}`);
      const started = await startSubgraph({
        root: ROOT,
        name: `subgraph-bookings-cache-${mode}`,
        cache,
        warehouse: { ...warehouseEnv, BIGQUERY_DATASET: dataset },
        signingSecret: TEST_CONTEXT_KEYS.secrets[0] as string,
        logDir: join(dirname(out), 'logs'),
      });
      servers.push({ mode, process: started });
    }
    const [on, off] = servers as [Server, Server];

    const meter = createMeter(values['emulator-pid-file'], [on.process.pid, off.process.pid]);
    const samples = new Map<string, Sample[]>(ops.flatMap((op) => (['on', 'off'] as const).map((m) => [`${op.key}/${m}`, []])));
    let measuredStart = meter.snapshot();
    let lookupsAtStart = await cacheLookups(on.process);
    const total = options.warmup + options.requests;
    say(`${options.warmup} warm-up rounds, then ${options.requests} measured; each round asks every operation of both servers`);
    for (let i = 0; i < total; i++) {
      const measured = i >= options.warmup;
      if (i === options.warmup) {
        measuredStart = meter.snapshot();
        lookupsAtStart = await cacheLookups(on.process);
      }
      for (const op of ops) {
        const variables = op.variables(i);
        // Alternate which server goes first, so neither always follows the other's queries on the emulator.
        const order = i % 2 === 0 ? [on, off] : [off, on];
        const answers: Record<string, string> = {};
        for (const server of order) {
          const { sample, data } = await ask(server, op, variables, workload.tenantId, i);
          answers[server.mode] = JSON.stringify(data);
          if (measured) samples.get(`${op.key}/${server.mode}`)?.push(sample);
        }
        if (answers['on'] !== answers['off']) {
          throw new BenchAborted(
            `${op.key}, round ${i}: the cache-on and cache-off servers answered differently (${JSON.stringify(variables)})`,
          );
        }
      }
      if ((i + 1) % 10 === 0 || i + 1 === total) {
        const seconds = (performance.now() - measuredStart.wallMs) / 1000;
        say(
          measured
            ? `round ${i + 1 - options.warmup}/${options.requests} (${seconds.toFixed(0)} s)`
            : `warm-up round ${i + 1}/${options.warmup}`,
        );
      }
    }
    const measuredEnd = meter.snapshot();
    const lookupsAtEnd = await cacheLookups(on.process);
    const cores = meter.cores(measuredStart, measuredEnd);
    for (const server of servers) {
      const logs = server.process.requests();
      for (const op of ops) {
        for (const sample of samples.get(`${op.key}/${server.mode}`) ?? []) {
          const log = logs.get(sample.requestId);
          if (!log || log.cpuMs === null) throw new BenchAborted(`the cache-${server.mode} subgraph logged no request ${sample.requestId}`);
          sample.queries = log.queries;
          sample.cpuMs = log.cpuMs;
        }
      }
    }

    const cells: CellResult[] = [];
    for (const op of ops) {
      for (const mode of ['on', 'off'] as const) cells.push(cell(op, mode, samples.get(`${op.key}/${mode}`) ?? []));
    }
    const durations = new Map<string, number[]>();
    for (const list of samples.values()) {
      for (const q of list.flatMap((s) => s.queries)) durations.set(q.name, [...(durations.get(q.name) ?? []), q.endMs - q.startMs]);
    }
    const queryMs = Object.fromEntries([...durations].sort((a, b) => a[0].localeCompare(b[0])).map(([name, ms]) => [name, summarize(ms)]));
    const hits = lookupsAtEnd.hits - lookupsAtStart.hits;
    const misses = lookupsAtEnd.misses - lookupsAtStart.misses;
    const warnings: string[] = [];
    if (cores.emulatorRestarted) warnings.push('the emulator was restarted during the measured rounds: run again');
    if (cores.others !== null && cores.others > 0.3)
      warnings.push(
        `other processes kept ${cores.others} cores busy during the measured rounds: the emulator was shared; run again when it is quiet`,
      );
    const results: BenchResults = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      argv,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        platform: process.platform,
        loadAverageAtStart,
        loadAverageAtEnd: loadavg(),
      },
      workload: {
        ...workloadOptions,
        generated: workload.generated,
        written: workload.events.length,
        skipped: workload.skipped,
        byEntityType: workload.byEntityType,
        writeSeconds: round(writeSeconds, 1),
        dataset,
        tenantId: workload.tenantId,
        day: workload.day,
        building: workload.building,
        activeBookingsToday: workload.activeBookingsToday,
        freeDesks: workload.freeDesks.length,
        bookingIds: workload.bookingIds.length,
      },
      settings: { requests: options.requests, warmup: options.warmup, cacheOn: CACHE_ON, cacheOff: CACHE_OFF },
      operations: ops.map((op) => ({ key: op.key, title: op.title, query: op.query, expectedNodes: op.expectedNodes })),
      cells,
      ratios: ratios(cells),
      queryMs,
      cacheLookups: { hits, misses, hitRate: hits + misses > 0 ? round(hits / (hits + misses), 4) : null },
      measuredSeconds: round((measuredEnd.wallMs - measuredStart.wallMs) / 1000, 1),
      cores,
      warnings,
    };
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(formatReport(results));
    process.stdout.write(`\nresults: ${out}\n`);
    return 0;
  } finally {
    await cleanup();
  }
}

/** One request, timed and checked; aborts the run on any error or wrong answer. */
async function ask(
  server: Server,
  op: Operation,
  variables: Record<string, unknown>,
  tenantId: string,
  round: number,
): Promise<{ sample: Sample; data: unknown }> {
  const requestId = randomUUID();
  const headers = signedHeaders({ tenantId, consumerId: 'subgraph-bench', scopes: SCOPES_ALL, requestId });
  const started = performance.now();
  const res = await postGraphQL(server.process.url, { query: op.query, variables }, headers);
  const latencyMs = performance.now() - started;
  const where = `${op.key} on the cache-${server.mode} server, round ${round} (${JSON.stringify(variables)})`;
  if (res.status !== 200 || res.errors?.length) {
    throw new BenchAborted(`${where}: HTTP ${res.status}, errors ${JSON.stringify(res.errors ?? null)}`);
  }
  const problem = op.check(res.data, variables);
  if (problem) throw new BenchAborted(`${where}: wrong answer: ${problem}`);
  return { sample: { requestId, latencyMs, cpuMs: 0, queries: [] }, data: res.data };
}

function cell(op: Operation, mode: CacheMode, samples: readonly Sample[]): CellResult {
  const byName: Record<string, number> = {};
  for (const s of samples) for (const q of s.queries) byName[q.name] = (byName[q.name] ?? 0) + 1;
  const counts = samples.map((s) => s.queries.length);
  return {
    operation: op.key,
    cache: mode,
    latencyMs: summarize(samples.map((s) => s.latencyMs)),
    warehouseMs: summarize(samples.map((s) => warehouseWallMs(s.queries))),
    outsideMs: summarize(samples.map((s) => s.latencyMs - warehouseWallMs(s.queries))),
    cpuMs: summarize(samples.map((s) => s.cpuMs)),
    queries: {
      mean: round(counts.reduce((a, b) => a + b, 0) / samples.length, 2),
      min: Math.min(...counts),
      max: Math.max(...counts),
      byName: Object.fromEntries(
        Object.entries(byName)
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .map(([name, n]) => [name, round(n / samples.length, 2)]),
      ),
      lastRequest: samples[samples.length - 1]?.queries.map((q) => q.name) ?? [],
    },
    samples: { latencyMs: samples.map((s) => round(s.latencyMs, 2)), queries: counts },
  };
}

/** The reference cache's lookups so far, from the subgraph's /metrics. */
async function cacheLookups(subgraph: SubgraphProcess): Promise<{ hits: number; misses: number }> {
  const lines = (await subgraph.metrics()).split('\n').filter((l) => l.startsWith('phoenix_subgraph_reference_cache_lookups_total{'));
  const sum = (result: string) =>
    lines.filter((l) => l.includes(`result="${result}"`)).reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return { hits: sum('hit'), misses: sum('miss') };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (interrupted) return;
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`bench: ${err.message}\n\n${USAGE}`);
    } else if (err instanceof BenchAborted || err instanceof SubgraphStartError) {
      process.stderr.write(`bench aborted: ${err.message}\nNo results were written: a benchmark of failing requests measures nothing.\n`);
    } else if (err instanceof Error && err.name === 'ZodError') {
      process.stderr.write(`bench: the warehouse environment is incomplete (run through tools/bench/subgraphs): ${err.message}\n`);
    } else {
      process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exit(1);
  },
);
