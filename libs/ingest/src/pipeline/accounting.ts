import type { Outcome } from '../metrics';

/** Per partition: each Kafka offset this process committed, counted once under its outcome. */
export type PartitionTally = { [K in Outcome | 'consumed' | 'redelivered']: number };

/** What the first write of a message found; `labels` and `reason` are for the metrics. */
export interface WrittenMessage {
  offset: string;
  outcome: Outcome;
  labels: { tenant: string; entity_type: string };
  /** The dead-letter reason, for dead letters. */
  reason?: string;
  /**
   * The warehouse already held this offset's event, recorded from this very offset by a
   * write whose commit never happened (another process's before a crash or a rebalance):
   * `outcome` is the one recorded then, and the offset counts as `redelivered` too.
   */
  redelivered?: boolean;
}

interface PartitionState {
  tally: PartitionTally;
  /** Written (and dead letters published) by this process, not yet committed: offset → first outcome. */
  uncommitted: Map<string, WrittenMessage>;
  /** The offset after the last one this process committed. */
  committed: bigint;
}

/**
 * The lane's accounting by Kafka offset. A message counts when the offset commit that
 * covers it succeeds, under the outcome of its first write in this process, so:
 *  - a delivery of an offset this process already wrote (a batch written but not
 *    committed, fetched again after a broker outage or a rejoin) is `redelivered`, not
 *    consumed again, and keeps its first outcome (its second write finds it recorded);
 *  - an offset another process wrote but never committed counts here, under the outcome
 *    that process recorded (the writer reads it back from events_raw), and as
 *    `redelivered` when its commit counts it;
 *  - an offset is counted by the one process whose commit covered it: written offsets of
 *    a partition that moved away before its commit are forgotten at the next assignment
 *    and counted by the new owner. Summed over instances and restarts, each offset is
 *    counted once; the one exception is a commit the broker applied but whose answer was
 *    lost, which the next owner counts too.
 */
export function createOffsetAccounting() {
  const partitions = new Map<string, PartitionState>();
  const keyOf = (topic: string, partition: number) => `${topic}/${partition}`;

  function state(topic: string, partition: number): PartitionState {
    const key = keyOf(topic, partition);
    let s = partitions.get(key);
    if (!s) {
      s = {
        tally: { consumed: 0, applied: 0, duplicate: 0, superseded: 0, dead_lettered: 0, redelivered: 0 },
        uncommitted: new Map(),
        committed: -1n,
      };
      partitions.set(key, s);
    }
    return s;
  }

  return {
    /** True when this process already wrote this offset (its side effects, dead letters included, are done). */
    seen(topic: string, partition: number, offset: string): boolean {
      const s = partitions.get(keyOf(topic, partition));
      return s !== undefined && (s.uncommitted.has(offset) || BigInt(offset) < s.committed);
    },
    /** Records a written message; a second write of the same offset counts as a redelivery and keeps the first outcome. */
    written(topic: string, partition: number, message: WrittenMessage): 'first' | 'redelivered' {
      const s = state(topic, partition);
      if (s.uncommitted.has(message.offset) || BigInt(message.offset) < s.committed) {
        s.tally.redelivered++;
        return 'redelivered';
      }
      s.uncommitted.set(message.offset, message);
      return 'first';
    },
    /** The group committed up to `next` (exclusive): counts the written messages below it, once, and returns them. */
    committed(topic: string, partition: number, next: string): WrittenMessage[] {
      const s = state(topic, partition);
      const upTo = BigInt(next);
      const counted: WrittenMessage[] = [];
      for (const [offset, m] of s.uncommitted) {
        if (BigInt(offset) >= upTo) continue;
        s.uncommitted.delete(offset);
        s.tally.consumed++;
        s.tally[m.outcome]++;
        if (m.redelivered) s.tally.redelivered++;
        counted.push(m);
      }
      if (upTo > s.committed) s.committed = upTo;
      return counted;
    },
    /** The partitions this process now holds: written-but-uncommitted offsets of the others are left to their new owner. */
    assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
      for (const [key, s] of partitions) {
        const slash = key.lastIndexOf('/');
        const held = assignment[key.slice(0, slash)]?.includes(Number(key.slice(slash + 1))) ?? false;
        if (!held) s.uncommitted.clear();
      }
    },
    /** Per partition: consumed = applied + duplicate + superseded + dead_lettered; redelivered and uncommitted beside. */
    reconciliation(): Record<string, PartitionTally & { uncommitted: number; balanced: boolean }> {
      return Object.fromEntries(
        [...partitions].map(([key, { tally: t, uncommitted }]) => [
          key,
          { ...t, uncommitted: uncommitted.size, balanced: t.consumed === t.applied + t.duplicate + t.superseded + t.dead_lettered },
        ]),
      );
    },
  };
}

export type OffsetAccounting = ReturnType<typeof createOffsetAccounting>;
