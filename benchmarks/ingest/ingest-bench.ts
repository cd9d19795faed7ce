/**
 * Ingest benchmark (issue #3), run by `tools/bench/ingest`; what it measures and the
 * numbers are in docs/benchmarks.md. One run, one broker, one generated topic:
 *   (a) raw kafkajs consumption with JSON.parse of every message,
 *   (b) the same plus the ingest pipeline's CPU work (decode/validate, classify,
 *       enrichment from a warm cache, row building) without warehouse writes,
 *   (c) the real consumer-group lane end to end into the BigQuery emulator.
 * It creates its own topic, consumer groups and dataset, and deletes them at the end,
 * because others use the same local services at the same time.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createWarehouse, migrate } from '@phoenix/bq';
import { dropTestDataset } from '@phoenix/bq/testing';
import { ConfigError } from '@phoenix/service/config';
import { createKafka, parseIngestEnvironment } from '@phoenix/ingest';
import { createLogger } from '@phoenix/service';
import { createMeter, type Measurement } from './measure';
import { measureEndToEnd, measurePipelineCpu, measureRawConsumption, type PipelineResult } from './phases';
import { saveProfile, startProfile, type ProfileSummary } from './profile';
import { endToEndBreakdown, formatReport, medianMeasurement, nameBottleneck, TARGETS, type BenchResults } from './report';
import { generateWorkload, produceAll } from './workload';

const USAGE = `usage: tools/bench/ingest [options]

Measures (a) raw kafkajs consumption, (b) the ingest pipeline's CPU work and (c) the
ingest lane end to end into the emulator, on one generated topic. See docs/benchmarks.md.

  --events <n>             events to generate and produce (default 50000)
  --tenants <n>            tenants in the generated stream (default 8)
  --seed <n>               generator seed (default 3)
  --partitions <n>         partitions of the benchmark topic (default 6)
  --rounds <n>             rounds of (a) and (b), reported as the median (default 5), after one
                           unreported warm-up round of each (JIT, connections)
  --e2e-timeout <seconds>  time budget of (c); the rate is then over what was consumed (default 180)
  --skip-e2e               measure (a) and (b) only
  --profile                also write CPU profiles of (b) and (c) and name their hot spots
                           (an extra, unreported round of (b); (c)'s numbers are then inflated)
  --out <file>             JSON results (default .local/bench/ingest-<timestamp>.json)
  --log-level <level>      ingest log level, to stderr (default warn)
  --broker-pid-file <f>    pid file of the Kafka broker, to report its CPU (set by tools/bench/ingest)
  --emulator-pid-file <f>  pid file of the BigQuery emulator, likewise
  -h, --help               this text
`;

const say = (text: string) => process.stderr.write(`bench: ${text}\n`);

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer`);
  return n;
}

class UsageError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' },
      tenants: { type: 'string' },
      seed: { type: 'string' },
      partitions: { type: 'string' },
      rounds: { type: 'string' },
      'e2e-timeout': { type: 'string' },
      'skip-e2e': { type: 'boolean' },
      profile: { type: 'boolean' },
      out: { type: 'string' },
      'log-level': { type: 'string' },
      'broker-pid-file': { type: 'string' },
      'emulator-pid-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const options = {
    events: positiveInteger('events', values.events, 50_000),
    tenants: positiveInteger('tenants', values.tenants, 8),
    seed: positiveInteger('seed', values.seed, 3),
    partitions: positiveInteger('partitions', values.partitions, 6),
    rounds: positiveInteger('rounds', values.rounds, 5),
    e2eTimeoutSeconds: positiveInteger('e2e-timeout', values['e2e-timeout'], 180),
  };
  const logLevel = values['log-level'] ?? 'warn';
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const startedAt = new Date();
  const out = resolve(values.out ?? `.local/bench/ingest-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);

  const env = parseIngestEnvironment(process.env);
  const logger = createLogger({ level: logLevel, name: 'ingest-bench', destination: pino.destination(2) });
  const kafka = createKafka({ ...env.kafka, clientId: 'phoenix-ingest-bench' }, logger);
  const runId = randomBytes(4).toString('hex');
  const topic = `bench.ingest.${runId}`;
  const deadLetterTopic = `${topic}.deadletter`;
  const groupIds: string[] = [];
  const group = (name: string) => {
    groupIds.push(`bench-ingest-${runId}-${name}`);
    return groupIds[groupIds.length - 1] as string;
  };
  const warehouse = createWarehouse({ ...env.warehouse, datasetId: `bench_ingest_${runId}` });
  const pidFiles: Record<string, string> = {};
  if (values['broker-pid-file']) pidFiles['broker'] = values['broker-pid-file'];
  if (values['emulator-pid-file']) pidFiles['emulator'] = values['emulator-pid-file'];
  const meter = createMeter(pidFiles);

  // Everything this run creates on the shared services is removed again, also on Ctrl-C.
  const admin = kafka.admin();
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      await admin.deleteGroups(groupIds).catch(() => undefined);
      await admin.deleteTopics({ topics: [topic, deadLetterTopic] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await dropTestDataset(warehouse);
    })());
  const onSignal = () => {
    say('interrupted: deleting the benchmark topic, groups and dataset');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    await admin.connect();
    say(`generating ${options.events} events (${options.tenants} tenants, seed ${options.seed})`);
    const workload = generateWorkload(options);
    if (workload.messages.length < options.events) say(`the generator yielded only ${workload.messages.length} events`);
    const n = workload.messages.length;

    await admin.createTopics({
      topics: [
        { topic, numPartitions: options.partitions },
        { topic: deadLetterTopic, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    say(`producing to ${topic} (${options.partitions} partitions)`);
    const produced = await produceAll(kafka, admin, topic, workload.messages);
    say(`produced ${n} events in ${produced.seconds.toFixed(1)} s; migrating dataset ${warehouse.config.datasetId}`);
    await migrate(warehouse);

    const settings = { maxEventBytes: env.ingest.maxEventBytes, maxBatchMessages: env.ingest.maxBatchMessages };
    const timeoutMs = 120_000;
    const aRounds: Measurement[] = [];
    const bRounds: PipelineResult[] = [];
    // Round 0 warms up V8's JIT on both code paths and is not reported: the first pass
    // over kafkajs's decoder and the validation code runs partly unoptimised. The rounds
    // are interleaved so that a neighbour's burst of load hits both sides alike.
    for (let round = 0; round <= options.rounds; round++) {
      const label = round === 0 ? 'warm-up' : `round ${round}`;
      const a = await measureRawConsumption({
        kafka,
        topic,
        groupId: group(`a${round}`),
        expected: n,
        meter,
        timeoutMs,
        fetchMaxBytesPerPartition: env.ingest.fetchMaxBytesPerPartition,
      });
      say(`${label}: (a) ${a.eventsPerSecond} events/s, ${a.cpuUsPerEvent} µs CPU/event`);
      const b = await measurePipelineCpu(
        {
          kafka,
          topic,
          groupId: group(`b${round}`),
          expected: n,
          meter,
          timeoutMs,
          fetchMaxBytesPerPartition: env.ingest.fetchMaxBytesPerPartition,
        },
        { warehouse, referenceEvents: workload.referenceEvents, ...settings },
      );
      say(`${label}: (b) ${b.eventsPerSecond} events/s, ${b.cpuUsPerEvent} µs CPU/event`);
      if (round > 0) {
        aRounds.push(a);
        bRounds.push(b);
      }
    }

    const profileFile = (phase: string) => out.replace(/\.json$/, '') + `-${phase}.cpuprofile`;
    mkdirSync(dirname(out), { recursive: true });
    const profiles: { b?: ProfileSummary; c?: ProfileSummary } = {};
    if (values.profile) {
      say('profiling an extra round of (b)');
      const profiler = await startProfile();
      await measurePipelineCpu(
        {
          kafka,
          topic,
          groupId: group('b-profiled'),
          expected: n,
          meter,
          timeoutMs,
          fetchMaxBytesPerPartition: env.ingest.fetchMaxBytesPerPartition,
        },
        { warehouse, referenceEvents: workload.referenceEvents, ...settings },
      );
      profiles.b = await saveProfile(await profiler.stop(), profileFile('b'), process.cwd());
    }

    let c = null;
    if (!values['skip-e2e']) {
      say(`(c) end to end into dataset ${warehouse.config.datasetId}, budget ${options.e2eTimeoutSeconds} s`);
      const profiler = values.profile ? await startProfile() : null;
      c = await measureEndToEnd(
        {
          kafka,
          topic,
          groupId: group('c'),
          expected: n,
          meter,
          timeoutMs: options.e2eTimeoutSeconds * 1000,
          fetchMaxBytesPerPartition: env.ingest.fetchMaxBytesPerPartition,
        },
        {
          warehouse,
          logger,
          deadLetterTopic,
          ...settings,
          partitionsConcurrently: env.ingest.partitionsConcurrently,
          maxWriteMessages: env.ingest.maxWriteMessages,
          onProgress: (consumed, seconds) =>
            say(`(c) ${consumed}/${n} after ${Math.round(seconds)} s, ${Math.round(consumed / seconds)} events/s`),
        },
      );
      if (profiler) profiles.c = await saveProfile(await profiler.stop(), profileFile('c'), process.cwd());
    }

    const a = medianMeasurement(aRounds);
    const b = medianMeasurement(bRounds);
    const breakdown = c ? endToEndBreakdown(c) : [];
    const bOverA = { cpuPerEvent: b.cpuUsPerEvent / a.cpuUsPerEvent, throughput: b.eventsPerSecond / a.eventsPerSecond };
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
        loadAverageAtStart: loadavg(),
      },
      workload: {
        events: n,
        tenants: options.tenants,
        seed: options.seed,
        partitions: options.partitions,
        bytes: workload.bytes,
        meanEventBytes: workload.bytes / n,
        byEntityType: workload.byEntityType,
        generateSeconds: workload.generateSeconds,
        produceSeconds: produced.seconds,
      },
      settings: {
        rounds: options.rounds,
        ...settings,
        endToEndTimeoutSeconds: options.e2eTimeoutSeconds,
        // With --profile, (c) is measured while the profiler samples, so its numbers are inflated.
        endToEndProfiled: !!values.profile && c !== null,
      },
      phases: { a: { median: a, rounds: aRounds }, b: { median: b, rounds: bRounds }, c },
      ratios: {
        bOverA,
        cOverA: c ? { cpuPerEvent: c.cpuUsPerEvent / a.cpuUsPerEvent, throughput: c.eventsPerSecond / a.eventsPerSecond } : null,
      },
      targets: {
        pipelineCpu: { limit: TARGETS.pipelineCpuRatio, actual: bOverA.cpuPerEvent, met: bOverA.cpuPerEvent <= TARGETS.pipelineCpuRatio },
        endToEnd: {
          limit: TARGETS.endToEndEventsPerSecond,
          actual: c ? c.eventsPerSecond : null,
          met: c ? !c.partial && c.eventsPerSecond >= TARGETS.endToEndEventsPerSecond : null,
          bottleneck: c ? nameBottleneck(c, breakdown) : null,
        },
      },
      endToEndBreakdown: breakdown,
      profiles,
    };
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(formatReport(results));
    process.stdout.write(`\nresults: ${out}\n`);
    return 0;
  } finally {
    await cleanup();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`bench: ${err.message}\n\n${USAGE}`);
    } else if (err instanceof ConfigError) {
      process.stderr.write(`bench: ${err.message}\n`);
    } else {
      process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exit(1);
  },
);
