import { createHash } from 'node:crypto';
import { CompressionTypes, type IHeaders, type Message } from 'kafkajs';
import type { ValidationProblem } from '@phoenix/domain';

/**
 * The dead-letter contract. A dead letter on the dead-letter topic is the original
 * message — same key, same value bytes, original headers — plus these headers, so
 * it can be inspected with any Kafka tool and re-driven unchanged after a fix. A
 * letter the dead-letter topic cannot hold is published as a stub instead: no value,
 * no original headers, `payload: warehouse`, the digest and size of the original; the
 * original key, value and headers are in the letter's `dead_letters` row.
 */
export const DEAD_LETTER_HEADERS = {
  /** First problem code, e.g. MISSING_TENANT. */
  reason: 'phoenix-dlq-reason',
  /** Every problem, JSON: [{code, path, message}], cut to the first ones that fit in 4 KiB. */
  problems: 'phoenix-dlq-problems',
  sourceTopic: 'phoenix-dlq-source-topic',
  sourcePartition: 'phoenix-dlq-source-partition',
  sourceOffset: 'phoenix-dlq-source-offset',
  /** ISO time the ingest read the message. */
  receivedAt: 'phoenix-dlq-received-at',
  /** How many times this message has been re-driven before. */
  redriveCount: 'phoenix-dlq-redrive-count',
  /** Hex SHA-256 of the original value bytes (empty value for a tombstone). */
  sha256: 'phoenix-dlq-sha256',
  /** Size of the original value in bytes. */
  originalBytes: 'phoenix-dlq-original-bytes',
  /** `inline`: the value is the original; `warehouse`: a stub, the original is in the dead_letters row. */
  payload: 'phoenix-dlq-payload',
} as const;

export type DeadLetterPayload = 'inline' | 'warehouse';

/** Identity of a dead letter: where it was first read. Re-reading the same offset files the same dead letter. */
export function deadLetterId(topic: string, partition: number, offset: string): string {
  return `${topic}/${partition}/${offset}`;
}

export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  receivedAt: string;
}

/** Bound of the problems header: a message with thousands of problems must not make its dead letter too large. */
export const MAX_PROBLEMS_HEADER_BYTES = 4096;

/** Every problem as JSON, or as many of the first ones as fit in `maxBytes` (at least the first, its message cut). */
export function problemsHeader(problems: readonly ValidationProblem[], maxBytes = MAX_PROBLEMS_HEADER_BYTES): string {
  const all = JSON.stringify(problems);
  if (Buffer.byteLength(all) <= maxBytes) return all;
  const kept: ValidationProblem[] = [];
  for (const p of problems) {
    if (Buffer.byteLength(JSON.stringify([...kept, p])) > maxBytes) break;
    kept.push(p);
  }
  if (kept.length > 0) return JSON.stringify(kept);
  const first = problems[0] as ValidationProblem;
  return JSON.stringify([{ code: first.code, path: first.path.slice(0, 256), message: first.message.slice(0, 1024) }]);
}

export const sha256Hex = (bytes: Buffer | null) =>
  createHash('sha256')
    .update(bytes ?? Buffer.alloc(0))
    .digest('hex');

/** Headers for the dead-letter copy: the original ones (minus earlier dead-letter headers) plus ours. */
export function deadLetterHeaders(
  original: IHeaders | undefined,
  problems: readonly ValidationProblem[],
  source: DeadLetterSource,
  value: Buffer | null = null,
): IHeaders {
  const ours = new Set<string>(Object.values(DEAD_LETTER_HEADERS));
  const kept: IHeaders = {};
  for (const [name, v] of Object.entries(original ?? {})) if (!ours.has(name) && v !== undefined) kept[name] = v;
  return { ...kept, ...ourHeaders(original, problems, source, value, 'inline') };
}

function ourHeaders(
  original: IHeaders | undefined,
  problems: readonly ValidationProblem[],
  source: DeadLetterSource,
  value: Buffer | null,
  payload: DeadLetterPayload,
): IHeaders {
  const previous = Number(headerText(original, DEAD_LETTER_HEADERS.redriveCount) ?? 0);
  return {
    [DEAD_LETTER_HEADERS.reason]: problems[0]?.code ?? 'UNKNOWN',
    [DEAD_LETTER_HEADERS.problems]: problemsHeader(problems),
    [DEAD_LETTER_HEADERS.sourceTopic]: source.topic,
    [DEAD_LETTER_HEADERS.sourcePartition]: String(source.partition),
    [DEAD_LETTER_HEADERS.sourceOffset]: source.offset,
    [DEAD_LETTER_HEADERS.receivedAt]: source.receivedAt,
    [DEAD_LETTER_HEADERS.redriveCount]: String(Number.isSafeInteger(previous) && previous > 0 ? previous : 0),
    [DEAD_LETTER_HEADERS.sha256]: sha256Hex(value),
    [DEAD_LETTER_HEADERS.originalBytes]: String(value?.length ?? 0),
    [DEAD_LETTER_HEADERS.payload]: payload,
  };
}

