import type { IHeaders, Message } from 'kafkajs';
import { validateEvent } from '@phoenix/domain';
import { DEAD_LETTER_HEADERS, deadLetterId, headerText, sha256Hex } from '../pipeline/dead-letter';
import { produceInChunks } from './produce';
import { createProgressTicker } from './progress-ticker';

/** A fatal, operator-fixable problem (a missing topic, an unreachable broker); the message says what to do. */
export class RedriveError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedriveError';
  }
}

/** A message read from the dead-letter topic: the original key, value and headers plus the dead-letter headers. */
export interface DeadLetter {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  /** Kafka timestamp of the dead letter, epoch ms as a string. */
  timestamp: string;
}

/** Which dead letters to consider. Empty `reasons` means all; the time window is [since, until). */
export interface RedriveFilter {
  reasons?: readonly string[];
  sinceMs?: number;
  untilMs?: number;
}

export interface RedriveOptions {
  deadLetterTopic: string;
  /** Republish here instead of each letter's source topic. */
  to?: string;
  filter: RedriveFilter;
  /** Size limit for re-validation: the ingest's INGEST_MAX_EVENT_BYTES after the fix. */
  maxBytes: number;
  dryRun: boolean;
  /** Messages per send; default 500. */
  batchSize?: number;
  signal?: AbortSignal;
  progressIntervalMs?: number;
}

export interface RedriveDeps {
  /** Feeds every message on `topic` up to its end offsets at the start, batch by batch, then resolves. */
  readToEnd(topic: string, onBatch: (letters: DeadLetter[]) => Promise<void>, signal?: AbortSignal): Promise<void>;
  /** Publishes and resolves once Kafka acknowledged every message. */
  send(topic: string, messages: Message[]): Promise<void>;
  topicExists(topic: string): Promise<boolean>;
  /**
   * Records in the warehouse's dead_letters table that these dead letters were re-driven
   * at `at` (`redriven_at`, which the audit API shows), and resolves with the rows it
   * updated. Called after their republish was acknowledged; a failure is counted
   * (`notMarked`), never fatal: the letters went out.
   */
  markRedriven?(letters: readonly FiledLetter[], at: Date): Promise<number>;
  /**
   * The originals of stubs (letters the dead-letter topic refused, published without
   * their value) from the warehouse's dead_letters rows, by dead-letter id; ids without a
   * row are left out.
   */
  fetchOriginals?(letters: readonly FiledLetter[]): Promise<Map<string, OriginalMessage>>;
  onProgress?(progress: RedriveProgress): void;
  now?(): number;
  /** Waits between attempts of markRedriven; setTimeout when unset. */
  sleep?(ms: number): Promise<void>;
}

