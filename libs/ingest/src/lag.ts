import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import type { IngestMetrics } from './metrics';

/** Partitions by topic, as a consumer group assigns them. */
export type Assignment = Readonly<Record<string, readonly number[]>>;

/**
 * Messages of a partition not yet committed by the group: high watermark minus the
 * committed offset, or minus the low watermark when the group has committed nothing
 * (kafkajs reports that as -1) or its offset fell off the log.
 */
export function partitionLag(high: string, low: string, committed: string): number {
  const h = BigInt(high);
  const l = BigInt(low);
  const c = BigInt(committed);
  const from = c < l ? l : c;
  return Number(h > from ? h - from : 0n);
}

/**
 * Keeps `phoenix_ingest_consumer_lag` true for the partitions this instance holds, even
 * while nothing is committed — a warehouse outage is when lag matters most, and the lane
 * then neither fetches nor commits. Every `intervalMs` it asks the broker for the high
 * watermarks and the group's committed offsets (two admin requests per topic); the lane
 * also sets the gauge itself after each commit. Series of partitions that moved to
 * another instance are removed, so summing the gauge over instances counts each once.
 */
export function createLagMonitor(deps: {
  admin: Admin;
  groupId: string;
  metrics: Pick<IngestMetrics, 'lag'>;
  logger: Logger;
  intervalMs: number;
}) {
  const { admin, groupId, metrics, logger } = deps;
  let assignment: Assignment = {};
  let timer: NodeJS.Timeout | undefined;
  let failing = false;
  let refreshing = false;
  let stopped = false;
  // The highest high watermark seen per partition: a batch's own can be older than the
  // last refresh's, and a commit must not make the gauge fall below the real backlog.
  const highs = new Map<string, bigint>();

  const labelsOf = (topic: string, partition: number) => ({ topic, partition: String(partition) });
  const keyOf = (topic: string, partition: number) => `${topic}/${partition}`;
  function knownHigh(topic: string, partition: number, high: string): bigint {
    const key = keyOf(topic, partition);
    const seen = highs.get(key);
    const h = BigInt(high);
    const max = seen === undefined || h > seen ? h : seen;
    highs.set(key, max);
    return max;
  }

  async function refresh(): Promise<void> {
    for (const [topic, partitions] of Object.entries(assignment)) {
      if (partitions.length === 0) continue;
      const [watermarks, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
      const committedOf = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
      for (const w of watermarks) {
        // The assignment may have changed (or the lane stopped) while the broker answered.
        if (stopped || !assignment[topic]?.includes(w.partition)) continue;
        const high = knownHigh(topic, w.partition, w.high).toString();
        metrics.lag.set(labelsOf(topic, w.partition), partitionLag(high, w.low, committedOf.get(w.partition) ?? '-1'));
      }
    }
  }

  async function tick(): Promise<void> {
    // One refresh at a time: with a slow broker an older answer must not land after a newer one.
    if (refreshing || stopped) return;
    refreshing = true;
    try {
      await refresh();
      if (failing) logger.info('consumer lag refresh works again');
      failing = false;
    } catch (err) {
      // Once per failing period: the broker being away is already visible elsewhere.
      if (!failing && !stopped) logger.warn({ err }, 'consumer lag refresh failed; the gauge keeps its last values');
      failing = true;
    } finally {
      refreshing = false;
    }
  }

  return {
    /** The partitions this instance now holds (each group join); others' series are removed. */
    setAssignment(next: Assignment): void {
      for (const [topic, partitions] of Object.entries(assignment))
        for (const p of partitions)
          if (!next[topic]?.includes(p)) {
            metrics.lag.remove(labelsOf(topic, p));
            highs.delete(keyOf(topic, p));
          }
      assignment = next;
      void tick();
    },
    /**
     * A fetched batch or a commit: `uncommittedFrom` is the first offset not committed
     * yet, `high` the batch's high watermark (the larger one seen wins).
     */
    observe(topic: string, partition: number, high: string, uncommittedFrom: string): void {
      if (stopped || !assignment[topic]?.includes(partition)) return;
      metrics.lag.set(labelsOf(topic, partition), partitionLag(knownHigh(topic, partition, high).toString(), '0', uncommittedFrom));
    },
    start(): void {
      stopped = false;
      timer ??= setInterval(() => void tick(), deps.intervalMs);
      timer.unref();
    },
    stop(): void {
      stopped = true;
      clearInterval(timer);
      timer = undefined;
      highs.clear();
      for (const [topic, partitions] of Object.entries(assignment)) for (const p of partitions) metrics.lag.remove(labelsOf(topic, p));
      assignment = {};
    },
    refresh: tick,
  };
}
