import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { validateEvent, type EntityType, type ValidationProblem } from '@phoenix/domain';
import { type RequestContext } from '@phoenix/access';
import { eventTraceQuery, type Warehouse } from '@phoenix/bq';
import type { WritesConfig } from './environment';
import { WriteError } from './errors';
import { EventLogUnavailableError, type EventLog, type LogPosition, type LogRecord } from './kafka';
import { fingerprint, type WriteStore } from './store';

/** What an accepted event got: its id and where Kafka put it (the way into eventTrace). */
export interface Receipt extends LogPosition {
  eventId: string;
  eventType: string;
  entityType: EntityType;
  entityId: string;
  /** True when the answer is the stored one of an earlier request with the same idempotency key. */
  replayed: boolean;
  /** Whether the ingest had recorded the event when the answer was sent; null unless asked to wait. */
  recorded: boolean | null;
}

/** One event of a bulk write: accepted with its receipt, or refused with every problem found. */
export type EventResult =
  | { index: number; status: 'accepted'; eventId: string; receipt: Receipt; problems: readonly ValidationProblem[] }
  | { index: number; status: 'refused'; eventId: string | null; receipt: null; problems: readonly ValidationProblem[] };

export interface PublishAnswer {
  accepted: number;
  refused: number;
  results: EventResult[];
}

export interface WriteOptions {
  idempotencyKey?: string | null;
  /** Milliseconds to wait for the ingest to record the events (capped by MAX_WAIT_MS); 0: answer at once. */
  waitMs?: number;
  /** W3C traceparent of the request, carried to Kafka (the ingest keeps its trace id). */
  traceparent?: string | null;
}

/** Who wrote an event: CloudEvents extension attributes set from the signed context, never from the body. */
export const WRITER_ATTRIBUTES = ['consumerid', 'requestid', 'keyid'] as const;

const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,255}$/;
// A concurrent retry waits this long for the first request's answer before IDEMPOTENCY_IN_PROGRESS.
const PENDING_WAIT_MS = 2_000;
const POLL_MS = 200;

export interface Writer {
  /** Raw events from a source system (publishEvents, POST /v1/events): each validated, stamped and appended. */
  publish(auth: RequestContext, events: readonly unknown[], options: WriteOptions): Promise<PublishAnswer>;
  /** Runs a keyed write once: a retry with the same key gets the first answer. */
  once<T>(auth: RequestContext, scope: string, key: string | null | undefined, request: unknown, run: () => Promise<T>): Promise<T>;
  /** Validates one envelope as the ingest will and appends it; throws BAD_USER_INPUT or UNAVAILABLE. */
  appendOne(auth: RequestContext, envelope: Record<string, unknown>, traceparent?: string | null): Promise<Receipt>;
  /** Polls events_raw until every event is recorded or `waitMs` passed; marks the receipts. */
  waitRecorded(auth: RequestContext, receipts: Receipt[], waitMs: number): Promise<void>;
  readonly config: WritesConfig;
}