/** A header's value as text (kafkajs gives Buffers, strings or arrays of either). */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** One message to dead-letter: the original as read, and why. */
export interface DeadLetterInput {
  message: DeadLetterSource & { key: Buffer | null; value: Buffer | null; headers?: IHeaders | undefined };
  problems: readonly ValidationProblem[];
}

/** The record published for a letter: the original with our headers. */
export function fullLetter(item: DeadLetterInput): Message {
  const { message } = item;
  return { key: message.key, value: message.value, headers: deadLetterHeaders(message.headers, item.problems, message, message.value) };
}

/** Keys longer than this are left out of a stub (the row keeps the key). */
export const MAX_STUB_KEY_BYTES = 1024;

/**
 * The record published for a letter the dead-letter topic refused: no value and none of
 * the original headers (the row keeps both), our headers with the digest; the key when
 * it is short, so the stub lands on the same dead-letter partition as the full letter would.
 */
export function stubLetter(item: DeadLetterInput): Message {
  const { message } = item;
  const key = message.key && message.key.length <= MAX_STUB_KEY_BYTES ? message.key : null;
  return { key, value: null, headers: ourHeaders(message.headers, item.problems, message, message.value, 'warehouse') };
}

/**
 * Broker answers that a record will never be accepted however often it is sent: the
 * letter goes to the fallback (a stub) instead of being retried. Every other error
 * (leader moved, broker down, timeouts) is transient and the publish is retried.
 */
export const REFUSED_RECORD_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'CORRUPT_MESSAGE',
  'UNSUPPORTED_COMPRESSION_TYPE',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
]);

/** The broker's error type of a kafkajs error (or of its cause, as retries wrap it), when it refuses the record for good. */
export function refusedRecordError(err: unknown): string | undefined {
  for (let e = err as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === 'string' && REFUSED_RECORD_ERRORS.has(e.type)) return e.type;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return undefined;
}

export interface PublishedLetters {
  /** Letters published in full. */
  inline: number;
  /** Letters published as stubs, by the broker error that refused the full letter. */
  stubs: { error: string; source: DeadLetterSource }[];
  /** Letters whose stub the broker refused too: in the dead_letters row only. */
  unpublished: { error: string; source: DeadLetterSource }[];
}

/**
 * Publishes dead letters, gzip-compressed. A send the broker refuses for good is split
 * into one send per letter; a letter refused alone goes out as a stub; a stub refused
 * too is reported unpublished (its row still holds it). Transient errors are thrown, for
 * the caller to retry the whole publish: a retry can publish a letter again (at least
 * once; copies carry the same source position).
 */
export async function publishDeadLetters(
  items: readonly DeadLetterInput[],
  send: (messages: Message[], compression: CompressionTypes) => Promise<void>,
): Promise<PublishedLetters> {
  const result: PublishedLetters = { inline: 0, stubs: [], unpublished: [] };
  if (items.length === 0) return result;
  const gzip = CompressionTypes.GZIP;
  try {
    await send(items.map(fullLetter), gzip);
    result.inline = items.length;
    return result;
  } catch (err) {
    const refused = refusedRecordError(err);
    if (refused === undefined) throw err;
    if (items.length > 1) {
      // Which letter was refused: one send each (a retry after a transient error repeats those already out).
      for (const item of items) {
        const one = await publishDeadLetters([item], send);
        result.inline += one.inline;
        result.stubs.push(...one.stubs);
        result.unpublished.push(...one.unpublished);
      }
      return result;
    }
    const item = items[0] as DeadLetterInput;
    try {
      await send([stubLetter(item)], gzip);
      result.stubs.push({ error: refused, source: item.message });
    } catch (stubErr) {
      const stubRefused = refusedRecordError(stubErr);
      if (stubRefused === undefined) throw stubErr;
      result.unpublished.push({ error: stubRefused, source: item.message });
    }
    return result;
  }
}

/** Original bytes per dead_letters MERGE (base64 in the parameters: a third more), under BigQuery's 10 MB request limit. */
export const DEAD_LETTER_STATEMENT_BYTES = 4 * 1024 * 1024;

/** Consecutive groups whose sizes add up to at most `maxBytes`; an item larger than that is a group alone. */
export function chunkByBytes<T>(items: readonly T[], maxBytes: number, size: (item: T) => number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (current.length > 0 && bytes + n > maxBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += n;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
