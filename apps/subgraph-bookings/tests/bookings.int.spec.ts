import pino from 'pino';
import { SCOPES } from '@phoenix/domain';
import { createWarehouse, migrate, warehouseEnvironment, type Warehouse } from '@phoenix/bq';
import { applyEvents, createTestWarehouse, dropTestDataset } from '@phoenix/bq/testing';
import { createSubgraphMetrics, type SubgraphServer } from '@phoenix/subgraph';
import { postGraphQL, recordingWarehouse, signedHeaders, TEST_CONTEXT_KEYS } from '@phoenix/subgraph/testing';
import { createBookingsSubgraph } from '../src/subgraph';
import { deskBookingEvent, event, world } from './world';

const READER = [SCOPES.read];
const ALL = [SCOPES.read, SCOPES.personalData];

describe('subgraph-bookings against the emulator', () => {
  let base: Warehouse;
  let warehouse: ReturnType<typeof recordingWarehouse>;
  let server: SubgraphServer;
  let url: string;

  const start = async (w: Warehouse, cache = { ttlMs: 0, maxEntries: 0 }) => {
    const s = createBookingsSubgraph({
      warehouse: w,
      logger: pino({ level: 'silent' }),
      metrics: createSubgraphMetrics('subgraph-bookings'),
      contextKeys: TEST_CONTEXT_KEYS,
      http: { port: 0, host: '127.0.0.1', logLevel: 'silent', maxBodyBytes: 100_000, shutdownTimeoutMs: 1000, introspection: true },
      cache,
    });
    return { server: s, url: `http://127.0.0.1:${await s.start()}/graphql` };
  };
  const gql = (query: string, variables: Record<string, unknown> = {}, scopes: string[] = ALL, tenantId = 'acme', at = url) =>
    postGraphQL(at, { query, variables }, signedHeaders({ scopes, tenantId }));

  beforeAll(async () => {
    base = createTestWarehouse('it_bookings', process.env);
    await migrate(base);
    await applyEvents(base, world());
    warehouse = recordingWarehouse(base);
    ({ server, url } = await start(warehouse));
  });
  afterAll(async () => {
    await server?.stop();
    await dropTestDataset(base);
  });
  beforeEach(() => warehouse.reset());

  describe('federation', () => {
    it('serves its SDL through _service', async () => {
      const res = await gql('{ _service { sdl } }');
      const sdl = (res.data as { _service: { sdl: string } })._service.sdl;
      for (const type of ['Building', 'Floor', 'Desk', 'Room', 'Team', 'Member', 'DeskBooking', 'RoomBooking', 'Visit']) {
        expect(sdl).toMatch(new RegExp(`type ${type}\\s+@key\\(fields: "id"\\)`));
      }
    });

    it('resolves _entities for every entity type, in representation order, null for other tenants and unknown ids', async () => {
      const representations = [
        { __typename: 'DeskBooking', id: 'db001' },
        { __typename: 'Building', id: 'b1' },
        { __typename: 'Floor', id: 'f1' },
        { __typename: 'Desk', id: 'd1' },
        { __typename: 'Room', id: 'r1' },
        { __typename: 'Team', id: 't1' },
        { __typename: 'Member', id: 'm1' },
        { __typename: 'RoomBooking', id: 'rb1' },
        { __typename: 'Visit', id: 'v1' },
        { __typename: 'DeskBooking', id: 'gdb1' },
        { __typename: 'Desk', id: 'no-such-desk' },
      ];
      const full = await gql(
        `query($r: [_Any!]!) { _entities(representations: $r) {
          ... on DeskBooking { id status date } ... on Building { id name } ... on Floor { id level } ... on Desk { id label }
          ... on Room { id capacity } ... on Team { id name } ... on Member { id email } ... on RoomBooking { id title }
          ... on Visit { id visitorName } } }`,
        { r: representations },
      );
      expect(full.errors).toBeUndefined();
      expect((full.data as { _entities: unknown[] })._entities).toEqual([
        { id: 'db001', status: 'BOOKED', date: '2026-01-05' },
        { id: 'b1', name: 'Berlin HQ' },
        { id: 'f1', level: 1 },
        { id: 'd1', label: 'D01' },
        { id: 'r1', capacity: 4 },
        { id: 't1', name: 'Team 1' },
        { id: 'm1', email: 'member1@example.com' },
        { id: 'rb1', title: 'Meeting 1' },
        { id: 'v1', visitorName: 'Visitor 1' },
        null,
        null,
      ]);
    });
  });

  describe('N+1', () => {
    const query = `query($first: Int) { deskBookings(first: $first) { nodes {
      id status desk { label floor { name building { name timezone } } } member { id team { name } } } } }`;

    it('serves 50 bookings with desk → floor → building and member → team in one query per entity type', async () => {
      const res = await gql(query, { first: 50 });
      expect(res.errors).toBeUndefined();
      const nodes = (
        res.data as { deskBookings: { nodes: { desk: { floor: { building: { name: string } } }; member: { team: unknown } }[] } }
      ).deskBookings.nodes;
      expect(nodes).toHaveLength(50);
      expect(nodes.every((n) => n.desk.floor.building.name && n.member.team)).toBe(true);
      const tables = warehouse.log.map((t) => t[0]);
      expect(tables.sort()).toEqual([
        'building_current',
        'desk_booking_current',
        'desk_current',
        'floor_current',
        'member_current',
        'team_current',
      ]);
    });

    it('with the reference cache, a repeated request reads only bookings and members', async () => {
      const cached = await start(warehouse, { ttlMs: 60_000, maxEntries: 1000 });
      try {
        await gql(query, { first: 50 }, ALL, 'acme', cached.url);
        warehouse.reset();
        const res = await gql(query, { first: 50 }, ALL, 'acme', cached.url);
        expect(res.errors).toBeUndefined();
        expect(warehouse.log.map((t) => t[0]).sort()).toEqual(['desk_booking_current', 'member_current']);
        // Another tenant never sees acme's cached building b1.
        const other = await gql('{ building(id: "b1") { name } }', {}, READER, 'globex', cached.url);
        expect(other.data).toEqual({ building: { name: 'Globex Tower' } });
      } finally {
        await cached.server.stop();
      }
    });
  });

  describe('tenant isolation', () => {
    it('reads a guessed id of another tenant exactly like a missing one', async () => {
      const res = await gql('{ deskBooking(id: "gdb1") { id } building(id: "b1") { name } missing: deskBooking(id: "nope") { id } }');
      expect(res.data).toEqual({ deskBooking: null, building: { name: 'Berlin HQ' }, missing: null });
      const globex = await gql('{ deskBooking(id: "db001") { id } deskBookings { nodes { id } } }', {}, READER, 'globex');
      expect(globex.data).toEqual({ deskBooking: null, deskBookings: { nodes: [{ id: 'gdb1' }] } });
    });

    it.each([
      ['missing', {}, 'CONTEXT_MISSING'],
      ['forged', signedHeaders({ scopes: ALL }, { secrets: ['another-secret-that-is-long-enough-00'] }), 'CONTEXT_BAD_SIGNATURE'],
      ['expired', signedHeaders({ scopes: ALL, exp: Math.floor(Date.now() / 1000) - 60 }), 'CONTEXT_EXPIRED'],
    ])('refuses a %s context with 401 before any warehouse access', async (_name, headers, reason) => {
      const res = await postGraphQL(url, { query: '{ deskBookings { nodes { id } } }' }, headers);
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
      expect(res.errors?.[0]?.message).toContain(reason);
      expect(warehouse.log).toEqual([]);
    });

    it('needs bookings:read for data and people:read for personal fields', async () => {
      const none = await gql('{ deskBooking(id: "db001") { id } }', {}, []);
      expect(none.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: SCOPES.read });
      expect(warehouse.log).toEqual([]);
      const reader = await gql('{ member(id: "m1") { id role email displayName } }', {}, READER);
      expect(reader.data).toEqual({ member: { id: 'm1', role: 'EMPLOYEE', email: null, displayName: null } });
      expect(reader.errors?.map((e) => [e.path?.join('.'), e.extensions?.['code']])).toEqual([
        ['member.email', 'FORBIDDEN'],
        ['member.displayName', 'FORBIDDEN'],
      ]);
    });
  });

  describe('filters and pagination', () => {
    it('filters bookings by day range, building, floor, member and status', async () => {
      const res = await gql(`{
        range: deskBookings(filter: { from: "2026-01-06T00:00:00Z", to: "2026-01-07T00:00:00Z" }, first: 100) { nodes { id date } }
        building: deskBookings(filter: { buildingId: "b2", date: "2026-01-05" }, first: 100) { nodes { id building { id } } }
        member: deskBookings(filter: { memberId: "m1", status: [BOOKED] }) { nodes { id } }
        none: deskBookings(filter: { status: [CANCELLED] }) { nodes { id } }
        free: desks(filter: { buildingId: "b1", freeOn: "2026-01-05" }, first: 100) { nodes { id } }
        rooms: rooms(filter: { freeFrom: "2026-01-05T09:30:00Z", freeTo: "2026-01-05T10:30:00Z", minCapacity: 6 }) { nodes { id } }
        visits: visits(filter: { day: "2026-01-05", buildingId: "b1" }) { nodes { id host { id } building { name } } }
      }`);
      expect(res.errors).toBeUndefined();
      const data = res.data as Record<string, { nodes: { id: string; date?: string; building?: { id: string } }[] }>;
      expect(data['range']?.nodes).toHaveLength(12);
      expect(data['range']?.nodes.every((n) => n.date === '2026-01-06')).toBe(true);
      expect(data['building']?.nodes.every((n) => n.building?.id === 'b2')).toBe(true);
      expect(data['building']?.nodes.length).toBeGreaterThan(0);
      expect(data['member']?.nodes.map((n) => n.id)).toEqual(['db001', 'db031']);
      expect(data['none']?.nodes).toEqual([]);
      // Desks on floors 1–2 (b1) minus the ones booked on 5 January (d1, d6, d11, d16 are booked by db001, db006 …).
      const booked = new Set(Array.from({ length: 12 }, (_, k) => `d${((5 * k) % 20) + 1}`));
      const expectedFree = Array.from({ length: 20 }, (_, k) => `d${k + 1}`).filter(
        (d) => Number(d.slice(1)) % 4 !== 3 && Number(d.slice(1)) % 4 !== 0 && !booked.has(d),
      );
      expect(data['free']?.nodes.map((n) => n.id).sort()).toEqual(expectedFree.sort());
      // r1 (capacity 4) is too small; rb1 (09:00–10:00) holds r1; rb2 (10:00–11:00) holds r2.
      expect(data['rooms']?.nodes.map((n) => n.id)).toEqual(['r3', 'r4']);
      expect(data['visits']?.nodes).toEqual([{ id: 'v1', host: { id: 'm1' }, building: { name: 'Berlin HQ' } }]);
    });

    it('matches a booking by floorId or buildingId exactly when its floor or building answers that one', async () => {
      // Its own tenant: desks on a floor that has not arrived (uf404), and on a floor whose building has not (ub404).
      const tenantId = 'umbrella';
      await applyEvents(base, [
        event(
          'building',
          { id: 'ub1', name: 'Umbrella HQ', city: 'Raccoon City', countryCode: 'US', timezone: 'America/Chicago' },
          { tenantId },
        ),
        event('floor', { id: 'uf1', buildingId: 'ub1', name: 'Ground', level: 0 }, { tenantId }),
        event('floor', { id: 'uf2', buildingId: 'ub404', name: 'Annex', level: 1 }, { tenantId }),
        ...[
          ['ud1', 'uf1'],
          ['ud2', 'uf2'],
          ['ud3', 'uf404'],
        ].map(([id, floorId]) =>
          event('desk', { id: id as string, floorId: floorId as string, label: id as string, features: [], bookable: true }, { tenantId }),
        ),
        event('room', { id: 'ur1', floorId: 'uf404', name: 'Lab', capacity: 4, features: [], bookable: true }, { tenantId }),
        event(
          'member',
          { id: 'um1', teamId: null, email: 'um1@example.com', displayName: 'U 1', role: 'employee', active: true },
          { tenantId },
        ),
        deskBookingEvent('ubk1', 'ud1', 'um1', '2026-01-05', tenantId),
        deskBookingEvent('ubk2', 'ud2', 'um1', '2026-01-05', tenantId, 9),
        deskBookingEvent('ubk3', 'ud3', 'um1', '2026-01-05', tenantId, 10),
        event(
          'room_booking',
          {
            id: 'urb1',
            roomId: 'ur1',
            organizerId: 'um1',
            startTime: '2026-01-05T09:00:00Z',
            endTime: '2026-01-05T10:00:00Z',
            attendeeCount: 2,
            status: 'booked',
          },
          { tenantId },
        ),
      ]);
      const fields = 'nodes { id floor { id } building { id } enriched }';
      const query = `{
        floor404: deskBookings(filter: { floorId: "uf404" }) { ${fields} }
        building404: deskBookings(filter: { buildingId: "ub404" }) { ${fields} }
        floor2: deskBookings(filter: { floorId: "uf2" }) { ${fields} }
        building1: deskBookings(filter: { buildingId: "ub1" }) { ${fields} }
        desk3: deskBookings(filter: { deskId: "ud3" }) { ${fields} }
        roomFloor404: roomBookings(filter: { floorId: "uf404" }) { ${fields} }
        room1: roomBookings(filter: { roomId: "ur1" }) { ${fields} }
      }`;
      const nodes = async () => {
        const res = await gql(query, {}, READER, tenantId);
        expect(res.errors).toBeUndefined();
        return res.data as Record<string, { nodes: unknown[] }>;
      };
      const row = (id: string, floor: string | null, building: string | null, enriched = false) => ({
        id,
        floor: floor && { id: floor },
        building: building && { id: building },
        enriched,
      });
      expect(await nodes()).toEqual({
        floor404: { nodes: [] },
        building404: { nodes: [] },
        floor2: { nodes: [row('ubk2', 'uf2', null)] },
        building1: { nodes: [row('ubk1', 'uf1', 'ub1', true)] },
        desk3: { nodes: [row('ubk3', null, null)] },
        roomFloor404: { nodes: [] },
        room1: { nodes: [row('urb1', null, null)] },
      });

      // The missing floor arrives, on ub1: the filters and the fields move together.
      await applyEvents(base, [event('floor', { id: 'uf404', buildingId: 'ub1', name: 'Basement', level: -1 }, { tenantId })]);
      expect(await nodes()).toEqual({
        floor404: { nodes: [row('ubk3', 'uf404', 'ub1', true)] },
        building404: { nodes: [] },
        floor2: { nodes: [row('ubk2', 'uf2', null)] },
        building1: { nodes: [row('ubk1', 'uf1', 'ub1', true), row('ubk3', 'uf404', 'ub1', true)] },
        desk3: { nodes: [row('ubk3', 'uf404', 'ub1', true)] },
        roomFloor404: { nodes: [row('urb1', 'uf404', 'ub1', true)] },
        room1: { nodes: [row('urb1', 'uf404', 'ub1', true)] },
      });
    });

    it('returns every booking exactly once across pages while new bookings arrive', async () => {
      const before = new Set<string>();
      const seen: string[] = [];
      let after: string | null = null;
      let added = 0;
      for (let pageNo = 0; pageNo < 30; pageNo++) {
        const res = await gql(
          'query($after: String) { deskBookings(first: 7, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }',
          {
            after,
          },
        );
        expect(res.errors).toBeUndefined();
        const conn = (res.data as { deskBookings: { nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } })
          .deskBookings;
        if (pageNo === 0) {
          const all = await gql('{ deskBookings(first: 100) { nodes { id } } }');
          for (const n of (all.data as { deskBookings: { nodes: { id: string }[] } }).deskBookings.nodes) before.add(n.id);
        }
        seen.push(...conn.nodes.map((n) => n.id));
        // New bookings land before and after the cursor position between pages.
        await applyEvents(base, [
          deskBookingEvent(`new-${pageNo}-early`, 'd1', 'm1', '2026-01-04', 'acme', 7),
          deskBookingEvent(`new-${pageNo}-late`, 'd2', 'm2', '2026-01-10', 'acme', 7),
        ]);
        added += 2;
        if (!conn.pageInfo.hasNextPage) break;
        after = conn.pageInfo.endCursor;
      }
      expect(added).toBeGreaterThan(4);
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of before) expect(seen).toContain(id);
    });

    it.each([
      ['page size over the limit', '{ deskBookings(first: 101) { nodes { id } } }', 'first'],
      [
        'an inverted date range',
        '{ deskBookings(filter: { from: "2026-01-07T00:00:00Z", to: "2026-01-06T00:00:00Z" }) { nodes { id } } }',
        'filter.to',
      ],
      ['a malformed cursor', '{ deskBookings(after: "bm90LWEtY3Vyc29y") { nodes { id } } }', 'after'],
      ['half a free-room window', '{ rooms(filter: { freeFrom: "2026-01-05T09:00:00Z" }) { nodes { id } } }', 'filter.freeTo'],
    ])('refuses %s with BAD_USER_INPUT naming the argument', async (_name, query, argument) => {
      const res = await gql(query);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
      expect(warehouse.log).toEqual([]);
    });

    it('refuses a cursor reused with other filters', async () => {
      const first = await gql('{ deskBookings(first: 2) { pageInfo { endCursor } } }');
      const cursor = (first.data as { deskBookings: { pageInfo: { endCursor: string } } }).deskBookings.pageInfo.endCursor;
      const res = await gql('query($a: String) { deskBookings(first: 2, after: $a, orderBy: START_TIME_DESC) { nodes { id } } }', {
        a: cursor,
      });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    });
  });

  it('masks warehouse failures as INTERNAL_SERVER_ERROR with the request id, no SQL', async () => {
    const missing = createWarehouse(warehouseEnvironment.parse({ ...process.env, BIGQUERY_DATASET: 'it_no_such_dataset' }));
    const broken = await start(missing);
    try {
      const res = await gql('{ deskBookings { nodes { id } } }', {}, ALL, 'acme', broken.url);
      expect(res.status).toBe(200);
      const error = res.errors?.[0];
      expect(error?.extensions?.['code']).toBe('INTERNAL_SERVER_ERROR');
      expect(typeof error?.extensions?.['requestId']).toBe('string');
      expect(JSON.stringify(res)).not.toMatch(/SELECT|it_no_such_dataset|stack/i);
    } finally {
      await broken.server.stop();
    }
  });

  it('exposes health, readiness and metrics', async () => {
    const root = url.replace('/graphql', '');
    expect((await fetch(`${root}/healthz`)).status).toBe(200);
    expect((await fetch(`${root}/readyz`)).status).toBe(200);
    await gql('{ deskBookings(first: 3) { nodes { desk { label } } } }');
    const metrics = await (await fetch(`${root}/metrics`)).text();
    expect(metrics).toContain('phoenix_subgraph_warehouse_queries_per_request_bucket');
    expect(metrics).toMatch(/phoenix_subgraph_warehouse_query_duration_seconds_count\{[^}]*query="list:desk_booking"/);
    expect(metrics).toMatch(/phoenix_subgraph_resolver_duration_seconds_count\{[^}]*field="Query.deskBookings"/);
  });
});
