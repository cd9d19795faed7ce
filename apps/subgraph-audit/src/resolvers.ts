import { BOOKING_STATUSES, ENTITY_TYPES, isEntityType, MEMBER_ROLES, type EntityType } from '@phoenix/domain';
import {
  asOfQuery,
  changesQuery,
  currentVersionQuery,
  deadLettersQuery,
  entityHistoryQuery,
  eventDeadLettersQuery,
  eventTraceQuery,
  type ChangeRow,
  type CurrentVersionRow,
  type DeadLetterRecordRow,
  type DeadLetterSummaryRow,
  type EventTraceRow,
  type HistoryVersionRow,
  type Warehouse,
} from '@phoenix/bq';
import {
  badUserInput,
  connection,
  enumValues,
  groupLoaderFor,
  loaderFor,
  page,
  type PageArgs,
  type SubgraphContext,
} from '@phoenix/subgraph';
import { changeCursor, deadLetterCursor, versionCursor } from './cursors';
import type { EventTrace, QueryDeadLettersArgs, Resolvers } from './generated/resolver-types';
import { toVersion, typeName } from './versions';

interface HistoryArgs extends PageArgs {
  knownAt?: string | null;
}

/**
 * The audit subgraph's resolvers, typed by the resolver types generated from the SDL:
 * versions are VersionObjects, entities references. Entity references need no query here (this subgraph
 * owns no current state): `history` and `asOf` batch every entity of a type at one
 * level into one warehouse query through DataLoaders keyed by their arguments. Scopes
 * are declared in the SDL (@scope) and enforced by libs/subgraph.
 */