export function createWriter(deps: {
  log: EventLog;
  store: WriteStore;
  warehouse: Warehouse;
  config: WritesConfig;
  logger: Logger;
}): Writer {
  const { log, store, warehouse, config, logger } = deps;

  /** Tenant from the signed context, writer attributes stamped; refusals for anything naming another tenant. */
  const prepare = (auth: RequestContext, event: unknown): { envelope: Record<string, unknown> } | { problems: ValidationProblem[] } => {
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      return { problems: [{ code: 'NOT_AN_OBJECT', path: '', message: 'the event must be a JSON object (a CloudEvents envelope)' }] };
    }
    const envelope: Record<string, unknown> = { ...(event as Record<string, unknown>) };
    const tenant = envelope['tenantid'];
    if (tenant !== undefined && tenant !== null && tenant !== '' && tenant !== auth.tenantId) {
      return {
        problems: [
          {
            code: 'TENANT_MISMATCH' as ValidationProblem['code'],
            path: '/tenantid',
            message: "names another tenant than the caller's; leave tenantid out (it comes from your API key) or send your own",
          },
        ],
      };
    }
    envelope['tenantid'] = auth.tenantId;
    for (const name of WRITER_ATTRIBUTES) delete envelope[name];
    envelope['consumerid'] = auth.consumerId;
    envelope['requestid'] = auth.requestId;
    const keyId = (auth as RequestContext & { keyId?: unknown }).keyId;
    if (typeof keyId === 'string' && keyId !== '') envelope['keyid'] = keyId;
    return { envelope };
  };

  const recordOf = (auth: RequestContext, envelope: Record<string, unknown>, text: string, traceparent?: string | null): LogRecord => {
    const trace = traceparent && TRACEPARENT.test(traceparent) ? traceparent : traceparentOf(auth.requestId);
    return {
      // The key every producer uses: one entity's events share a partition.
      key: `${String(envelope['tenantid'])}/${String(envelope['entityid'])}`,
      value: text,
      headers: trace ? { traceparent: trace } : {},
    };
  };

  const appendOrUnavailable = async (records: LogRecord[]): Promise<LogPosition[]> => {
    try {
      return await log.append(records);
    } catch (err) {
      if (!(err instanceof EventLogUnavailableError)) throw err;
      logger.warn({ err: err.message, records: records.length }, 'event log unavailable');
      throw new WriteError(
        'UNAVAILABLE',
        `the event log is unavailable (${err.message}); nothing was accepted: retry with the same idempotency key`,
        {
          retryAfterSeconds: 2,
        },
      );
    }
  };

  const writer: Writer = {
    config,
    async publish(auth, events, options) {
      if (events.length > config.maxBatchEvents) {
        throw new WriteError(
          'BATCH_TOO_LARGE',
          `${events.length} events in one request; the limit is ${config.maxBatchEvents}: split the batch`,
        );
      }
      const answer = await writer.once(auth, 'publish', options.idempotencyKey, events, async () => {
        const results: EventResult[] = [];
        const accepted: { index: number; envelope: Record<string, unknown>; text: string; entityType: EntityType; entityId: string }[] = [];
        events.forEach((event, index) => {
          const prepared = prepare(auth, event);
          if ('problems' in prepared) {
            const id = (event as Record<string, unknown> | null)?.['id'];
            results[index] = {
              index,
              status: 'refused',
              eventId: typeof id === 'string' ? id : null,
              receipt: null,
              problems: prepared.problems,
            };
            return;
          }
          // The parsed object is validated (no second JSON.parse per event); what goes to Kafka is
          // its JSON text. Bodies come from JSON, so the two say the same, and stay under
          // MAX_BODY_BYTES, far below the ingest's per-event size limit.
          const result = validateEvent(prepared.envelope);
          if (!result.ok) {
            results[index] = {
              index,
              status: 'refused',
              eventId: result.partial.eventId ?? null,
              receipt: null,
              problems: result.problems,
            };
            return;
          }
          accepted.push({
            index,
            envelope: prepared.envelope,
            text: JSON.stringify(prepared.envelope),
            entityType: result.event.entityType,
            entityId: result.event.entityId,
          });
        });
        const positions = await appendOrUnavailable(accepted.map((a) => recordOf(auth, a.envelope, a.text, options.traceparent)));
        accepted.forEach((a, i) => {
          const position = positions[i] as LogPosition;
          const eventId = String(a.envelope['id']);
          results[a.index] = {
            index: a.index,
            status: 'accepted',
            eventId,
            receipt: {
              ...position,
              eventId,
              eventType: String(a.envelope['type']),
              entityType: a.entityType,
              entityId: a.entityId,
              replayed: false,
              recorded: null,
            },
            problems: [],
          };
        });
        logger.info({ accepted: accepted.length, refused: events.length - accepted.length }, 'events published');
        return { accepted: accepted.length, refused: events.length - accepted.length, results };
      });
      if (options.waitMs) {
        await writer.waitRecorded(
          auth,
          answer.results.flatMap((r) => (r.receipt ? [r.receipt] : [])),
          options.waitMs,
        );
      }
      return answer;
    },

    async once(auth, scope, key, request, run) {
      if (key === undefined || key === null) return run();
      if (!IDEMPOTENCY_KEY.test(key)) {
        throw new WriteError('BAD_USER_INPUT', 'the idempotency key must be 1-255 printable ASCII characters without spaces');
      }
      const storeKey = `${auth.tenantId}:${fingerprint([auth.consumerId, scope, key])}`;
      const print = fingerprint(request);
      // A pending marker outlives the longest write, so a crashed replica's key frees itself.
      const pendingMs = config.produceTimeoutMs * 2 + 10_000;
      const deadline = Date.now() + PENDING_WAIT_MS;
      for (;;) {
        const begun = await store.begin(storeKey, print, pendingMs);
        if (begun.state === 'done') return markReplayed(begun.answer) as Awaited<ReturnType<typeof run>>;
        if (begun.state === 'reused') {
          throw new WriteError(
            'IDEMPOTENCY_KEY_REUSED',
            'this idempotency key was used for a different request; use a new key for a new request',
          );
        }
        if (begun.state === 'new') {
          let answer: Awaited<ReturnType<typeof run>>;
          try {
            answer = await run();
          } catch (err) {
            await store.release(storeKey, begun.token).catch(() => undefined);
            throw err;
          }
          await store.complete(storeKey, begun.token, print, answer, config.idempotencyTtlSeconds);
          return answer;
        }
        if (Date.now() >= deadline) {
          throw new WriteError('IDEMPOTENCY_IN_PROGRESS', 'a request with this idempotency key is still in flight; retry shortly', {
            retryAfterSeconds: 1,
          });
        }
        await sleep(POLL_MS);
      }
    },

    async appendOne(auth, envelope, traceparent) {
      const prepared = prepare(auth, envelope);
      if ('problems' in prepared)
        throw new WriteError('TENANT_MISMATCH', 'the event names another tenant', { problems: prepared.problems });
      const text = JSON.stringify(prepared.envelope);
      const result = validateEvent(text);
      if (!result.ok) throw new WriteError('BAD_USER_INPUT', 'the resulting event is not valid', { problems: result.problems });
      const [position] = await appendOrUnavailable([recordOf(auth, prepared.envelope, text, traceparent)]);
      return {
        ...(position as LogPosition),
        eventId: result.event.id,
        eventType: result.event.type,
        entityType: result.event.entityType,
        entityId: result.event.entityId,
        replayed: false,
        recorded: null,
      };
    },

    async waitRecorded(auth, receipts, waitMs) {
      if (receipts.length === 0) return;
      const until = Date.now() + Math.min(waitMs, config.maxWaitMs);
      const pending = new Set(receipts.map((r) => r.eventId));
      for (;;) {
        const rows = await warehouse.query<{ event_id: string }>(
          eventTraceQuery(warehouse, { tenantId: auth.tenantId, eventIds: [...pending] }),
          {
            labels: { component: 'commands', query: 'recorded' },
          },
        );
        for (const row of rows) pending.delete(row.event_id);
        if (pending.size === 0 || Date.now() + POLL_MS >= until) break;
        await sleep(POLL_MS);
      }
      for (const r of receipts) r.recorded = !pending.has(r.eventId);
    },
  };
  return writer;
}

function markReplayed<T>(answer: T): T {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value && typeof value === 'object') {
      const o = value as Record<string, unknown>;
      if (typeof o['eventId'] === 'string' && 'replayed' in o) {
        o['replayed'] = true;
        o['recorded'] = null;
      }
      Object.values(o).forEach(visit);
    }
  };
  visit(answer);
  return answer;
}

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * A W3C traceparent whose trace id is the request id, when the request id is a UUID (the
 * gateway's): the ingest keeps the trace id in events_raw, so eventTrace.traceId names the
 * API request that wrote the event.
 */
export function traceparentOf(requestId: string): string | null {
  const hex = requestId.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex) || /^0+$/.test(hex)) return null;
  return `00-${hex}-${randomUUID().replace(/-/g, '').slice(0, 16)}-01`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A fresh id for an event or entity when the client gave no idempotency key. */
export function freshId(prefix: string): string {
  return `${prefix}${randomUUID()}`;
}
