import type { Logger } from 'pino';
import type { DomainEvent, EntityType } from '@phoenix/domain';
import {
  appendHistoryStatement,
  currentTableName,
  currentVersionsQuery,
  deadLetterRow,
  historyTableName,
  insertDeadLettersStatement,
  insertRawEventsStatement,
  rawEventRow,
  recordedEventsQuery,
  upsertCurrentStatement,
  versionRow,
  type RawEventRow,
  type Statement,
  type VersionRow,
  type Warehouse,
} from '@phoenix/bq';
import type { IngestMetrics } from '../metrics';
import { classify, entityKey, eventKey, type CurrentVersion, type EventOutcome } from './classify';
import { deadLetterId } from './dead-letter';
import type { Decoded } from './decode';
import type { Enricher } from './enrichment';

export interface WrittenBatch {
  /** One outcome per input message, in input order. */
  outcomes: (EventOutcome | 'dead_lettered')[];
}

export type EventItem = Extract<Decoded, { kind: 'event' }>;
type DeadItem = Extract<Decoded, { kind: 'dead' }>;

/**
 * Writes one batch to the warehouse so that writing it again — after a crash, a
 * rebalance or a retry — changes nothing:
 *  1. dead letters → `dead_letters` (keyed by topic/partition/offset);
 *  2. read which events are already recorded and the current version of each entity,
 *     and classify every event (applied / duplicate / superseded);
 *  3. every new version → `<entity>_history` (keyed by event id);
 *  4. the newest versions → `<entity>_current` (MERGE that only moves forward);
 *  5. last, the events → `events_raw` (keyed by event id). Because this comes last, an
 *     event found in `events_raw` is known to be fully written, which is what makes
 *     "already recorded" mean "duplicate" on a replay.
 * At most one statement per table is in flight in this process (BigQuery allows two
 * running mutations per table); the caller commits offsets only after this resolves.
 */
export function createWarehouseWriter(deps: { warehouse: Warehouse; metrics: IngestMetrics; logger: Logger; enricher: Enricher }) {
  const { warehouse, metrics, enricher } = deps;
  const locks = new Map<string, Promise<unknown>>();

  /** Runs `work` after every earlier statement on the same table has settled. */
  function onTable<T>(table: string, work: () => Promise<T>): Promise<T> {
    const previous = locks.get(table) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    locks.set(table, next);
    return next;
  }

  async function run(table: string, kind: string, statement: Statement): Promise<void> {
    const end = metrics.writeSeconds.startTimer({ table, kind });
    try {
      await onTable(table, () => warehouse.execute(statement, { labels: { component: 'ingest' } }));
    } finally {
      end();
    }
  }

  async function readRecorded(events: readonly DomainEvent[]): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const rows = await warehouse.query<{ tenant_id: string; event_id: string }>(
      recordedEventsQuery(warehouse, [...new Set(events.map((e) => e.id))]),
    );
    return new Set(rows.map((r) => eventKey(r.tenant_id, r.event_id)));
  }

  async function readCurrent(events: readonly DomainEvent[]): Promise<Map<string, CurrentVersion>> {
    const current = new Map<string, CurrentVersion>();
    const byType = groupBy(events, (e) => e.entityType);
    for (const [entityType, group] of byType) {
      const ids = [...new Set(group.map((e) => e.entityId))];
      const rows = await warehouse.query<{ tenant_id: string; id: string; valid_from: string; seq: number | null; event_id: string }>(
        currentVersionsQuery(warehouse, entityType, ids),
      );
      for (const r of rows)
        current.set(entityKey(r.tenant_id, entityType, r.id), { timeMs: Date.parse(r.valid_from), seq: r.seq, id: r.event_id });
    }
    return current;
  }

  async function write(batch: readonly Decoded[]): Promise<WrittenBatch> {
    const recordedAt = new Date().toISOString();
    const dead = batch.filter((d): d is DeadItem => d.kind === 'dead');
    const items = batch.filter((d): d is EventItem => d.kind === 'event');
    const events = items.map((i) => i.event);

    if (dead.length > 0) {
      const rows = dead.map((d) =>
        deadLetterRow({
          deadLetterId: deadLetterId(d.message.topic, d.message.partition, d.message.offset),
          problems: d.problems,
          partial: d.partial,
          value: d.message.value,
          key: d.message.key,
          headers: headersAsText(d.message.headers),
          position: d.message,
          receivedAt: d.message.receivedAt,
        }),
      );
      await run('dead_letters', 'merge', insertDeadLettersStatement(warehouse, rows));
    }

    const [recorded, current] = [await readRecorded(events), await readCurrent(events)];
    const outcomes = classify(events, recorded, current);
    const applied = appliedEvents(events, outcomes);

    const enrichment = await enricher.prepare(applied);
    const rows = buildRows(items, outcomes, enrichment.columnsFor, recordedAt);
    for (const [entityType, { history, current }] of rows.versions) {
      await run(historyTableName(entityType), 'merge', appendHistoryStatement(warehouse, entityType, history));
      if (current.length > 0) await run(currentTableName(entityType), 'merge', upsertCurrentStatement(warehouse, entityType, current));
    }
    await enricher.afterWrite(applied, (table, statement) => run(table, 'enrich', statement));
    if (rows.raw.length > 0) await run('events_raw', 'merge', insertRawEventsStatement(warehouse, rows.raw));

    let next = 0;
    return { outcomes: batch.map((d) => (d.kind === 'dead' ? 'dead_lettered' : (outcomes[next++] as EventOutcome))) };
  }

  return { write };
}

