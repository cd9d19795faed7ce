import type { Message } from 'kafkajs';
import { validateEvent } from '@phoenix/domain';
import type { RecordParser, RecordProblem } from './formats';
import type { Line } from './lines';

/** Headers every imported message carries besides `traceparent`, so an event can be traced back to its line. */
export const IMPORT_HEADERS = { file: 'phoenix-import-file', line: 'phoenix-import-line' } as const;

/** What one line of an import becomes: a message to publish, nothing (a blank line, the CSV header), or a reject. */
export type LineOutcome =
  | { readonly kind: 'message'; readonly message: Message }
  | { readonly kind: 'skip' }
  | { readonly kind: 'reject'; readonly reason: string; readonly entry: string };

export interface LineOutcomeOptions {
  /** The file's absolute path, for the import headers. */
  file: string;
  /** Largest accepted event in bytes. */
  maxBytes: number;
  /** A fresh trace context for each published event. */
  traceparent: () => string;
}

/**
 * Parses and validates one line (the parse/format and validate steps of an import): a
 * valid event becomes a message keyed `tenant/entity`; an invalid one a reject entry for
 * the rejects file, with the line, codes and ids only, never the event's content (it may
 * be personal data).
 */
export function lineOutcome(line: Line, parser: RecordParser, options: LineOutcomeOptions): LineOutcome {
  const record = parser.parse(line);
  if (record.kind === 'skip') return record;
  const result = record.kind === 'value' ? validateEvent(record.value, { maxBytes: options.maxBytes }) : undefined;
  if (record.kind === 'value' && result?.ok) {
    return {
      kind: 'message',
      message: {
        key: `${result.event.tenantId}/${result.event.entityId}`,
        value: record.value,
        headers: { traceparent: options.traceparent(), [IMPORT_HEADERS.file]: options.file, [IMPORT_HEADERS.line]: String(line.number) },
      },
    };
  }
  const problems: readonly RecordProblem[] = record.kind === 'invalid' ? record.problems : result && !result.ok ? result.problems : [];
  const partial = result && !result.ok ? result.partial : {};
  const reason = problems[0]?.code ?? 'UNKNOWN';
  return {
    kind: 'reject',
    reason,
    entry: `${JSON.stringify({ line: line.number, reason, eventId: partial.eventId, tenantId: partial.tenantId, problems })}\n`,
  };
}