export function createResolvers(deps: {
  warehouse: Warehouse;
  /** The change feed's watermark (watermark.ts). */
  watermark: { current(): Promise<Date> };
  now?: () => number;
}): Resolvers {
  const { warehouse } = deps;
  const now = deps.now ?? Date.now;

  function history(ctx: SubgraphContext, entityType: EntityType, id: string, args: HistoryArgs) {
    const knownAt = args.knownAt ? new Date(args.knownAt) : null;
    // One cursor space per entity type and system time: a cursor names a version key.
    const p = page(args, { list: `history:${entityType}`, arguments: { knownAt: args.knownAt ?? null } }, versionCursor);
    const loader = groupLoaderFor<HistoryVersionRow>(
      ctx,
      `history:${entityType}:${args.knownAt ?? ''}:${p.size}:${args.after ?? ''}`,
      (ids) =>
        ctx.db.query(
          `history:${entityType}`,
          entityHistoryQuery(warehouse, entityType, { tenantId: ctx.auth.tenantId, ids, knownAt, first: p.size, after: p.after }),
        ),
      (row) => row.id,
    );
    return loader.load(id).then((rows) =>
      connection(
        p,
        rows.map((row) => toVersion(entityType, row)),
        (v) => ({ validFrom: v.validFrom, seq: v.seq, eventId: v.eventId }),
      ),
    );
  }

  async function asOf(ctx: SubgraphContext, entityType: EntityType, id: string, args: { validAt: string; knownAt?: string | null }) {
    const knownAt = args.knownAt ?? new Date(now()).toISOString();
    const loader = loaderFor<HistoryVersionRow>(
      ctx,
      `asof:${entityType}:${args.validAt}:${knownAt}`,
      (ids) =>
        ctx.db.query(
          `asof:${entityType}`,
          asOfQuery(warehouse, entityType, {
            tenantId: ctx.auth.tenantId,
            ids,
            validAt: new Date(args.validAt),
            knownAt: new Date(knownAt),
          }),
        ),
      (row) => row.id,
    );
    const row = await loader.load(id);
    // A tombstone as of then: the entity did not exist.
    return row && !row.deleted ? toVersion(entityType, row) : null;
  }

  async function changes(ctx: SubgraphContext, args: PageArgs & { since: string; entityTypes?: EntityType[] | null }) {
    // Sorted: the same set in another order is the same feed, and the same cursor binding.
    const entityTypes = args.entityTypes && args.entityTypes.length > 0 ? [...new Set(args.entityTypes)].sort() : [...ENTITY_TYPES];
    const p = page(args, { list: 'changes', arguments: { since: args.since, entityTypes } }, changeCursor);
    const watermark = await deps.watermark.current();
    const since = new Date(args.since);
    if (since.getTime() >= watermark.getTime()) return { ...connection(p, [], (c: never) => c), watermark: watermark.toISOString() };
    const rows = await ctx.db.query<ChangeRow>(
      'changes',
      changesQuery(warehouse, {
        tenantId: ctx.auth.tenantId,
        entityTypes,
        since,
        until: watermark,
        after: p.after,
        limit: p.limit,
      }),
    );
    const nodes = rows.map((r) => ({
      entityType: r.entity_type,
      entityId: r.id,
      eventId: r.event_id,
      eventType: r.event_type,
      deleted: r.deleted,
      validFrom: r.valid_from,
      recordedAt: r.recorded_at,
      entity: { __typename: typeName(r.entity_type), id: r.id },
    }));
    return {
      ...connection(p, nodes, (c) => ({ recordedAt: c.recordedAt, entityType: c.entityType, id: c.entityId, eventId: c.eventId })),
      watermark: watermark.toISOString(),
    };
  }

  async function eventTrace(ctx: SubgraphContext, eventId: string): Promise<EventTrace | null> {
    const tenantId = ctx.auth.tenantId;
    const [recorded] = await ctx.db.query<EventTraceRow>('trace:event', eventTraceQuery(warehouse, { tenantId, eventIds: [eventId] }));
    const deadLetters = await ctx.db.query<DeadLetterSummaryRow>(
      'trace:dead-letters',
      eventDeadLettersQuery(warehouse, { tenantId, eventIds: [eventId] }),
    );
    if (!recorded) {
      if (deadLetters.length === 0) return null;
      const first = deadLetters[0] as DeadLetterSummaryRow;
      return { eventId, outcome: 'DEAD_LETTERED', eventType: first.event_type, deadLetters: deadLetters.map(toDeadLetter) };
    }
    const entityType = recorded.entity_type;
    if (!isEntityType(entityType)) throw new Error(`events_raw holds an unknown entity type for event ${eventId}`);
    const [current] = await ctx.db.query<CurrentVersionRow>(
      'trace:current',
      currentVersionQuery(warehouse, entityType, { tenantId, ids: [recorded.entity_id] }),
    );
    const isCurrent = current?.event_id === eventId;
    return {
      eventId,
      outcome: isCurrent ? 'APPLIED' : 'SUPERSEDED',
      appliedOnArrival: recorded.outcome === null ? null : recorded.outcome === 'applied',
      supersededBy: !isCurrent && current ? current.event_id : null,
      entityType,
      entityId: recorded.entity_id,
      eventType: recorded.event_type,
      eventTime: recorded.event_time,
      source: recorded.source,
      subject: recorded.subject,
      traceId: recorded.trace_id,
      topic: recorded.topic,
      partition: recorded.kafka_partition,
      offset: recorded.kafka_offset === null ? null : String(recorded.kafka_offset),
      receivedAt: recorded.received_at,
      recordedAt: recorded.recorded_at,
      deadLetters: deadLetters.map(toDeadLetter),
    };
  }

  async function deadLetters(ctx: SubgraphContext, args: QueryDeadLettersArgs) {
    const f = args.filter ?? {};
    if (f.from && f.to && Date.parse(f.to) <= Date.parse(f.from)) throw badUserInput('filter.to', 'must be after filter.from');
    if (f.reasonCodes && f.reasonCodes.length === 0) throw badUserInput('filter.reasonCodes', 'give at least one code, or leave it out');
    const p = page(args, { list: 'deadLetters', arguments: f }, deadLetterCursor);
    const rows = await ctx.db.query<DeadLetterRecordRow>(
      'dead-letters',
      deadLettersQuery(warehouse, {
        tenantId: ctx.auth.tenantId,
        reasonCodes: f.reasonCodes ?? null,
        from: f.from ? new Date(f.from) : null,
        to: f.to ? new Date(f.to) : null,
        after: p.after,
        limit: p.limit,
      }),
    );
    return connection(p, rows.map(toDeadLetter), (d) => ({ receivedAt: d.receivedAt, deadLetterId: d.id }));
  }

  // Every entity type carries the same two fields: references resolve to themselves.
  const entityFields = (entityType: EntityType) => ({
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    history: (parent: { id: string }, args: HistoryArgs, ctx: SubgraphContext) => history(ctx, entityType, parent.id, args),
    asOf: (parent: { id: string }, args: { validAt: string; knownAt?: string | null }, ctx: SubgraphContext) =>
      asOf(ctx, entityType, parent.id, args),
  });

  return {
    Query: {
      history: (_, args, ctx) => history(ctx, args.entityType, args.id, args),
      asOf: (_, args, ctx) => asOf(ctx, args.entityType, args.id, args),
      changes: (_, args, ctx) => changes(ctx, args),
      eventTrace: (_, args, ctx) => eventTrace(ctx, args.eventId),
      deadLetters: (_, args, ctx) => deadLetters(ctx, args),
    },
    EntityType: enumValues(ENTITY_TYPES),
    BookingStatus: enumValues(BOOKING_STATUSES),
    MemberRole: enumValues(MEMBER_ROLES),
    Version: { __resolveType: (v) => v.__typename },
    Entity: { __resolveType: (e) => e.__typename },
    Building: entityFields('building'),
    Floor: entityFields('floor'),
    Desk: entityFields('desk'),
    Room: entityFields('room'),
    Team: entityFields('team'),
    Member: entityFields('member'),
    DeskBooking: entityFields('desk_booking'),
    RoomBooking: entityFields('room_booking'),
    Visit: entityFields('visit'),
  };
}

function toDeadLetter(row: DeadLetterSummaryRow | DeadLetterRecordRow) {
  let problems: { code: string; path?: string; message: string }[] = [];
  try {
    problems = JSON.parse(row.problems) as typeof problems;
  } catch {
    problems = [{ code: row.reason_code, message: 'problems could not be read' }];
  }
  const payload = 'payload' in row ? row.payload : null;
  return {
    id: row.dead_letter_id,
    reasonCode: row.reason_code,
    problems: problems.map((p) => ({ code: p.code, path: p.path ?? null, message: p.message })),
    eventId: row.event_id,
    eventType: row.event_type,
    topic: row.topic,
    partition: row.kafka_partition,
    offset: String(row.kafka_offset),
    receivedAt: row.received_at,
    redrivenAt: row.redriven_at,
    payloadBase64: Buffer.isBuffer(payload) ? payload.toString('base64') : null,
  };
}
