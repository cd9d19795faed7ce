import type { Decoded } from './decode';
import type { WarehouseWriter, WrittenBatch } from './writer';

interface Waiting {
  batch: readonly Decoded[];
  resolve: (written: WrittenBatch) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for one lane: chunks that arrive while a write is in flight (other
 * partitions of the same lane, consumed concurrently) wait for it and then go to the
 * warehouse together as one write, up to `maxMessages`. A write costs the warehouse
 * about the same number of statements whatever its size, so this turns N partitions'
 * small writes into one larger one. Each caller gets the outcomes of its own messages,
 * in order; if the shared write fails, every caller in it gets the error and retries,
 * and the retries group again. Nothing is acknowledged before the write that holds it.
 */
export function createGroupCommit(
  writer: Pick<WarehouseWriter, 'write'>,
  options: { maxMessages: number },
): Pick<WarehouseWriter, 'write'> {
  const queue: Waiting[] = [];
  let draining = false;

  async function drain(): Promise<void> {
    draining = true;
    try {
      while (queue.length > 0) {
        // Take whole chunks while they fit; the first always goes, whatever its size.
        let count = 0;
        let take = 0;
        while (take < queue.length && (take === 0 || count + (queue[take] as Waiting).batch.length <= options.maxMessages)) {
          count += (queue[take] as Waiting).batch.length;
          take++;
        }
        const group = queue.splice(0, take);
        const combined = group.length === 1 ? (group[0] as Waiting).batch : group.flatMap((w) => w.batch);
        try {
          const { outcomes, redelivered } = await writer.write(combined);
          let offset = 0;
          for (const waiting of group) {
            const end = offset + waiting.batch.length;
            waiting.resolve({
              outcomes: outcomes.slice(offset, end),
              ...(redelivered ? { redelivered: redelivered.slice(offset, end) } : {}),
            });
            offset = end;
          }
        } catch (err) {
          for (const waiting of group) waiting.reject(err);
        }
      }
    } finally {
      draining = false;
    }
  }

  return {
    write(batch: readonly Decoded[]): Promise<WrittenBatch> {
      return new Promise<WrittenBatch>((resolve, reject) => {
        queue.push({ batch, resolve, reject });
        if (!draining) void drain();
      });
    },
  };
}
