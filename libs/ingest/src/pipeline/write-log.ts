import { randomUUID } from 'node:crypto';
import { INGEST_WRITES_TABLE, WarehouseError, type Warehouse } from '@phoenix/bq';
import type { Decoded } from './decode';

/** Consecutive Kafka offsets of one topic partition held by a write: what a write-log row names. */
export interface OffsetRun {
  topic: string;
  partition: number;
  from: number;
  to: number;
}

/**
 * The runs of consecutive offsets per topic partition in a batch, whatever the order of
 * its messages (a group-committed write holds chunks of several partitions). A gap
 * (a transaction marker, a chunk written elsewhere) starts a new run, so a run never
 * names an offset the write does not hold.
 */
export function offsetRuns(batch: readonly Pick<Decoded, 'message'>[]): OffsetRun[] {
  const byPartition = new Map<string, { topic: string; partition: number; offsets: number[] }>();
  for (const { message } of batch) {
    const key = `${message.topic}\u0000${message.partition}`;
    let entry = byPartition.get(key);
    if (!entry) byPartition.set(key, (entry = { topic: message.topic, partition: message.partition, offsets: [] }));
    entry.offsets.push(Number(message.offset));
  }
  const runs: OffsetRun[] = [];
  for (const { topic, partition, offsets } of byPartition.values()) {
    offsets.sort((a, b) => a - b);
    let run: OffsetRun | undefined;
    for (const offset of offsets) {
      if (run && offset <= run.to + 1) run.to = Math.max(run.to, offset);
      else runs.push((run = { topic, partition, from: offset, to: offset }));
    }
  }
  return runs;
}

/** One write attempt's entries in the write log (INGEST_WRITES_TABLE). */
export interface WriteAttempt {
  id: string;
  /** The attempt's system time: chosen after its intent was acknowledged, never before its start. */
  recordedAt: string;
  /** Throws a retryable error once the attempt is older than its bound (call before each history MERGE). */
  checkAge(): void;
  /** Appends the attempt's `done` rows: call only when every row it writes is committed. */
  done(): Promise<void>;
}

/**
 * Starts a write attempt: appends its `intent` rows (one per offset run) and only then
 * chooses its system time, so the change feed's watermark cannot pass that time while the
 * attempt may still commit rows (libs/bq feedWatermark). `append` wraps the warehouse's
 * appendRows with the writer's timing. An attempt older than `maxAttemptMs` refuses to
 * write more history (checkAge): the feed stops waiting for an intent after
 * WRITE_INTENT_EXPIRY_MS, so no version may commit that late.
 */
export async function beginWrite(deps: {
  batch: readonly Pick<Decoded, 'message'>[];
  append: (rows: number, cell: Parameters<Warehouse['appendRows']>[2]) => Promise<void>;
  maxAttemptMs: number;
  now?: () => number;
}): Promise<WriteAttempt> {
  const now = deps.now ?? Date.now;
  const id = randomUUID();
  const runs = offsetRuns(deps.batch);
  const startedMs = now();
  const log = async (kind: 'intent' | 'done', at: string) => {
    if (runs.length === 0) return;
    await deps.append(runs.length, (column, i) => {
      const run = runs[i] as OffsetRun;
      switch (column) {
        case 'write_id':
          return id;
        case 'kind':
          return kind;
        case 'topic':
          return run.topic;
        case 'kafka_partition':
          return run.partition;
        case 'from_offset':
          return run.from;
        case 'to_offset':
          return run.to;
        case 'logged_at':
          return at;
        default:
          throw new Error(`write log: no column ${column} in ${INGEST_WRITES_TABLE.name}`);
      }
    });
  };
  await log('intent', new Date(startedMs).toISOString());
  // After the acknowledgement, and never before the intent's time even if the clock stepped back.
  const recordedAt = new Date(Math.max(now(), startedMs)).toISOString();
  return {
    id,
    recordedAt,
    checkAge() {
      const ageMs = now() - startedMs;
      if (ageMs > deps.maxAttemptMs)
        throw new WarehouseError(
          'TRANSIENT',
          `write attempt ${id} is ${ageMs} ms old (bound ${deps.maxAttemptMs} ms): starting over with a new intent`,
          true,
        );
    },
    done: () => log('done', new Date(now()).toISOString()),
  };
}
