import type { Message } from 'kafkajs';
import { chunkMessages } from './messages';

/** Sends messages to a topic and resolves once Kafka acknowledged all of them (acks=all). */
export type Send = (topic: string, messages: Message[]) => Promise<void>;

const STALL_NOTICE_MS = 30_000;

/** While `send` is unacknowledged, calls `notice` every `everyMs` (30 s) with the seconds waited. */
export async function withStallNotice<T>(send: Promise<T>, notice: (waitedSeconds: number) => void, everyMs = STALL_NOTICE_MS): Promise<T> {
  const started = Date.now();
  const timer = setInterval(() => notice(Math.round((Date.now() - started) / 1000)), everyMs);
  try {
    return await send;
  } finally {
    clearInterval(timer);
  }
}

/**
 * One send in flight, the next prepared meanwhile (the produce step of an import):
 * `dispatch` waits for the previous commit, then starts this one; `drain` waits for
 * the last. A failed commit fails the next `dispatch` or `drain`.
 */
export function createSendQueue<T>(commit: (item: T) => Promise<void>) {
  let inFlight: Promise<void> | undefined;
  return {
    /** Waits for the previous commit; then, unless `before` says no, starts this one. */
    async dispatch(item: T, before?: () => Promise<boolean>): Promise<void> {
      if (inFlight) await inFlight;
      if (before && !(await before())) return;
      inFlight = commit(item);
      // Awaited by the next dispatch or drain; this only keeps an early failure from
      // counting as an unhandled rejection meanwhile.
      inFlight.catch(() => undefined);
    },
    drain: async (): Promise<void> => void (inFlight && (await inFlight)),
    /** Waits for a commit still in flight, ignoring its failure (after another one). */
    settle: async (): Promise<void> => void (await inFlight?.catch(() => undefined)),
  };
}

/**
 * Holds an import to at most `maxRate` lines per second since `startedMs`: waits until
 * `lines` are due (an abort ends the wait). No rate: never waits.
 */
export function createPacer(options: {
  maxRate?: number;
  startedMs: number;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}) {
  return async (lines: number): Promise<void> => {
    if (!options.maxRate) return;
    const due = (lines / options.maxRate) * 1000 - (options.now() - options.startedMs);
    if (due > 0) await options.sleep(due, options.signal);
  };
}

/**
 * Sends messages in chunks of at most `batchSize` messages (and the send byte bound),
 * each acknowledged before the next; `onChunk` runs after each acknowledgement.
 */
export async function produceInChunks(
  send: Send,
  topic: string,
  messages: readonly Message[],
  batchSize: number,
  onChunk?: (chunk: Message[]) => Promise<void> | void,
): Promise<void> {
  for (const chunk of chunkMessages(messages, batchSize)) {
    await send(topic, chunk);
    await onChunk?.(chunk);
  }
}

/** A sleep that an abort ends early. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
