import pino from 'pino';
import {
  compareEventOrder,
  createCloudEvent,
  SCOPES,
  validateEvent,
  type DomainEvent,
  type EntityStateByType,
  type EntityType,
} from '@phoenix/domain';
import { generateEventList } from '@phoenix/fixtures';
import {
  appendHistoryStatement,
  deadLetterRow,
  INGEST_WRITES_TABLE,
  insertDeadLettersStatement,
  insertRawEventsStatement,
  migrate,
  rawEventRow,
  upsertCurrentStatement,
  versionRow,
  type Warehouse,
} from '@phoenix/bq';
import { createTestWarehouse, dropTestDataset } from '@phoenix/bq/testing';
import { createSubgraphMetrics, type SubgraphServer } from '@phoenix/subgraph';
import { postGraphQL, recordingWarehouse, signedHeaders, TEST_CONTEXT_KEYS } from '@phoenix/subgraph/testing';
import { createAuditSubgraph } from '../src/subgraph';
import { typeName } from '../src/versions';

const AUDITOR = [SCOPES.history, SCOPES.eventTrace, SCOPES.deadLetters, SCOPES.personalData];

/** An event with its system time: when Phoenix recorded it. */
interface Recorded {
  event: DomainEvent;
  recordedAt: number;
}

/** Writes history, current state and events_raw rows with each event's own recorded time. */
async function record(warehouse: Warehouse, items: readonly Recorded[]): Promise<void> {
  for (const entityType of new Set(items.map((i) => i.event.entityType))) {
    const rows = items.filter((i) => i.event.entityType === entityType).map((i) => versionRow(i.event, new Date(i.recordedAt)));
    await warehouse.execute(appendHistoryStatement(warehouse, entityType, rows));
    await warehouse.execute(upsertCurrentStatement(warehouse, entityType, rows));
  }
  const raw = items.map((i, n) =>
    rawEventRow(i.event, {
      payload: JSON.stringify({ id: i.event.id }),
      position: { topic: 'phoenix.events', partition: n % 6, offset: String(1000 + n) },
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      receivedAt: new Date(i.recordedAt - 50).toISOString(),
      recordedAt: new Date(i.recordedAt).toISOString(),
      outcome: 'applied',
    }),
  );
  await warehouse.execute(insertRawEventsStatement(warehouse, raw));
}

/** The reference: the domain's version order over what was recorded by `knownAt`, written without the SQL. */
function referenceAsOf(items: readonly Recorded[], entityType: EntityType, id: string, validAtMs: number, knownAtMs: number) {
  const candidates = items.filter(
    (i) =>
      i.event.tenantId === 'acme' &&
      i.event.entityType === entityType &&
      i.event.entityId === id &&
      i.event.timeMs <= validAtMs &&
      i.recordedAt <= knownAtMs,
  );
  const latest = candidates.sort((a, b) => compareEventOrder(a.event, b.event)).at(-1);
  return latest && !latest.event.tombstone ? latest.event.id : null;
}

function referenceHistory(items: readonly Recorded[], entityType: EntityType, id: string) {
  const versions = items
    .filter((i) => i.event.entityType === entityType && i.event.entityId === id)
    .sort((a, b) => compareEventOrder(a.event, b.event));
  return versions.map((v, k) => ({
    eventId: v.event.id,
    validFrom: new Date(v.event.timeMs).toISOString(),
    validTo: k + 1 < versions.length ? new Date((versions[k + 1] as Recorded).event.timeMs).toISOString() : null,
    recordedAt: new Date(v.recordedAt).toISOString(),
    deleted: v.event.tombstone,
  }));
}

