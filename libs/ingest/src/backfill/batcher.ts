import type { Message } from 'kafkajs';
import { emptyCounts, type ImportCounts } from './checkpoint';
import type { LineOutcome } from './line-outcome';
import { MAX_SEND_BYTES, messageBytes } from './messages';

/** A contiguous range of lines: its messages go in one send, its rejects are written when that send is acknowledged. */
export interface Batch {
  messages: Message[];
  bytes: number;
  rejects: string[];
  counts: ImportCounts;
  /** Last line in the batch, and the file offset just after it. */
  lastLine: number;
  end: number;
}

export interface Batcher {
  /** Adds a line; answers the batches it closed (none, or the previous one when this line's message would overflow it, or this one when full). */
  add(line: { number: number; end: number }, outcome: LineOutcome): Batch[];
  /** The batch still open, if it holds any line. */
  flush(): Batch | undefined;
}

/**
 * The batch step of an import: lines into batches of at most `batchSize` lines and
 * `maxSendBytes` of messages. Bounded by lines, not messages, so that a stretch of
 * rejects or blank lines is checkpointed too instead of piling up in memory.
 */
export function createBatcher(options: { batchSize: number; maxSendBytes?: number }): Batcher {
  const maxSendBytes = options.maxSendBytes ?? MAX_SEND_BYTES;
  const fresh = (): Batch => ({ messages: [], bytes: 0, rejects: [], counts: emptyCounts(), lastLine: 0, end: 0 });
  let batch = fresh();
  return {
    add(line, outcome) {
      const closed: Batch[] = [];
      if (outcome.kind === 'message') {
        const size = messageBytes(outcome.message);
        if (batch.messages.length > 0 && batch.bytes + size > maxSendBytes) {
          // The batch ends at the previous line; this one opens the next.
          closed.push(batch);
          batch = fresh();
        }
        batch.messages.push(outcome.message);
        batch.bytes += size;
        batch.counts.published += 1;
      } else if (outcome.kind === 'skip') {
        batch.counts.skipped += 1;
      } else {
        batch.counts.rejected += 1;
        batch.counts.rejectedByReason[outcome.reason] = (batch.counts.rejectedByReason[outcome.reason] ?? 0) + 1;
        batch.rejects.push(outcome.entry);
      }
      batch.counts.lines += 1;
      batch.lastLine = line.number;
      batch.end = line.end;
      if (batch.counts.lines >= options.batchSize) {
        closed.push(batch);
        batch = fresh();
      }
      return closed;
    },
    flush() {
      if (batch.counts.lines === 0) return undefined;
      const last = batch;
      batch = fresh();
      return last;
    },
  };
}