/** A dead letter's original message, as its dead_letters row keeps it. */
export interface OriginalMessage {
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** How often a markRedriven that lost to a concurrent update (the ingest's MERGE) is tried, and the first wait. */
export const MARK_ATTEMPTS = 6;
export const MARK_BASE_DELAY_MS = 250;

export interface RedriveProgress {
  examined: number;
  matched: number;
  redriven: number;
  stillInvalid: number;
  dryRun: boolean;
}

export interface RedriveSummary extends RedriveProgress {
  status: 'complete' | 'interrupted';
  deadLetterTopic: string;
  redrivenByTopic: Record<string, number>;
  stillInvalidByReason: Record<string, number>;
  /** Matched and valid, but with neither --to nor a source-topic header. */
  noDestination: number;
  /** Matched and valid, but their destination topic does not exist: letters per topic. */
  missingTopics: Record<string, number>;
  /**
   * Re-driven letters whose dead_letters row got its redriven_at, and those without: no
   * row (filed in another dataset, or before the table existed) or the update failed
   * (the first error in markError).
   */
  marked: number;
  notMarked: number;
  markError?: string;
  /** markRedriven attempts that failed with a transient error (e.g. a concurrent update) and were tried again. */
  markRetries: number;
  /** Stubs whose original was read from the warehouse, and stubs without one (no row, or its digest differs): left alone. */
  stubsResolved: number;
  stubsMissing: number;
  /** Further copies of a letter already handled in this run (same source position): skipped. */
  copiesSkipped: number;
  durationMs: number;
}

export type RedriveDecision =
  | { action: 'skip' }
  | { action: 'still-invalid'; reason: string }
  | { action: 'no-destination' }
  | { action: 'redrive'; topic: string; message: Message; filed?: FiledLetter };

/** A dead letter's row in the dead_letters table: its id, and when the ingest received it (the table's partition column). */
export interface FiledLetter {
  id: string;
  receivedAtMs: number;
}

const OUR_HEADERS = new Set<string>(Object.values(DEAD_LETTER_HEADERS));

/**
 * The headers a re-driven message carries: the original ones, without the dead-letter
 * headers (they describe the failure, which no longer applies), and the redrive count
 * one higher — so a message that fails again shows on the dead-letter topic how often
 * it has been tried.
 */
export function redriveHeaders(original: IHeaders): IHeaders {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(original)) if (!OUR_HEADERS.has(name) && value !== undefined) headers[name] = value;
  const previous = Number(headerText(original, DEAD_LETTER_HEADERS.redriveCount) ?? 0);
  headers[DEAD_LETTER_HEADERS.redriveCount] = String((Number.isSafeInteger(previous) && previous > 0 ? previous : 0) + 1);
  return headers;
}

/**
 * When a dead letter was filed: the ingest's received-at header, or the dead letter's
 * own Kafka timestamp when that header is missing or unreadable.
 */
export function deadLetterTime(letter: DeadLetter): number {
  const received = Date.parse(headerText(letter.headers, DEAD_LETTER_HEADERS.receivedAt) ?? '');
  return Number.isNaN(received) ? Number(letter.timestamp) : received;
}

/** Whether the filter selects a letter (its reason and time, from the dead-letter headers). */
export function matchesFilter(letter: DeadLetter, filter: RedriveFilter): boolean {
  const { reasons, sinceMs, untilMs } = filter;
  const reason = headerText(letter.headers, DEAD_LETTER_HEADERS.reason) ?? 'UNKNOWN';
  if (reasons && reasons.length > 0 && !reasons.includes(reason)) return false;
  if (sinceMs !== undefined || untilMs !== undefined) {
    const time = deadLetterTime(letter);
    if (sinceMs !== undefined && !(time >= sinceMs)) return false;
    if (untilMs !== undefined && !(time < untilMs)) return false;
  }
  return true;
}

/** What to do with one dead letter. Pure: the filter, re-validation and the destination. */
export function decideRedrive(letter: DeadLetter, options: Pick<RedriveOptions, 'filter' | 'maxBytes' | 'to'>): RedriveDecision {
  if (!matchesFilter(letter, options.filter)) return { action: 'skip' };
  if (letter.value === null) return { action: 'still-invalid', reason: 'MALFORMED_JSON' };
  const result = validateEvent(letter.value, { maxBytes: options.maxBytes });
  if (!result.ok) return { action: 'still-invalid', reason: result.problems[0]?.code ?? 'UNKNOWN' };
  const topic = options.to ?? headerText(letter.headers, DEAD_LETTER_HEADERS.sourceTopic);
  if (!topic) return { action: 'no-destination' };
  const message = { key: letter.key, value: letter.value, headers: redriveHeaders(letter.headers) };
  const id = filedAs(letter);
  return id === undefined
    ? { action: 'redrive', topic, message }
    : { action: 'redrive', topic, message, filed: { id, receivedAtMs: deadLetterTime(letter) } };
}

/** The dead_letters row of a letter: where the ingest first read it, from the dead-letter headers. */
export function filedAs(letter: DeadLetter): string | undefined {
  const topic = headerText(letter.headers, DEAD_LETTER_HEADERS.sourceTopic);
  const partition = Number(headerText(letter.headers, DEAD_LETTER_HEADERS.sourcePartition));
  const offset = headerText(letter.headers, DEAD_LETTER_HEADERS.sourceOffset);
  if (!topic || !Number.isSafeInteger(partition) || partition < 0 || !offset || !/^\d+$/.test(offset)) return undefined;
  return deadLetterId(topic, partition, offset);
}

/**
 * Re-drives dead letters after a fix: reads the dead-letter topic from the beginning
 * up to its end offsets at the start, keeps the letters the filter matches, validates
 * each original value again, and republishes those that now pass — same key, same
 * bytes, original headers, redrive count + 1 — to `--to` or their source topic.
 * Letters that still fail stay where they are and are counted by their new reason.
 * Nothing is removed from the dead-letter topic (Kafka cannot), so running this twice
 * republishes twice; the warehouse write is idempotent by event id, so that is safe.
 */
export async function runRedrive(options: RedriveOptions, deps: RedriveDeps): Promise<RedriveSummary> {
  const now = deps.now ?? Date.now;
  const started = now();
  const summary: RedriveSummary = {
    status: 'complete',
    deadLetterTopic: options.deadLetterTopic,
    examined: 0,
    matched: 0,
    redriven: 0,
    stillInvalid: 0,
    dryRun: options.dryRun,
    redrivenByTopic: {},
    stillInvalidByReason: {},
    noDestination: 0,
    missingTopics: {},
    marked: 0,
    notMarked: 0,
    markRetries: 0,
    stubsResolved: 0,
    stubsMissing: 0,
    copiesSkipped: 0,
    durationMs: 0,
  };
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const handled = new Set<string>();
  const bump = (counts: Record<string, number>, key: string, n = 1) => (counts[key] = (counts[key] ?? 0) + n);
  const topicExists = new Map<string, Promise<boolean>>();
  const ticker = createProgressTicker({ now, startedMs: started, intervalMs: options.progressIntervalMs });

  /**
   * The UPDATE can lose to the ingest's MERGE on the same table (BigQuery: "could not
   * serialize access … due to concurrent update", a transient WarehouseError): tried
   * again with exponential backoff and jitter, MARK_ATTEMPTS times in all.
   */
  async function markWithRetry(letters: FiledLetter[]): Promise<number> {
    const markRedriven = deps.markRedriven as NonNullable<RedriveDeps['markRedriven']>;
    for (let attempt = 1; ; attempt++) {
      try {
        return await markRedriven(letters, new Date(now()));
      } catch (err) {
        if (attempt >= MARK_ATTEMPTS || (err as { retryable?: unknown }).retryable !== true) throw err;
        summary.markRetries += 1;
        await sleep(Math.floor(MARK_BASE_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random() / 2)));
      }
    }
  }

