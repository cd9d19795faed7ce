/**
 * Gateway benchmark (issue #5), run by `tools/bench/gateway`; what it measures and the numbers
 * are in docs/benchmarks.md. The federation scenario of The Guild's gateway benchmark
 * (accounts, inventory, products, reviews and its nested query) on four local Node subgraphs;
 * on them, one after another with the same load and the same number of worker processes:
 * bare @apollo/gateway, @graphql-hive/gateway-runtime, and Phoenix's gateway with every policy
 * on. Each answer is checked against the others before anything is measured.
 */
import { randomBytes } from 'node:crypto';
import { fork } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { request } from 'undici';
import { ConsumersFileSchema, generateApiKey } from '@phoenix/access';
import {
  GATEWAY_LABELS,
  GATEWAYS,
  GatewayStartError,
  startGateway,
  type GatewayName,
  type GatewaySpec,
  type RunningGateway,
} from './gateways';
import type { LoadOptions, LoadResult } from './load';
import { machineBusySeconds, round, treeCpuSeconds } from './measure';
import { summariseProfiles, type ProfileSummary } from './profile';
import { formatReport, summarise, type Leg } from './report';
import { NESTED_QUERY, composeSupergraph } from './scenario';
import { startSubgraphs, type RunningSubgraphs } from './subgraphs';

const USAGE = `usage: tools/bench/gateway [options]

Runs the nested query of The Guild's federation benchmark through bare @apollo/gateway,
@graphql-hive/gateway-runtime and Phoenix's gateway (all policies on), one after another on
the same four local subgraphs, and reports requests/s, p50/p95/p99 latency, each gateway's own
CPU time per request, and the ratios against the targets. See docs/benchmarks.md.

  --duration <seconds>     measured time per leg (default 20)
  --warmup <seconds>       unrecorded warm-up per leg, same load (default 5)
  --concurrency <n>        concurrent clients, one keep-alive connection each (default 50)
  --workers <n>            worker processes per gateway, behind one port (default 1)
  --rounds <n>             legs per gateway; odd rounds run in reverse order (default 2)
  --gateways <list>        comma-separated, from apollo,hive,phoenix (default all three)
  --hive-no-dedupe         turn off Hive's deduplication of identical in-flight subgraph requests
                           (on by default; with identical concurrent queries it shares fetches)
  --phoenix-log-level <l>  warn (default) or info, which adds Phoenix's access-log line per request
  --phoenix-no-share       turn off Phoenix's sharing of identical in-flight subgraph requests (on by default)
  --profile                after the measured rounds, one extra, unreported leg per gateway under
                           node --cpu-prof; names each gateway's hot spots by self time
  --base-port <n>          subgraphs on n..n+3, gateways on n+10.. (default 4700)
  --out <file>             JSON results (default .local/bench/gateway-<timestamp>.json)
  -h, --help               this text
`;

const say = (text: string) => process.stderr.write(`bench: ${text}\n`);