export type WarehouseWriter = ReturnType<typeof createWarehouseWriter>;

export interface PlannedRows {
  /** Per entity type: every new version (history) and the newest ones with enrichment (current). */
  versions: Map<EntityType, { history: VersionRow[]; current: VersionRow[] }>;
  /** One events_raw row per new event. */
  raw: RawEventRow[];
}

/** The events classify found applied, in batch order. */
export function appliedEvents(events: readonly DomainEvent[], outcomes: readonly EventOutcome[]): DomainEvent[] {
  const applied: DomainEvent[] = [];
  for (let i = 0; i < events.length; i++) if (outcomes[i] === 'applied') applied.push(events[i] as DomainEvent);
  return applied;
}

/**
 * The rows a batch writes, from its events and their outcomes (one per item, from
 * classify; duplicates write nothing): pure CPU work, shared by the writer and the
 * benchmark (tools/bench/ingest) so both measure the same code.
 */
export function buildRows(
  items: readonly EventItem[],
  outcomes: readonly EventOutcome[],
  columnsFor: (event: DomainEvent) => Record<string, unknown>,
  recordedAt: string,
): PlannedRows {
  const versions = new Map<EntityType, { history: VersionRow[]; current: VersionRow[] }>();
  const raw: RawEventRow[] = [];
  for (let i = 0; i < items.length; i++) {
    const outcome = outcomes[i];
    if (outcome === 'duplicate') continue;
    const item = items[i] as EventItem;
    const applied = outcome === 'applied';
    // An applied event's row carries its enrichment and serves both tables (see versionRow).
    const row = applied ? versionRow(item.event, recordedAt, columnsFor(item.event)) : versionRow(item.event, recordedAt);
    let rows = versions.get(item.event.entityType);
    if (!rows) {
      rows = { history: [], current: [] };
      versions.set(item.event.entityType, rows);
    }
    rows.history.push(row);
    if (applied) rows.current.push(row);
    raw.push(
      rawEventRow(item.event, {
        payload: item.text,
        position: item.message,
        traceId: traceIdOf(item.traceparent),
        receivedAt: item.message.receivedAt,
        recordedAt,
        outcome: applied ? 'applied' : 'superseded',
      }),
    );
  }
  return { versions, raw };
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

function headersAsText(headers: Decoded['message']['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = (Array.isArray(value) ? value.map(String).join(',') : value).toString();
  }
  return out;
}

// `00-<trace id>-<span id>-<flags>`: 55 characters, dashes at 2, 35 and 52, lower-case hex
// elsewhere. Checked character by character against a table: 0.15 µs per event, against
// 0.25 for one regex over the header and 0.3–0.5 for the former copy of its hex parts and
// a regex over that (docs/benchmarks.md, Ingest).
const TRACEPARENT_LENGTH = 55;
const IS_HEX = new Uint8Array(128);
for (const c of '0123456789abcdef') IS_HEX[c.charCodeAt(0)] = 1;
const IS_DASH_AT = new Uint8Array(TRACEPARENT_LENGTH);
IS_DASH_AT[2] = IS_DASH_AT[35] = IS_DASH_AT[52] = 1;
const ZERO_TRACE = '0'.repeat(32);

/** `00-<trace id>-<span id>-<flags>` → the trace id, if the header is well formed. */
export function traceIdOf(traceparent: string | undefined): string | null {
  if (traceparent?.length !== TRACEPARENT_LENGTH) return null;
  for (let i = 0; i < TRACEPARENT_LENGTH; i++) {
    const c = traceparent.charCodeAt(i);
    if (IS_DASH_AT[i] === 1 ? c !== 45 /* - */ : c >= 128 || IS_HEX[c] !== 1) return null;
  }
  const traceId = traceparent.slice(3, 35);
  return traceId !== ZERO_TRACE ? traceId : null;
}
