import type { KafkaMessage } from 'kafkajs';
import type { Warehouse } from '@phoenix/bq';
import { createPipelineWork } from './phases';
import { generateWorkload } from './workload';

/**
 * (b)'s per-batch work on in-memory messages, without Kafka: for iterating on the
 * pipeline's CPU cost (CPU µs per event over `toString` + `JSON.parse`, median of rounds).
 * Not part of the benchmark's report. Run: tsx --tsconfig benchmarks/ingest/tsconfig.json benchmarks/ingest/pipeline-harness.ts [rounds]
 */
async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 11);
  const workload = generateWorkload({ events: 50_000, tenants: 8, seed: 3 });
  const messages = workload.messages.map(
    (m, i) =>
      ({
        key: Buffer.from(m.key as string),
        value: Buffer.from(m.value as string),
        headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, Buffer.from(String(v))])),
        offset: String(i),
        timestamp: '0',
        attributes: 0,
        size: 0,
      }) as unknown as KafkaMessage,
  );
  const warehouse = { query: () => Promise.reject(new Error('no warehouse')) } as unknown as Warehouse;
  const batches: KafkaMessage[][] = [];
  for (let i = 0; i < messages.length; i += 1000) batches.push(messages.slice(i, i + 1000));
  const cpu = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const raw: number[] = [];
  const pipe: number[] = [];
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    let t = cpu();
    for (const b of batches) for (const m of b) sink += Object.keys(JSON.parse((m.value as Buffer).toString('utf8')) as object).length;
    raw.push((cpu() - t) / messages.length);
    const work = await createPipelineWork({
      warehouse,
      referenceEvents: workload.referenceEvents,
      maxEventBytes: 1_000_000,
      maxBatchMessages: 500,
    });
    t = cpu();
    for (const b of batches) await work.processBatch('t', 0, b);
    pipe.push((cpu() - t) / messages.length);
    if (r === rounds - 1) process.stdout.write(`${JSON.stringify(work.results())}\n`);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  process.stdout.write(
    `raw ${med(raw).toFixed(2)} µs/event, pipeline ${med(pipe).toFixed(2)} µs/event, own ${(med(pipe) - med(raw)).toFixed(2)} (sink ${sink > 0})\n`,
  );
}
void main();