class UsageError extends Error {}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer`);
  return n;
}

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: unknown;
  text: string;
}

async function ask(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.body.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // reported below as not JSON
  }
  return { status: res.statusCode, headers: res.headers, body: parsed, text };
}

/** The nested query's answer, checked: HTTP 200, no errors, data present, and deep-equal to the reference when there is one. */
async function verify(
  gateway: RunningGateway,
  headers: Record<string, string>,
  body: string,
  reference: unknown,
): Promise<{ result: unknown; headers: Record<string, unknown> }> {
  const answer = await ask(gateway.url, headers, body);
  const result = answer.body as { data?: unknown; errors?: unknown } | null;
  if (answer.status !== 200 || !result || result.errors !== undefined || !result.data) {
    throw new Error(
      `${GATEWAY_LABELS[gateway.name]} answered the nested query wrongly (HTTP ${answer.status}): ${answer.text.slice(0, 800)}`,
    );
  }
  if (reference !== undefined && !isDeepStrictEqual(result, reference)) {
    throw new Error(`${GATEWAY_LABELS[gateway.name]}'s answer to the nested query differs from the first gateway's; not measuring`);
  }
  return { result, headers: answer.headers };
}

interface LoadOutcome {
  result: LoadResult;
  /** CPU seconds in the measured window, by process. */
  cpuSeconds: Record<string, number | null>;
  /** Busy seconds of the whole machine in the window. */
  machine: number | null;
  /** POSTs the four subgraphs served in the window. */
  subgraphRequests: number | null;
}

async function subgraphRequestCount(urls: readonly string[]): Promise<number | null> {
  try {
    const counts = await Promise.all(
      urls.map(async (url) => {
        const res = await request(url.replace(/\/graphql$/, '/stats'));
        return ((await res.body.json()) as { requests: number }).requests;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  } catch {
    return null;
  }
}

function runLoad(options: LoadOptions, pids: Record<string, number>, subgraphUrls: readonly string[]): Promise<LoadOutcome> {
  return new Promise((resolvePromise, reject) => {
    const child = fork(join(__dirname, 'load.ts'), [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const watched = { ...pids, load: child.pid as number };
    const snapshot = async () => {
      const cpu = Object.fromEntries(Object.entries(watched).map(([k, pid]) => [k, treeCpuSeconds(pid)]));
      const machine = machineBusySeconds();
      return { cpu, machine, subgraphRequests: await subgraphRequestCount(subgraphUrls) };
    };
    let start: ReturnType<typeof snapshot> | null = null;
    let end: ReturnType<typeof snapshot> | null = null;
    const finish = async (result: LoadResult) => {
      if (!start || !end) throw new Error('the load generator finished without reporting its measured window');
      const [s, e] = await Promise.all([start, end]);
      const cpuSeconds = Object.fromEntries(
        Object.keys(e.cpu).map((k) => {
          const a = s.cpu[k];
          const b = e.cpu[k];
          return [k, a === null || a === undefined || b === null || b === undefined ? null : round(b - a, 2)];
        }),
      );
      return {
        result,
        cpuSeconds,
        machine: s.machine === null || e.machine === null ? null : round(e.machine - s.machine, 2),
        subgraphRequests: s.subgraphRequests === null || e.subgraphRequests === null ? null : e.subgraphRequests - s.subgraphRequests,
      };
    };
    child.on('message', (message: { type: string; result?: LoadResult }) => {
      if (message.type === 'measuring') start = snapshot();
      else if (message.type === 'measured') end = snapshot();
      else if (message.type === 'done' && message.result) finish(message.result).then(resolvePromise, reject);
    });
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`the load generator exited with ${code}`));
    });
  });
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      workers: { type: 'string' },
      rounds: { type: 'string' },
      gateways: { type: 'string' },
      'base-port': { type: 'string' },
      'hive-no-dedupe': { type: 'boolean' },
      'phoenix-log-level': { type: 'string' },
      'phoenix-no-share': { type: 'boolean' },
      profile: { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const options = {
    durationSeconds: positiveInteger('duration', values.duration, 20),
    warmupSeconds: positiveInteger('warmup', values.warmup, 5),
    concurrency: positiveInteger('concurrency', values.concurrency, 50),
    workers: positiveInteger('workers', values.workers, 1),
    rounds: positiveInteger('rounds', values.rounds, 2),
    basePort: positiveInteger('base-port', values['base-port'], 4700),
    hiveDedupe: !values['hive-no-dedupe'],
    phoenixLogLevel: values['phoenix-log-level'] ?? 'warn',
    phoenixShare: !values['phoenix-no-share'],
  };
  if (!['warn', 'info'].includes(options.phoenixLogLevel)) throw new UsageError('--phoenix-log-level must be warn or info');
  const selected = (values.gateways ?? GATEWAYS.join(',')).split(',').map((g) => g.trim());
  for (const g of selected) {
    if (!GATEWAYS.includes(g as GatewayName)) throw new UsageError(`--gateways: unknown gateway ${g} (use ${GATEWAYS.join(', ')})`);
  }
  const gateways = GATEWAYS.filter((g) => selected.includes(g));
  const root = resolve(__dirname, '../..');
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const out = resolve(values.out ?? join(root, `.local/bench/gateway-${stamp}.json`));
  const work = join(root, `.local/bench/gateway-${stamp}`);
  mkdirSync(work, { recursive: true });

  // One API key per run, made and hashed by the domain's own generateApiKey and stored only as its
  // hash, with limits so high they never refuse but are still counted on every request. The file
  // is checked against the gateway's own schema, so a change of contract shows here first.
  const { key: apiKey, stored } = generateApiKey(startedAt);
  const consumersFile = join(work, 'consumers.json');
  const consumers = ConsumersFileSchema.parse({
    consumers: [
      {
        id: 'bench',
        name: 'Benchmark',
        tenantId: 'bench',
        scopes: ['bookings:read'],
        keys: [stored],
        limits: { perMinute: 100_000_000, perDay: 1_000_000_000, spikeArrest: { perSecond: 1_000_000, burst: 1_000_000 } },
      },
    ],
  });
  writeFileSync(consumersFile, `${JSON.stringify(consumers, null, 2)}\n`, { mode: 0o600 });
  // Every gateway gets the same request, header included; only Phoenix reads it.
  const headers = { 'x-api-key': apiKey };
  const body = JSON.stringify({ query: NESTED_QUERY, operationName: 'TestQuery' });

  let subgraphs: RunningSubgraphs | null = null;
  let current: RunningGateway | null = null;
  const cleanup = async () => {
    await current?.stop();
    await subgraphs?.stop();
    // The gateways' logs and the supergraph stay beside the JSON results; the consumers file goes.
    rmSync(consumersFile, { force: true });
  };
  const onSignal = () => {
    say('interrupted; stopping the processes this run started');
    cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    subgraphs = await startSubgraphs(options.basePort);
    const supergraphPath = join(work, 'supergraph.graphql');
    writeFileSync(supergraphPath, composeSupergraph(subgraphs.urls));
    const running = subgraphs;
    const spec = (name: GatewayName): GatewaySpec => ({
      name,
      port: options.basePort + 10 + GATEWAYS.indexOf(name),
      workers: options.workers,
      supergraphPath,
      logDir: work,
      hiveDedupe: options.hiveDedupe,
      phoenix: {
        supergraphPath,
        consumersFile,
        signingSecret: randomBytes(32).toString('base64url'),
        root,
        logLevel: options.phoenixLogLevel,
        shareInFlight: options.phoenixShare,
      },
    });

    // Correctness first: every gateway must give the same answer, or nothing is measured.
    let reference: unknown;
    const listeningLines: Partial<Record<GatewayName, Record<string, unknown> | null>> = {};
    // Subgraph fetches for one query alone: the gateway's query plan, before any deduplication.
    const planFetches: Partial<Record<GatewayName, number | null>> = {};
    // The response headers of that answer: Phoenix's show its policies at work (RateLimit-*).
    const responseHeaders: Partial<Record<GatewayName, Record<string, unknown>>> = {};
    for (const name of gateways) {
      say(`checking ${GATEWAY_LABELS[name]}'s answer`);
      current = await startGateway(spec(name), { headers, body });
      listeningLines[name] = current.listeningLine;
      const before = await subgraphRequestCount(Object.values(running.urls));
      const checked = await verify(current, headers, body, reference);
      reference = checked.result;
      responseHeaders[name] = checked.headers;
      const after = await subgraphRequestCount(Object.values(running.urls));
      planFetches[name] = before === null || after === null ? null : after - before;
      await current.stop();
      current = null;
    }
    const responseBytes = Buffer.byteLength(JSON.stringify(reference));
    if (gateways.includes('phoenix')) {
      const rateHeaders = Object.keys(responseHeaders.phoenix ?? {}).filter((h) => h.startsWith('ratelimit'));
      say(
        `Phoenix's answer carries ${rateHeaders.length ? rateHeaders.join(', ') : 'NO RateLimit-* headers (is the rate-limit policy on?)'}`,
      );
      if (!listeningLines.phoenix)
        say(`Phoenix printed no "gateway listening" line at LOG_LEVEL=${options.phoenixLogLevel} (readiness was found by polling)`);
    }
    say(
      `all ${gateways.length} gateways give the same ${responseBytes}-byte answer; subgraph fetches for one query: ${JSON.stringify(planFetches)}`,
    );

    const legs: Leg[] = [];
    for (let round_ = 0; round_ < options.rounds; round_++) {
      const order = round_ % 2 === 0 ? gateways : [...gateways].reverse();
      for (const name of order) {
        current = await startGateway(spec(name), { headers, body });
        await verify(current, headers, body, reference);
        const gatewayPid = current.pid;
        say(`round ${round_ + 1}: ${GATEWAY_LABELS[name]} (${options.warmupSeconds} s warm-up, ${options.durationSeconds} s measured)`);
        const load = await runLoad(
          {
            url: current.url,
            headers,
            body,
            concurrency: options.concurrency,
            warmupSeconds: options.warmupSeconds,
            durationSeconds: options.durationSeconds,
          },
          { gateway: gatewayPid, ...running.pids },
          Object.values(running.urls),
        );
        await current.stop();
        current = null;
        const leg: Leg = { gateway: name, round: round_ + 1, ...load };
        legs.push(leg);
        const r = load.result;
        say(
          `  ${r.requestsPerSecond} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, gateway CPU ${load.cpuSeconds['gateway']} s` +
            (r.failures ? `, ${r.failures} FAILED answers: ${r.sample}` : ''),
        );
      }
    }

    const profiles: Partial<Record<GatewayName, ProfileSummary>> = {};
    if (values.profile) {
      for (const name of gateways) {
        const profileDir = join(work, `profile-${name}`);
        mkdirSync(profileDir, { recursive: true });
        current = await startGateway({ ...spec(name), profileDir }, { headers, body });
        await verify(current, headers, body, reference);
        say(`profiled leg (not reported): ${GATEWAY_LABELS[name]}`);
        const gatewayPid = current.pid;
        await runLoad(
          {
            url: current.url,
            headers,
            body,
            concurrency: options.concurrency,
            warmupSeconds: options.warmupSeconds,
            durationSeconds: options.durationSeconds,
          },
          { gateway: gatewayPid, ...running.pids },
          Object.values(running.urls),
        );
        await current.stop();
        current = null;
        profiles[name] = summariseProfiles(profileDir, root);
      }
    }

    const summary = summarise(gateways, legs);
    const machine = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      node: process.version,
    };
    const results = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options: { ...options, gateways },
      machine,
      responseBytes,
      logDir: work,
      listeningLines,
      planFetches,
      responseHeaders,
      profiles,
      legs,
      summary,
    };
    mkdirSync(resolve(out, '..'), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(formatReport(results));
    for (const [name, p] of Object.entries(profiles)) {
      process.stdout.write(`\nHot spots of ${GATEWAY_LABELS[name as GatewayName]} (self time, profiled leg, ${p.totalMs} ms sampled):\n`);
      process.stdout.write(`  by package: ${p.packages.map((h) => `${h.name} ${Math.round(h.share * 1000) / 10}%`).join(', ')}\n`);
      for (const h of p.functions) process.stdout.write(`  ${(Math.round(h.share * 1000) / 10).toFixed(1).padStart(5)}%  ${h.name}\n`);
    }
    process.stdout.write(`Subgraph fetches for one query alone (the query plan): ${JSON.stringify(planFetches)}\n`);
    process.stdout.write(`\nJSON results: ${out}\n`);
    const failed = legs.some((l) => l.result.failures > 0);
    if (failed) say('some answers under load were failures (see the table); the figures are not valid');
    return failed ? 1 : 0;
  } finally {
    await cleanup();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (err instanceof GatewayStartError && err.gateway === 'phoenix') {
      process.stderr.write(
        `bench: ${err.message}\nbench: Phoenix's gateway could not be started (apps/gateway/src/main.ts); run the others with --gateways apollo,hive\n`,
      );
      process.exit(1);
    }
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
