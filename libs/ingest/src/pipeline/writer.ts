import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DomainEvent, EntityType } from '@phoenix/domain';
import {
  currentTableName,
  deadLetterRow,
  deleteStagedBeforeStatement,
  historyTableName,
  INGEST_WRITES_TABLE,
  insertDeadLettersStatement,
  mergeStagedCurrentStatement,
  mergeStagedHistoryStatement,
  mergeStagedRawStatement,
  RAW_EVENTS_TABLE,
  rawEventRow,
  STAGE_TABLE,
  versionRow,
  WRITE_ATTEMPT_MAX_MS,
  type CellReader,
  type RawEventRow,
  type Statement,
  type VersionRow,
  type Warehouse,
  type WriteStateRow,
  writeStateQuery,
} from '@phoenix/bq';
import type { IngestMetrics } from '../metrics';
import {
  becomesCurrent,
  classify,
  deliveryOutcomes,
  entityKey,
  eventKey,
  type CurrentVersion,
  type EventOutcome,
  type RecordedEvent,
} from './classify';
import { chunkByBytes, DEAD_LETTER_STATEMENT_BYTES, deadLetterId } from './dead-letter';
import type { Decoded } from './decode';
import type { Enricher } from './enrichment';
import { beginWrite } from './write-log';

export interface WrittenBatch {
  /** One outcome per input message, in input order. */
  outcomes: (EventOutcome | 'dead_lettered')[];
  /**
   * Per input message: an earlier write recorded this very offset (its commit never
   * happened: a crash, a lost partition); its outcome is the one recorded then.
   */
  redelivered?: boolean[];
}

export type EventItem = Extract<Decoded, { kind: 'event' }>;
type DeadItem = Extract<Decoded, { kind: 'dead' }>;

/** How long staged rows are kept before housekeeping deletes them, and how often it runs. */
export interface StagingOptions {
  /** Above real BigQuery's window for DML on freshly streamed rows (about 30 minutes). */
  retentionMs: number;
  intervalMs: number;
}

export const DEFAULT_STAGING: StagingOptions = { retentionMs: 2 * 60 * 60_000, intervalMs: 10 * 60_000 };

/**
 * How far back a write looks for history rows an earlier attempt of the same events wrote,
 * to keep their system time: a retry within this keeps one recorded_at per event. Each
 * write reads this many day partitions of the history tables of its entity types.
 */
export const STAMP_REUSE_HORIZON_MS = 7 * 24 * 60 * 60_000;

/**
 * Writes one batch to the warehouse so that writing it again — after a crash, a
 * rebalance or a retry — changes nothing:
 *  1. dead letters → `dead_letters` (keyed by topic/partition/offset);
 *  2. read which events are already recorded and the current version of each entity
 *     (one query, whatever the entity types), and classify every event
 *     (applied / duplicate / superseded);
 *  3. stage: every new event's rows → `ingest_stage` under a fresh batch id, in one
 *     Storage Write API append (at least once; the MERGEs below keep one row per key);
 *  4. per entity type, MERGE the staged versions into `<entity>_history` (keyed by event
 *     id) and the applied ones into `<entity>_current` (only moves forward);
 *  5. last, MERGE the staged events into `events_raw` (keyed by event id). Because this
 *     comes last, an event found in `events_raw` is known to be fully written, which is
 *     what makes "already recorded" mean "duplicate" on a replay.
 * Around it all, the write log (`ingest_writes`, write-log.ts): an `intent` per offset
 * run before the system time is chosen, a `done` after step 5, so the change feed never
 * serves past a write that may still commit. One system time per event: an event whose
 * history row an earlier attempt already wrote (a retry after an outage, or another
 * instance's after a crash) keeps that row's recorded_at in every table.
 * At most one statement per table is in flight in this process (BigQuery allows two
 * running mutations per table); the caller commits offsets only after this resolves.
 * Staging replaced MERGEs whose rows were an ARRAY<STRUCT> parameter: same statements'
 * semantics, a fraction of the cost (docs/benchmarks.md).
 */