let n = 0;
function event<K extends EntityType>(
  entityType: K,
  action: string,
  time: string,
  data: EntityStateByType[K] | { id: string },
  tenantId = 'acme',
) {
  const result = validateEvent(
    createCloudEvent({ id: `hand-${++n}`, tenantId, entityType, action: action as never, time, data: data as never }),
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.event;
}

describe('subgraph-audit against the emulator', () => {
  let base: Warehouse;
  let warehouse: ReturnType<typeof recordingWarehouse>;
  let server: SubgraphServer;
  let url: string;
  const items: Recorded[] = [];

  const gql = (query: string, variables: Record<string, unknown> = {}, scopes: string[] = AUDITOR, tenantId = 'acme') =>
    postGraphQL(url, { query, variables }, signedHeaders({ scopes, tenantId }));

  beforeAll(async () => {
    base = createTestWarehouse('it_audit', process.env);
    await migrate(base);
    // Generated streams with reordering and late deliveries: the system time of each event
    // is when the generator delivered it, so late events are late corrections.
    for (const message of generateEventList({
      seed: 11,
      tenants: 2,
      days: 2,
      buildingsPerTenant: 1,
      floorsPerBuilding: 2,
      desksPerFloor: 4,
      roomsPerFloor: 1,
      teamsPerTenant: 2,
      membersPerTenant: 6,
      visitsPerBuildingPerDay: 1,
      reorder: 0.2,
      late: 0.1,
    })) {
      if (message.kind !== 'event') continue;
      const result = validateEvent(message.value);
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      items.push({ event: result.event, recordedAt: message.arrivalMs });
    }
    // A hand-made late correction and a deletion, so both are certainly there.
    const booking = { id: 'dbk-late', deskId: 'dsk-x', memberId: 'mbr-x', date: '2026-01-05', status: 'booked' as const };
    const t = (iso: string) => Date.parse(iso);
    items.push(
      {
        event: event('desk_booking', 'created', '2026-01-05T07:00:00Z', {
          ...booking,
          startTime: '2026-01-05T08:00:00Z',
          endTime: '2026-01-05T17:00:00Z',
        }),
        recordedAt: t('2026-01-05T07:00:01Z'),
      },
      // Happened at 07:30, known only the next day: the booking really started at 09:00.
      {
        event: event('desk_booking', 'updated', '2026-01-05T07:30:00Z', {
          ...booking,
          startTime: '2026-01-05T09:00:00Z',
          endTime: '2026-01-05T17:00:00Z',
        }),
        recordedAt: t('2026-01-06T12:00:00Z'),
      },
      { event: event('desk_booking', 'deleted', '2026-01-05T18:00:00Z', { id: 'dbk-late' }), recordedAt: t('2026-01-05T18:00:01Z') },
      // A desk with list fields, then deleted: the deletion's version has no fields at all.
      {
        event: event('desk', 'created', '2026-01-05T07:00:00Z', {
          id: 'dsk-gone',
          floorId: 'flr-x',
          label: 'G.1',
          features: ['monitor', 'standing'],
          bookable: true,
        }),
        recordedAt: t('2026-01-05T07:00:01Z'),
      },
      { event: event('desk', 'deleted', '2026-01-05T19:00:00Z', { id: 'dsk-gone' }), recordedAt: t('2026-01-05T19:00:01Z') },
    );
    await record(base, items);
    await base.execute(
      insertDeadLettersStatement(base, [
        deadLetterRow({
          deadLetterId: 'phoenix.events/0/7',
          problems: [{ code: 'INVALID_FIELD', path: '/data/endTime', message: 'must be after startTime' }],
          partial: { tenantId: 'acme', eventId: 'evt-bad', type: 'phoenix.desk_booking.created' },
          value: Buffer.from([0x7b, 0x00, 0xff, 0x7d]),
          key: Buffer.from('acme/dbk-bad'),
          headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
          position: { topic: 'phoenix.events', partition: 0, offset: '7' },
          receivedAt: '2026-01-05T10:00:00.000Z',
        }),
      ]),
    );
    warehouse = recordingWarehouse(base);
    server = createAuditSubgraph({
      warehouse,
      logger: pino({ level: 'silent' }),
      metrics: createSubgraphMetrics('subgraph-audit'),
      contextKeys: TEST_CONTEXT_KEYS,
      http: { port: 0, host: '127.0.0.1', logLevel: 'silent', maxBodyBytes: 100_000, shutdownTimeoutMs: 1000, introspection: true },
      changeFeed: { clockSkewMs: 0, cacheMs: 0 },
    });
    url = `http://127.0.0.1:${await server.start()}/graphql`;
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await dropTestDataset(base);
  });
  beforeEach(() => warehouse.reset());

  const acme = () => items.filter((i) => i.event.tenantId === 'acme');
  const idsOf = (type: EntityType) => [
    ...new Set(
      acme()
        .filter((i) => i.event.entityType === type)
        .map((i) => i.event.entityId),
    ),
  ];

  it('serves _service and resolves _entities with history for every entity type, one query per type', async () => {
    const sdl = ((await gql('{ _service { sdl } }')).data as { _service: { sdl: string } })._service.sdl;
    const types: EntityType[] = ['building', 'floor', 'desk', 'room', 'team', 'member', 'desk_booking', 'room_booking', 'visit'];
    const representations = types.flatMap((t) =>
      idsOf(t)
        .slice(0, 3)
        .map((id) => ({ __typename: typeName(t), id })),
    );
    for (const t of types) expect(sdl).toMatch(new RegExp(`type ${typeName(t)}\\s+@key\\(fields: "id"\\)`));
    const res = await gql(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Building { history { nodes { eventId } } } ' +
        types
          .slice(1)
          .map((t) => `... on ${typeName(t)} { history { nodes { eventId } } }`)
          .join(' ') +
        ' } }',
      { r: representations },
    );
    expect(res.errors).toBeUndefined();
    const entities = (res.data as { _entities: { history: { nodes: { eventId: string }[] } }[] })._entities;
    expect(entities).toHaveLength(representations.length);
    entities.forEach((e, k) => {
      const r = representations[k] as { __typename: string; id: string };
      const type = types.find((t) => typeName(t) === r.__typename) as EntityType;
      expect(e.history.nodes.map((v) => v.eventId)).toEqual(referenceHistory(items, type, r.id).map((v) => v.eventId));
    });
    expect(warehouse.log.length).toBe(types.length);
  });

  it('answers history with valid and system time equal to the reference, for every desk and booking', async () => {
    for (const type of ['desk', 'desk_booking', 'member'] as const) {
      const ids = idsOf(type).slice(0, 40);
      const res = await gql(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on ${typeName(type)} { id history(first: 100) {
          nodes { eventId validFrom validTo recordedAt deleted } } } } }`,
        { r: ids.map((id) => ({ __typename: typeName(type), id })) },
      );
      expect(res.errors).toBeUndefined();
      for (const entity of (res.data as { _entities: { id: string; history: { nodes: unknown[] } }[] })._entities) {
        expect(entity.history.nodes).toEqual(referenceHistory(items, type, entity.id));
      }
    }
  });

  it('answers as-of queries equal to the reference at many (valid time, system time) pairs', async () => {
    const times = items.map((i) => i.recordedAt).sort((a, b) => a - b);
    const pick = (q: number) => times[Math.floor(q * (times.length - 1))] as number;
    const pairs: [number, number][] = [];
    for (const v of [0.1, 0.4, 0.7, 1]) for (const k of [0.2, 0.5, 0.8, 1]) pairs.push([pick(v), pick(k)]);
    const lateOnes = acme().filter((i) => i.recordedAt - i.event.timeMs > 3_600_000);
    expect(lateOnes.length).toBeGreaterThan(0);
    for (const late of lateOnes.slice(0, 4))
      pairs.push([late.event.timeMs + 1, late.recordedAt - 1], [late.event.timeMs + 1, late.recordedAt]);
    for (const type of ['desk', 'desk_booking'] as const) {
      const ids = [...idsOf(type).slice(0, 30), ...lateOnes.filter((l) => l.event.entityType === type).map((l) => l.event.entityId)];
      for (const [validAt, knownAt] of pairs) {
        const res = await gql(
          `query($r: [_Any!]!, $v: DateTime!, $k: DateTime) { _entities(representations: $r) { ... on ${typeName(type)} { id asOf(validAt: $v, knownAt: $k) { eventId } } } }`,
          {
            r: [...new Set(ids)].map((id) => ({ __typename: typeName(type), id })),
            v: new Date(validAt).toISOString(),
            k: new Date(knownAt).toISOString(),
          },
        );
        expect(res.errors).toBeUndefined();
        for (const e of (res.data as { _entities: { id: string; asOf: { eventId: string } | null }[] })._entities) {
          expect([e.id, e.asOf?.eventId ?? null]).toEqual([e.id, referenceAsOf(items, type, e.id, validAt, knownAt)]);
        }
      }
    }
  });

  it('shows a late correction in valid-time history but not as known before it arrived; a deletion ends the entity', async () => {
    const q = `query($k: DateTime) { asOf(entityType: DESK_BOOKING, id: "dbk-late", validAt: "2026-01-05T10:00:00Z", knownAt: $k) {
      ... on DeskBookingVersion { startTime eventType } }
      history(entityType: DESK_BOOKING, id: "dbk-late", knownAt: $k) { nodes { eventType validFrom validTo deleted } } }`;
    const before = await gql(q, { k: '2026-01-06T00:00:00Z' });
    expect(before.data).toEqual({
      asOf: { startTime: '2026-01-05T08:00:00.000Z', eventType: 'phoenix.desk_booking.created' },
      history: {
        nodes: [
          {
            eventType: 'phoenix.desk_booking.created',
            validFrom: '2026-01-05T07:00:00.000Z',
            validTo: '2026-01-05T18:00:00.000Z',
            deleted: false,
          },
          { eventType: 'phoenix.desk_booking.deleted', validFrom: '2026-01-05T18:00:00.000Z', validTo: null, deleted: true },
        ],
      },
    });
    const after = await gql(q, { k: null });
    expect(after.data).toMatchObject({
      asOf: { startTime: '2026-01-05T09:00:00.000Z', eventType: 'phoenix.desk_booking.updated' },
      history: { nodes: [{ validTo: '2026-01-05T07:30:00.000Z' }, { validFrom: '2026-01-05T07:30:00.000Z' }, { deleted: true }] },
    });
    const gone = await gql('{ asOf(entityType: DESK_BOOKING, id: "dbk-late", validAt: "2026-01-05T19:00:00Z") { eventId } }');
    expect(gone.data).toEqual({ asOf: null });
  });

  it('answers every field of a deleted version as null, list fields included', async () => {
    const res = await gql(`{
      history(entityType: DESK, id: "dsk-gone") { nodes { deleted ... on DeskVersion { floorId label features bookable } } }
      asOf(entityType: DESK, id: "dsk-gone", validAt: "2026-01-05T12:00:00Z") { ... on DeskVersion { features } }
    }`);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({
      history: {
        nodes: [
          { deleted: false, floorId: 'flr-x', label: 'G.1', features: ['monitor', 'standing'], bookable: true },
          { deleted: true, floorId: null, label: null, features: null, bookable: null },
        ],
      },
      asOf: { features: ['monitor', 'standing'] },
    });
  });

  it('pages history: every version once, in order', async () => {
    const [busiest] = idsOf('desk_booking').sort(
      (a, b) => referenceHistory(items, 'desk_booking', b).length - referenceHistory(items, 'desk_booking', a).length,
    );
    const expected = referenceHistory(items, 'desk_booking', busiest as string).map((v) => v.eventId);
    expect(expected.length).toBeGreaterThan(2);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res = await gql(
        'query($id: ID!, $a: String) { history(entityType: DESK_BOOKING, id: $id, first: 2, after: $a) { nodes { eventId } pageInfo { hasNextPage endCursor } } }',
        {
          id: busiest,
          a: after,
        },
      );
      const h = (res.data as { history: { nodes: { eventId: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }).history;
      seen.push(...h.nodes.map((v) => v.eventId));
      if (!h.pageInfo.hasNextPage) break;
      after = h.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
    // Cursors are readable, not signed: a doctored one is refused before any query.
    const doctored = JSON.parse(Buffer.from(after as string, 'base64url').toString()) as { f: string; k: unknown[] };
    doctored.k[0] = "2026-01-05' OR 1=1";
    warehouse.reset();
    const res = await gql('query($id: ID!, $a: String) { history(entityType: DESK_BOOKING, id: $id, after: $a) { nodes { eventId } } }', {
      id: busiest,
      a: Buffer.from(JSON.stringify(doctored)).toString('base64url'),
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    expect(warehouse.log).toEqual([]);
  });

  it('feeds every change exactly once, in system-time order, while new versions arrive', async () => {
    const since = '2020-01-01T00:00:00Z';
    const seen: string[] = [];
    const recordedAt: string[] = [];
    const added: string[] = [];
    let after: string | null = null;
    for (let pageNo = 0; pageNo < 200; pageNo++) {
      const res = await gql(
        'query($s: DateTime!, $a: String) { changes(since: $s, first: 100, after: $a) { nodes { eventId recordedAt } pageInfo { hasNextPage endCursor } watermark } }',
        {
          s: since,
          a: after,
        },
      );
      expect(res.errors).toBeUndefined();
      const c = (
        res.data as { changes: { nodes: { eventId: string; recordedAt: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }
      ).changes;
      seen.push(...c.nodes.map((x) => x.eventId));
      recordedAt.push(...c.nodes.map((x) => x.recordedAt));
      // New versions land between pages; they come after the cursor, so the same pass picks them up.
      if (pageNo < 3) {
        await record(base, [
          { event: event('team', 'created', '2026-02-01T00:00:00Z', { id: `team-new-${pageNo}`, name: 'New' }), recordedAt: Date.now() },
        ]);
      }
      if (!c.pageInfo.hasNextPage) break;
      after = c.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect([...recordedAt].sort()).toEqual(recordedAt);
    const expected = [...acme().map((i) => i.event.id), ...added];
    expect([...seen].sort()).toEqual(expected.sort());
  });

  it('holds the watermark before every ingest write still in flight, and releases it once the write is done', async () => {
    const startedMs = Date.now() - 30_000;
    const log = (kind: 'intent' | 'done', atMs: number) =>
      base.appendRows(INGEST_WRITES_TABLE, 1, (column) => {
        const cells: Record<string, unknown> = {
          write_id: 'w-slow',
          kind,
          topic: 'phoenix.events',
          kafka_partition: 4,
          from_offset: 100,
          to_offset: 149,
          logged_at: new Date(atMs).toISOString(),
        };
        return cells[column];
      });
    // A write began 30 s ago; one of its versions is committed, others may still come.
    await log('intent', startedMs);
    await record(base, [
      { event: event('team', 'created', '2026-02-02T00:00:00Z', { id: 'team-in-flight', name: 'In flight' }), recordedAt: startedMs + 5 },
    ]);
    const q = `query($s: DateTime!) { changes(since: $s, entityTypes: [TEAM]) { nodes { entityId } watermark } }`;
    const since = new Date(startedMs - 60_000).toISOString();
    const held = await gql(q, { s: since });
    expect(held.errors).toBeUndefined();
    expect(held.data).toEqual({ changes: { nodes: [], watermark: new Date(startedMs - 1).toISOString() } });

    await log('done', Date.now());
    const released = (await gql(q, { s: since })).data as { changes: { nodes: { entityId: string }[]; watermark: string } };
    // (Teams the feed test above recorded in the meantime come too.)
    expect(released.changes.nodes).toContainEqual({ entityId: 'team-in-flight' });
    expect(Date.parse(released.changes.watermark)).toBeGreaterThan(Date.now() - 10_000);
  });

  it('traces an event: applied, superseded, dead-lettered, or unknown', async () => {
    const q = `query($id: ID!) { eventTrace(eventId: $id) { eventId outcome appliedOnArrival supersededBy entityType entityId topic partition offset traceId
      deadLetters { reasonCode problems { code path } partition offset payloadBase64 } } }`;
    const created = items.find((i) => i.event.id === 'hand-1') as Recorded;
    const superseded = await gql(q, { id: created.event.id });
    expect(superseded.data).toMatchObject({
      eventTrace: {
        outcome: 'SUPERSEDED',
        supersededBy: 'hand-3',
        entityType: 'DESK_BOOKING',
        entityId: 'dbk-late',
        topic: 'phoenix.events',
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      },
    });
    const applied = await gql(q, { id: 'hand-3' });
    expect(applied.data).toMatchObject({ eventTrace: { outcome: 'APPLIED', supersededBy: null, deadLetters: [] } });
    const dead = await gql(q, { id: 'evt-bad' });
    expect(dead.data).toEqual({
      eventTrace: {
        eventId: 'evt-bad',
        outcome: 'DEAD_LETTERED',
        appliedOnArrival: null,
        supersededBy: null,
        entityType: null,
        entityId: null,
        topic: null,
        partition: null,
        offset: null,
        traceId: null,
        deadLetters: [
          {
            reasonCode: 'INVALID_FIELD',
            problems: [{ code: 'INVALID_FIELD', path: '/data/endTime' }],
            partition: 0,
            offset: '7',
            payloadBase64: null,
          },
        ],
      },
    });
    expect((await gql(q, { id: 'never-seen' })).data).toEqual({ eventTrace: null });
  });

  it('lists dead letters for operators only, with the original bytes for people:read', async () => {
    const q = '{ deadLetters(filter: { reasonCodes: ["INVALID_FIELD"] }) { nodes { id reasonCode eventId payloadBase64 } } }';
    const res = await gql(q);
    expect(res.data).toEqual({
      deadLetters: {
        nodes: [
          {
            id: 'phoenix.events/0/7',
            reasonCode: 'INVALID_FIELD',
            eventId: 'evt-bad',
            payloadBase64: Buffer.from([0x7b, 0x00, 0xff, 0x7d]).toString('base64'),
          },
        ],
      },
    });
    const other = await gql('{ deadLetters(filter: { reasonCodes: ["MISSING_TENANT"] }) { nodes { id } } }');
    expect(other.data).toEqual({ deadLetters: { nodes: [] } });
    const noScope = await gql(q, {}, [SCOPES.history]);
    expect(noScope.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: SCOPES.deadLetters });
    const noPersonal = await gql(q, {}, [SCOPES.deadLetters]);
    expect(noPersonal.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: SCOPES.personalData });
    const inverted = await gql('{ deadLetters(filter: { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }) { nodes { id } } }');
    expect(inverted.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.to' });
  });

  it('isolates tenants and refuses unsigned requests before any warehouse access', async () => {
    const res = await gql(
      '{ history(entityType: DESK_BOOKING, id: "dbk-late") { nodes { eventId } } eventTrace(eventId: "hand-1") { eventId } }',
      {},
      AUDITOR,
      'globex',
    );
    expect(res.data).toEqual({ history: { nodes: [] }, eventTrace: null });
    warehouse.reset();
    const unsigned = await postGraphQL(url, { query: '{ eventTrace(eventId: "hand-1") { eventId } }' });
    expect(unsigned.status).toBe(401);
    const noScope = await gql('{ history(entityType: DESK, id: "x") { nodes { eventId } } }', {}, [SCOPES.read]);
    expect(noScope.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: SCOPES.history });
    expect(warehouse.log).toEqual([]);
  });
});
