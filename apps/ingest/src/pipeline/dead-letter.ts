import type { IHeaders } from 'kafkajs';
import type { ValidationProblem } from '@phoenix/domain';

/**
 * The dead-letter contract. A dead letter on the dead-letter topic is the original
 * message — same key, same value bytes, original headers — plus these headers, so
 * it can be inspected with any Kafka tool and re-driven unchanged after a fix.
 */
export const DEAD_LETTER_HEADERS = {
  /** First problem code, e.g. MISSING_TENANT. */
  reason: 'phoenix-dlq-reason',
  /** Every problem, JSON: [{code, path, message}]. */
  problems: 'phoenix-dlq-problems',
  sourceTopic: 'phoenix-dlq-source-topic',
  sourcePartition: 'phoenix-dlq-source-partition',
  sourceOffset: 'phoenix-dlq-source-offset',
  /** ISO time the ingest read the message. */
  receivedAt: 'phoenix-dlq-received-at',
  /** How many times this message has been re-driven before. */
  redriveCount: 'phoenix-dlq-redrive-count',
} as const;

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

/** Headers for the dead-letter copy: the original ones (minus earlier dead-letter headers) plus ours. */
export function deadLetterHeaders(
  original: IHeaders | undefined,
  problems: readonly ValidationProblem[],
  source: DeadLetterSource,
): IHeaders {
  const ours = new Set<string>(Object.values(DEAD_LETTER_HEADERS));
  const kept: IHeaders = {};
  for (const [name, value] of Object.entries(original ?? {})) if (!ours.has(name) && value !== undefined) kept[name] = value;
  const previous = Number(headerText(original, DEAD_LETTER_HEADERS.redriveCount) ?? 0);
  return {
    ...kept,
    [DEAD_LETTER_HEADERS.reason]: problems[0]?.code ?? 'UNKNOWN',
    [DEAD_LETTER_HEADERS.problems]: JSON.stringify(problems),
    [DEAD_LETTER_HEADERS.sourceTopic]: source.topic,
    [DEAD_LETTER_HEADERS.sourcePartition]: String(source.partition),
    [DEAD_LETTER_HEADERS.sourceOffset]: source.offset,
    [DEAD_LETTER_HEADERS.receivedAt]: source.receivedAt,
    [DEAD_LETTER_HEADERS.redriveCount]: String(Number.isFinite(previous) ? previous : 0),
  };
}

/** A header's value as text (kafkajs gives Buffers, strings or arrays of either). */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