export function createWarehouseWriter(deps: {
  warehouse: Warehouse;
  metrics: IngestMetrics;
  logger: Logger;
  enricher: Enricher;
  staging?: StagingOptions;
  /** A write attempt older than this starts over (WRITE_ATTEMPT_MAX_MS). */
  maxAttemptMs?: number;
}) {
  const { warehouse, metrics, enricher, logger } = deps;
  const staging = deps.staging ?? DEFAULT_STAGING;
  const maxAttemptMs = deps.maxAttemptMs ?? WRITE_ATTEMPT_MAX_MS;
  const locks = new Map<string, Promise<unknown>>();
  let nextHousekeeping = 0;

  /** Runs `work` after every earlier statement on the same table has settled. */
  function onTable<T>(table: string, work: () => Promise<T>): Promise<T> {
    const previous = locks.get(table) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    locks.set(table, next);
    return next;
  }

  async function timed<T>(table: string, kind: string, work: () => Promise<T>): Promise<T> {
    const end = metrics.writeSeconds.startTimer({ table, kind });
    try {
      return await work();
    } finally {
      end();
    }
  }

  const run = (table: string, kind: string, statement: Statement) =>
    timed(table, kind, () => onTable(table, () => warehouse.execute(statement, { labels: { component: 'ingest' } })));

  /**
   * Which events are already recorded, the current version of each entity, and the
   * system time of history rows an earlier attempt wrote for these events: one statement.
   */
  async function readState(
    events: readonly DomainEvent[],
  ): Promise<{ recorded: Map<string, RecordedEvent>; current: Map<string, CurrentVersion>; firstRecordedAt: Map<string, string> }> {
    const recorded = new Map<string, RecordedEvent>();
    const current = new Map<string, CurrentVersion>();
    const firstRecordedAt = new Map<string, string>();
    if (events.length === 0) return { recorded, current, firstRecordedAt };
    const ids = new Map<EntityType, Set<string>>();
    for (const e of events) {
      let of = ids.get(e.entityType);
      if (!of) ids.set(e.entityType, (of = new Set()));
      of.add(e.entityId);
    }
    const eventIds = [...new Set(events.map((e) => e.id))];
    const rows = await timed('events_raw+current', 'read', () =>
      warehouse.query<WriteStateRow>(
        writeStateQuery(
          warehouse,
          eventIds,
          new Map([...ids].map(([type, set]) => [type, [...set]])),
          new Date(Date.now() - STAMP_REUSE_HORIZON_MS),
        ),
      ),
    );
    for (const r of rows) {
      if (r.kind === 'recorded')
        recorded.set(eventKey(r.tenant_id, r.event_id), {
          topic: r.topic,
          partition: r.kafka_partition === null ? null : Number(r.kafka_partition),
          offset: r.kafka_offset === null ? null : String(r.kafka_offset),
          outcome: r.outcome,
        });
      else if (r.kind === 'history') firstRecordedAt.set(eventKey(r.tenant_id, r.event_id), r.recorded_at as string);
      else current.set(entityKey(r.tenant_id, r.kind, r.id), { timeMs: Date.parse(r.valid_from as string), seq: r.seq, id: r.event_id });
    }
    return { recorded, current, firstRecordedAt };
  }

  /** Deletes staged rows past the retention, at most once per interval; a failure only waits for the next turn. */
  async function housekeeping(): Promise<void> {
    const now = Date.now();
    if (now < nextHousekeeping) return;
    nextHousekeeping = now + staging.intervalMs;
    try {
      const { affectedRows } = await run(
        STAGE_TABLE.name,
        'housekeeping',
        deleteStagedBeforeStatement(warehouse, new Date(now - staging.retentionMs)),
      );
      if (affectedRows > 0) logger.info({ deleted: affectedRows, retentionMs: staging.retentionMs }, 'deleted old staged rows');
    } catch (err) {
      logger.warn({ err }, 'staging housekeeping failed; next attempt in one interval');
    }
  }

  async function write(batch: readonly Decoded[]): Promise<WrittenBatch> {
    const attempt = await beginWrite({
      batch,
      maxAttemptMs,
      append: (count, cell) => timed(INGEST_WRITES_TABLE.name, 'append', () => warehouse.appendRows(INGEST_WRITES_TABLE, count, cell)),
    });
    const recordedAt = attempt.recordedAt;
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
      // A statement's parameters are bounded (BigQuery: 10 MB per request): one MERGE per
      // few MiB of original bytes, so large dead letters never make a write that cannot succeed.
      for (const part of chunkByBytes(rows, DEAD_LETTER_STATEMENT_BYTES, (r) => (r.payload as Buffer).length))
        await run('dead_letters', 'merge', insertDeadLettersStatement(warehouse, part));
    }

    const { recorded, current, firstRecordedAt } = await readState(events);
    const outcomes = classify(events, recorded, current);
    const applied = appliedEvents(events, outcomes);

    const enrichment = await enricher.prepare(applied);
    const rows = buildRows(items, outcomes, enrichment.columnsFor, recordedAt);
    keepFirstSystemTime(rows, firstRecordedAt);
    // A new id per attempt: a retried write stages its rows again under its own id.
    const staged = { id: randomUUID(), stagedAt: new Date() };
    if (rows.raw.length > 0) {
      await timed(STAGE_TABLE.name, 'append', () =>
        warehouse.appendRows(STAGE_TABLE, rows.raw.length, stagedCell(rows, staged.id, staged.stagedAt.toISOString())),
      );
      for (const entityType of rows.types) {
        attempt.checkAge();
        await run(historyTableName(entityType), 'merge', mergeStagedHistoryStatement(warehouse, entityType, staged));
        if (rows.currentTypes.has(entityType))
          await run(currentTableName(entityType), 'merge', mergeStagedCurrentStatement(warehouse, entityType, staged));
      }
    }
    await enricher.afterWrite(applied, {
      query: (statement) => timed('enrichment', 'enrich-check', () => warehouse.query(statement, { labels: { component: 'ingest' } })),
      execute: async (table, statement) => void (await run(table, 'enrich', statement)),
    });
    if (rows.raw.length > 0) await run(RAW_EVENTS_TABLE.name, 'merge', mergeStagedRawStatement(warehouse, staged));
    await attempt.done();
    await housekeeping();

    const delivered = deliveryOutcomes(
      events,
      items.map((i) => i.message),
      outcomes,
      recorded,
    );
    let next = 0;
    const redelivered: boolean[] = [];
    const written = batch.map((d) => {
      const e = d.kind === 'dead' ? undefined : delivered[next++];
      redelivered.push(e?.redelivered ?? false);
      return e === undefined ? ('dead_lettered' as const) : e.outcome;
    });
    return { outcomes: written, redelivered };
  }

  return { write };
}

