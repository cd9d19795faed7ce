/**
 * The load generator, in its own process: a fixed number of concurrent clients (one keep-alive
 * connection each, undici Pool), each sending the nested query again as soon as the previous
 * answer is read in full. A warm-up period runs first and is not recorded. Forked by
 * gateway-bench.ts with one JSON argument (LoadOptions); it reports over IPC:
 *   { type: 'measuring' } when the warm-up ends, then { type: 'done', result: LoadResult }.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  concurrency: number;
  warmupSeconds: number;
  durationSeconds: number;
}

export interface LoadResult {
  requests: number;
  /** Answers that were not HTTP 200 or carried GraphQL errors; the first one is kept in `sample`. */
  failures: number;
  sample: string | null;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { mean: number; p50: number; p95: number; p99: number; max: number };
  responseBytes: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

async function run(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  const pool = new Pool(target.origin, { connections: options.concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', ...options.headers };
  let latencies = new Float64Array(1 << 16);
  let recorded = 0;
  let failures = 0;
  let sample: string | null = null;
  let responseBytes = 0;
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';

  const client = async () => {
    while (phase !== 'stop') {
      const started = performance.now();
      let status: number;
      let text: string;
      try {
        const res = await pool.request({ path: target.pathname, method: 'POST', headers, body: options.body });
        status = res.statusCode;
        text = await res.body.text();
      } catch (err) {
        status = 0;
        text = String(err);
        await new Promise((r) => setTimeout(r, 10));
      }
      const ms = performance.now() - started;
      // Throughput counts the answers completed inside the measured window.
      if (phase !== 'measure') continue;
      if (recorded === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[recorded++] = ms;
      responseBytes = text.length;
      if (status !== 200 || text.includes('"errors"')) {
        failures += 1;
        sample ??= `${status} ${text.slice(0, 500)}`;
      }
    }
  };

  const clients = Array.from({ length: options.concurrency }, () => client());
  await new Promise((r) => setTimeout(r, options.warmupSeconds * 1000));
  phase = 'measure';
  const t0 = performance.now();
  process.send?.({ type: 'measuring' });
  await new Promise((r) => setTimeout(r, options.durationSeconds * 1000));
  phase = 'stop';
  const seconds = (performance.now() - t0) / 1000;
  process.send?.({ type: 'measured' });
  await Promise.all(clients);
  await pool.close();

  const sorted = latencies.slice(0, recorded).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    requests: recorded,
    failures,
    sample,
    seconds: round(seconds, 3),
    requestsPerSecond: round(recorded / seconds, 1),
    latencyMs: {
      mean: round(sum / Math.max(1, recorded)),
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
      p99: round(percentile(sorted, 99)),
      max: round(percentile(sorted, 100)),
    },
    responseBytes,
  };
}

if (require.main === module) {
  const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
  run(options).then(
    (result) => {
      process.send?.({ type: 'done', result }, () => process.exit(0));
    },
    (err: unknown) => {
      process.stderr.write(`load: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
