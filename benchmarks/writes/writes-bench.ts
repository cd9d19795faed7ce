/**
 * Write-path benchmark, run by `tools/bench/writes`; what it measures and the numbers are
 * in docs/benchmarks.md. In one run on one machine: (a) a raw kafkajs producer (idempotent,
 * acks=all, as the service's) sends N events in batches of 100; (b) the same events go
 * through subgraph-commands' CloudEvents batch route, 100 per request, at the same
 * concurrency; the ratio (b)/(a) of accepted events/s. Then (c) the acknowledgement latency
 * of single-event writes: publishEvents with one event, and bookDesk (a command with its
 * state reads against the emulator), p50/p99. It creates its own topic, dataset and Redis
 * prefix and removes them at the end, also on Ctrl-C.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { createCloudEvent, validateEvent, type DomainEvent } from '@phoenix/domain';
import { migrate } from '@phoenix/bq';
import { applyEvents, createTestWarehouse, dropTestDataset } from '@phoenix/bq/testing';
import { ServiceProcess } from '@phoenix/service/testing';
import { postGraphQL, signedHeaders } from '@phoenix/subgraph/testing';

const USAGE = `usage: tools/bench/writes [options]

Accepted events/s through subgraph-commands' CloudEvents batch route (100 per request)
against a raw kafkajs producer with the same settings, and single-write latency p50/p99.

  --events <n>       events per throughput phase (default 20000)
  --batch <n>        events per request / per producer send (default 100)
  --concurrency <n>  requests or sends in flight (default 4)
  --rounds <n>       alternating rounds of (a) and (b) (default 3)
  --latency <n>      single writes per latency phase (default 200)
  --out <file>       JSON results (default .local/bench/writes-<timestamp>.json)
  -h, --help         this text
`;

const say = (text: string) => process.stderr.write(`bench: ${text}\n`);
const SECRET = 'bench-writes-secret-0123456789abcdefgh';
const KEYS = { secrets: [SECRET] };
const BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const WRITER = { tenantId: 'acme', consumerId: 'bench', scopes: ['events:write', 'bookings:write'] };

function envelopes(runId: string, phase: string, count: number): Record<string, unknown>[] {
  return Array.from(
    { length: count },
    (_, i) =>
      createCloudEvent({
        id: `bench-${runId}-${phase}-${i}`,
        tenantId: 'acme',
        entityType: 'team',
        action: 'updated',
        time: '2026-01-05T09:00:00.000Z',
        data: { id: `team-${i % 500}`, name: `Team ${i}`, costCenter: 'CC-42' },
      }) as unknown as Record<string, unknown>,
  );
}

/** Runs `tasks` with at most `concurrency` in flight. */
async function pool<T>(tasks: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await (tasks[i] as () => Promise<T>)();
      }
    }),
  );
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      batch: { type: 'string' },
      concurrency: { type: 'string' },
      rounds: { type: 'string' },
      latency: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(USAGE);
  const events = Number(values.events ?? 20_000);
  const batch = Number(values.batch ?? 100);
  const concurrency = Number(values.concurrency ?? 4);
  const rounds = Number(values.rounds ?? 3);
  const latencyN = Number(values.latency ?? 200);
  const runId = randomBytes(4).toString('hex');
  const topic = `bench.writes.${runId}`;
  const kafka = new Kafka({ clientId: `bench-writes-${runId}`, brokers: BROKERS, logLevel: logLevel.NOTHING });
  const warehouse = createTestWarehouse('bench_writes', process.env);
  let service: ServiceProcess | null = null;
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const cleanup = async () => {
    await service?.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await dropTestDataset(warehouse);
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await migrate(warehouse);
    // Desks for the bookDesk latency phase: one per booking (one active booking per desk and day).
    const seed: DomainEvent[] = [];
    const ev = (type: 'building' | 'floor' | 'desk' | 'member', data: Record<string, unknown>) => {
      const r = validateEvent(
        createCloudEvent({
          id: randomUUID(),
          tenantId: 'acme',
          entityType: type,
          action: 'created',
          time: '2026-01-01T00:00:00Z',
          data: data as never,
        }),
      );
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      seed.push(r.event);
    };
    ev('building', { id: 'b1', name: 'HQ', city: 'Berlin', countryCode: 'DE', timezone: 'UTC' });
    ev('floor', { id: 'f1', buildingId: 'b1', name: 'G', level: 0 });
    ev('member', { id: 'm1', teamId: null, email: 'bench@example.com', displayName: 'Bench', role: 'employee', active: true });
    for (let i = 0; i < latencyN; i++) ev('desk', { id: `d${i}`, floorId: 'f1', label: `D${i}`, features: [], bookable: true });
    await applyEvents(warehouse, seed);

    service = new ServiceProcess(
      'subgraph-commands',
      {
        CONTEXT_SIGNING_SECRET: SECRET,
        BIGQUERY_DATASET: warehouse.config.datasetId,
        TOPIC_EVENTS: topic,
        REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
        REDIS_PREFIX: `bench:writes:${runId}:`,
        MAX_BATCH_EVENTS: String(Math.max(batch, 100)),
      },
      /"msg":"subgraph-commands listening/,
    );
    const base = await service.started();
    await producer.connect();

    const raw = async (phase: string) => {
      const all = envelopes(runId, phase, events);
      const started = performance.now();
      const tasks = [];
      for (let i = 0; i < all.length; i += batch) {
        const chunk = all.slice(i, i + batch);
        tasks.push(() =>
          producer.send({
            topic,
            acks: -1,
            messages: chunk.map((e) => ({ key: `acme/${String(e['entityid'])}`, value: JSON.stringify(e) })),
          }),
        );
      }
      await pool(tasks, concurrency);
      return events / ((performance.now() - started) / 1000);
    };
    const viaService = async (phase: string) => {
      const all = envelopes(runId, phase, events);
      const started = performance.now();
      const tasks = [];
      for (let i = 0; i < all.length; i += batch) {
        const body = JSON.stringify(all.slice(i, i + batch));
        tasks.push(async () => {
          const res = await fetch(`${base}/v1/events`, {
            method: 'POST',
            headers: {
              'content-type': 'application/cloudevents-batch+json',
              ...signedHeaders({ ...WRITER, requestId: randomUUID() }, KEYS),
            },
            body,
          });
          const answer = (await res.json()) as { accepted?: number };
          if (res.status !== 202 || answer.accepted !== batch)
            throw new Error(`service answered ${res.status}: ${JSON.stringify(answer).slice(0, 300)}`);
        });
      }
      await pool(tasks, concurrency);
      return events / ((performance.now() - started) / 1000);
    };

    say('warm-up');
    await raw('warm-raw');
    await viaService('warm-svc');
    const rawRates: number[] = [];
    const svcRates: number[] = [];
    for (let r = 0; r < rounds; r++) {
      rawRates.push(await raw(`raw-${r}`));
      svcRates.push(await viaService(`svc-${r}`));
      say(`round ${r + 1}: raw ${Math.round(rawRates[r] as number)} events/s, service ${Math.round(svcRates[r] as number)} events/s`);
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;

    const latencies = async (name: string, one: (i: number) => Promise<void>) => {
      const ms: number[] = [];
      for (let i = 0; i < latencyN; i++) {
        const t = performance.now();
        await one(i);
        ms.push(performance.now() - t);
      }
      ms.sort((x, y) => x - y);
      const out = { p50: Math.round(percentile(ms, 50) * 10) / 10, p99: Math.round(percentile(ms, 99) * 10) / 10 };
      say(`${name}: p50 ${out.p50} ms, p99 ${out.p99} ms`);
      return out;
    };
    const single = envelopes(runId, 'single', latencyN);
    const publishOne = await latencies('publishEvents (1 event)', async (i) => {
      const r = await postGraphQL(
        `${base}/graphql`,
        { query: 'mutation($e: [EventInput!]!) { publishEvents(events: $e) { accepted } }', variables: { e: [single[i]] } },
        signedHeaders({ ...WRITER, requestId: randomUUID() }, KEYS),
      );
      if (r.errors) throw new Error(JSON.stringify(r.errors));
    });
    const start = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 5 * 60_000);
    const bookDesk = await latencies('bookDesk', async (i) => {
      const r = await postGraphQL(
        `${base}/graphql`,
        {
          query: 'mutation($input: BookDeskInput!) { bookDesk(input: $input) { eventId } }',
          variables: {
            input: {
              deskId: `d${i}`,
              memberId: 'm1',
              startTime: start.toISOString(),
              endTime: new Date(start.getTime() + 1_800_000).toISOString(),
            },
          },
        },
        signedHeaders({ ...WRITER, requestId: randomUUID() }, KEYS),
      );
      if (r.errors) throw new Error(JSON.stringify(r.errors));
    });

    const results = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, loadavg: loadavg() },
      options: { events, batch, concurrency, rounds, latency: latencyN },
      throughput: {
        rawEventsPerSecond: rawRates.map(Math.round),
        serviceEventsPerSecond: svcRates.map(Math.round),
        ratio: Math.round((median(svcRates) / median(rawRates)) * 100) / 100,
      },
      latencyMs: { publishOne, bookDesk },
    };
    const out = resolve(values.out ?? `.local/bench/writes-${results.at.replace(/[:.]/g, '-')}.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(results, null, 2));
    process.stdout.write(
      `\nWrites: events/s (batches of ${batch}, ${concurrency} in flight), medians of ${rounds} rounds\n` +
        `  raw kafkajs producer   ${Math.round(median(rawRates))}\n` +
        `  subgraph-commands      ${Math.round(median(svcRates))}   ratio ${results.throughput.ratio}× (target ≥ 0.5×)\n` +
        `Single-write acknowledgement latency (${latencyN} sequential writes)\n` +
        `  publishEvents, 1 event p50 ${publishOne.p50} ms  p99 ${publishOne.p99} ms\n` +
        `  bookDesk               p50 ${bookDesk.p50} ms  p99 ${bookDesk.p99} ms\n` +
        `  load average at the end: ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}\n` +
        `results: ${out}\n`,
    );
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