/**
 * Gives every row of an event whose history row an earlier attempt wrote that row's
 * recorded_at (`firstRecordedAt`, by eventKey): the history MERGE keeps the first row, so
 * the current and events_raw rows must carry the same instant.
 */
export function keepFirstSystemTime(rows: PlannedRows, firstRecordedAt: ReadonlyMap<string, string>): void {
  if (firstRecordedAt.size === 0) return;
  for (let i = 0; i < rows.raw.length; i++) {
    const raw = rows.raw[i] as RawEventRow;
    const first = firstRecordedAt.get(eventKey(raw.tenant_id, raw.event_id));
    if (first === undefined) continue;
    raw.recorded_at = first;
    (rows.versions[i] as VersionRow).recorded_at = first;
  }
}

const RAW_COLUMNS = new Set(RAW_EVENTS_TABLE.columns.map((c) => c.name));

/**
 * Reads the staging row of event i: the batch's own columns, then the events_raw row's
 * columns, then the version row's (which holds only its own entity type's columns).
 */
function stagedCell(rows: PlannedRows, batchId: string, stagedAt: string): CellReader {
  return (column, i) => {
    if (column === 'batch_id') return batchId;
    if (column === 'staged_at') return stagedAt;
    if (column === 'to_current') return rows.toCurrent[i];
    if (RAW_COLUMNS.has(column)) return (rows.raw[i] as RawEventRow)[column];
    return (rows.versions[i] as VersionRow)[column] ?? null;
  };
}

export type WarehouseWriter = ReturnType<typeof createWarehouseWriter>;

/** The rows of a batch's new events: entry i of each array belongs to the same event. */
export interface PlannedRows {
  /** One events_raw row per new (not duplicate) event. */
  raw: RawEventRow[];
  /** Its version row: history always; the current table too when toCurrent (with enrichment). */
  versions: VersionRow[];
  toCurrent: boolean[];
  /** The entity types with versions, and those with at least one applied version. */
  types: Set<EntityType>;
  currentTypes: Set<EntityType>;
}

/**
 * The events whose versions become current rows, in batch order: the newest applied
 * event of each entity (classify may apply several of one entity, in arrival order).
 */
export function appliedEvents(events: readonly DomainEvent[], outcomes: readonly EventOutcome[]): DomainEvent[] {
  const toCurrent = becomesCurrent(events, outcomes);
  const applied: DomainEvent[] = [];
  for (let i = 0; i < events.length; i++) if (toCurrent[i]) applied.push(events[i] as DomainEvent);
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
  const planned: PlannedRows = { raw: [], versions: [], toCurrent: [], types: new Set(), currentTypes: new Set() };
  const current = becomesCurrent(
    items.map((i) => i.event),
    outcomes,
  );
  for (let i = 0; i < items.length; i++) {
    const outcome = outcomes[i];
    if (outcome === 'duplicate') continue;
    const item = items[i] as EventItem;
    const applied = outcome === 'applied';
    const toCurrent = current[i] === true;
    // The current row's version carries its enrichment and serves both tables (see versionRow).
    planned.versions.push(toCurrent ? versionRow(item.event, recordedAt, columnsFor(item.event)) : versionRow(item.event, recordedAt));
    planned.toCurrent.push(toCurrent);
    planned.types.add(item.event.entityType);
    if (toCurrent) planned.currentTypes.add(item.event.entityType);
    planned.raw.push(
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
  return planned;
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