  /** Stubs get their original key, value and headers from the warehouse; those without one are dropped (counted). */
  async function resolveStubs(letters: DeadLetter[]): Promise<DeadLetter[]> {
    const stubs = letters.filter((l) => headerText(l.headers, DEAD_LETTER_HEADERS.payload) === 'warehouse');
    if (stubs.length === 0) return letters;
    const filed = stubs.flatMap((l) => {
      const id = filedAs(l);
      return id === undefined ? [] : [{ id, receivedAtMs: deadLetterTime(l) }];
    });
    const originals = deps.fetchOriginals && filed.length > 0 ? await deps.fetchOriginals(filed) : new Map<string, OriginalMessage>();
    return letters.flatMap((l) => {
      if (!stubs.includes(l)) return [l];
      const id = filedAs(l);
      const original = id === undefined ? undefined : originals.get(id);
      if (!original || sha256Hex(original.value) !== headerText(l.headers, DEAD_LETTER_HEADERS.sha256)) {
        summary.stubsMissing += 1;
        return [];
      }
      summary.stubsResolved += 1;
      return [{ ...l, key: original.key, value: original.value, headers: { ...original.headers, ...l.headers } }];
    });
  }

  async function mark(letters: FiledLetter[]): Promise<void> {
    if (!deps.markRedriven || letters.length === 0) return;
    try {
      const updated = Math.min(letters.length, await markWithRetry(letters));
      summary.marked += updated;
      summary.notMarked += letters.length - updated;
    } catch (err) {
      summary.notMarked += letters.length;
      summary.markError ??= err instanceof Error ? err.message : String(err);
    }
  }

  await deps.readToEnd(
    options.deadLetterTopic,
    async (batch) => {
      const outgoing = new Map<string, Message[]>();
      const filed = new Map<Message, FiledLetter>();
      if (options.signal?.aborted) return;
      summary.examined += batch.length;
      // A letter can be on the topic more than once (published again after a crash before
      // the ingest's commit): the copies carry the same source position, handled once.
      const letters = (await resolveStubs(batch.filter((l) => matchesFilter(l, options.filter)))).filter((l) => {
        const id = filedAs(l);
        if (id === undefined) return true;
        if (handled.has(id)) {
          summary.copiesSkipped += 1;
          return false;
        }
        handled.add(id);
        return true;
      });
      for (const letter of letters) {
        if (options.signal?.aborted) break;
        const decision = decideRedrive(letter, options);
        if (decision.action === 'skip') continue;
        summary.matched += 1;
        if (decision.action === 'still-invalid') {
          summary.stillInvalid += 1;
          bump(summary.stillInvalidByReason, decision.reason);
        } else if (decision.action === 'no-destination') {
          summary.noDestination += 1;
        } else {
          const list = outgoing.get(decision.topic) ?? [];
          list.push(decision.message);
          outgoing.set(decision.topic, list);
          if (decision.filed !== undefined) filed.set(decision.message, decision.filed);
        }
      }
      for (const [topic, messages] of outgoing) {
        if (!topicExists.has(topic)) topicExists.set(topic, deps.topicExists(topic));
        if (!(await topicExists.get(topic))) {
          bump(summary.missingTopics, topic, messages.length);
          continue;
        }
        // A dead-letter batch is finished (sent and acknowledged) before the next is read,
        // so an interrupt never leaves a letter half-handled.
        const redriven = (n: number) => {
          summary.redriven += n;
          bump(summary.redrivenByTopic, topic, n);
        };
        if (options.dryRun) redriven(messages.length);
        else
          await produceInChunks(deps.send, topic, messages, options.batchSize ?? 500, async (chunk) => {
            await mark(chunk.flatMap((m) => filed.get(m) ?? []));
            redriven(chunk.length);
          });
      }
      if (deps.onProgress && ticker.due()) deps.onProgress(summary);
    },
    options.signal,
  );
  if (options.signal?.aborted) summary.status = 'interrupted';
  summary.durationMs = now() - started;
  return summary;
}
