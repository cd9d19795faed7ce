import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { param, sql, type Warehouse } from '@phoenix/bq';
import { dropTestDataset } from '@phoenix/bq/testing';
import type { ServiceProcess } from '@phoenix/service/testing';
import {
  ACME_ALL,
  commandsProcess,
  createTopics,
  currentRow,
  daytimeZone,
  deleteTopics,
  eventually,
  gql,
  ingestProcess,
  newWarehouse,
  postEvents,
  RECEIPT,
  recordedEvents,
  REDIS_URL,
  recordsIn,
  seedWorld,
  slot,
  testKafka,
  must,
} from './support';

jest.setTimeout(180_000);

/**
 * The write path against the real broker, ingest, emulator and Redis: two replicas of
 * subgraph-commands (processes A and B, one Redis), the ingest reading the same topic.
 */
describe('subgraph-commands: commands and events → Kafka → ingest → current state', () => {
  const id = randomBytes(4).toString('hex');
  const kafka = testKafka(id);
  let topics: Awaited<ReturnType<typeof createTopics>>;
  let warehouse: Warehouse;
  const processes: ServiceProcess[] = [];
  let a = '';
  let b = '';
  const prefix = `it:writes:${id}:`;

  beforeAll(async () => {
    warehouse = await newWarehouse('it_writes');
    await seedWorld(warehouse, daytimeZone());
    topics = await createTopics(kafka, id);
    const ingest = ingestProcess(warehouse, topics, id);
    const replicaA = commandsProcess(warehouse, topics.events, prefix);
    const replicaB = commandsProcess(warehouse, topics.events, prefix);
    processes.push(ingest, replicaA, replicaB);
    [, a, b] = await Promise.all([ingest.started(), replicaA.started(), replicaB.started()]);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await deleteTopics(kafka, Object.values(topics ?? {}));
    if (warehouse) await dropTestDataset(warehouse);
  });

  const BOOK_DESK = `mutation($input: BookDeskInput!, $key: String, $wait: Boolean) {
    bookDesk(input: $input, idempotencyKey: $key, waitForRecorded: $wait) { ${RECEIPT} } }`;
  type Receipt = {
    eventId: string;
    entityId: string;
    topic: string;
    partition: number;
    offset: string;
    replayed: boolean;
    recorded: boolean | null;
  };

  it('books a desk, waits until the ingest recorded it, reads it back, checks it in; the event says who wrote it', async () => {
    const requestId = randomUUID();
    const booked = await gql<{ bookDesk: Receipt }>(
      a,
      BOOK_DESK,
      { input: { deskId: 'd1', memberId: 'm1', ...slot(5) }, wait: true },
      { ...ACME_ALL, requestId },
    );
    expect(booked.errors).toBeUndefined();
    const receipt = must(booked.data?.bookDesk, 'a receipt');
    expect(receipt).toMatchObject({ topic: topics.events, replayed: false, recorded: true });
    expect(receipt.eventId).toMatch(/^cmd-/);
    const row = await currentRow(warehouse, 'acme', 'desk_booking', receipt.entityId);
    expect(row).toMatchObject({ desk_id: 'd1', member_id: 'm1', status: 'booked', event_id: receipt.eventId });

    const [trace] = await recordedEvents(warehouse, 'acme', [receipt.eventId]);
    expect(trace).toMatchObject({ source: '/phoenix/commands', topic: topics.events, kafka_partition: receipt.partition });
    expect(String(trace?.kafka_offset)).toBe(receipt.offset);
    // The request id is the event's trace id (eventTrace.traceId), and travels in the envelope.
    expect((trace as unknown as { trace_id: string }).trace_id).toBe(requestId.replace(/-/g, ''));
    const [who] = await warehouse.query<{ consumer: string; request: string }>({
      sql: sql`SELECT JSON_VALUE(payload, '$.consumerid') AS consumer, JSON_VALUE(payload, '$.requestid') AS request
FROM ${warehouse.table('events_raw')} WHERE tenant_id = @tenant AND event_id = @id`,
      params: { tenant: param.string('acme'), id: param.string(receipt.eventId) },
    });
    expect(who?.consumer).toBe('app-1');
    expect(who?.request).toBe(requestId);

    const checkIn = await gql<{ checkInDeskBooking: Receipt }>(
      b,
      `mutation($id: ID!) { checkInDeskBooking(id: $id, waitForRecorded: true) { ${RECEIPT} } }`,
      { id: receipt.entityId },
    );
    expect(checkIn.errors).toBeUndefined();
    expect(checkIn.data?.checkInDeskBooking.recorded).toBe(true);
    expect(await currentRow(warehouse, 'acme', 'desk_booking', receipt.entityId)).toMatchObject({ status: 'checked_in' });

    // Only a booked booking can be cancelled or checked in; the replica that did not check it in knows too.
    const cancel = await gql(a, `mutation($id: ID!) { cancelDeskBooking(id: $id) { eventId } }`, { id: receipt.entityId });
    expect(cancel.errors?.[0]?.extensions?.['code']).toBe('INVALID_TRANSITION');
  });

  it('refuses bookings that break the rules, each with its code, and produces nothing for them', async () => {
    const before = await recordsIn(kafka, topics.events);
    const cases: [Record<string, unknown>, string][] = [
      [{ deskId: 'nope', memberId: 'm1', ...slot(5) }, 'NOT_FOUND'],
      [{ deskId: 'd0', memberId: 'm1', ...slot(5) }, 'NOT_BOOKABLE'],
      [{ deskId: 'd2', memberId: 'ghost', ...slot(5) }, 'NOT_FOUND'],
      [{ deskId: 'd2', memberId: 'm1', startTime: slot(60).startTime, endTime: slot(5).startTime }, 'INVALID_SLOT'],
      [{ deskId: 'd2', memberId: 'm1', ...slot(-24 * 60) }, 'INVALID_SLOT'],
      [{ deskId: 'd2', memberId: 'm1', ...slot(5, 36 * 60) }, 'INVALID_SLOT'],
      [{ deskId: 'd2', memberId: 'm1', ...slot(5), date: '2001-01-01' }, 'INVALID_SLOT'],
      // Another tenant's desk reads as missing.
      [{ deskId: 'g1', memberId: 'm1', ...slot(5) }, 'NOT_FOUND'],
    ];
    for (const [input, code] of cases) {
      const res = await gql(a, BOOK_DESK, { input });
      expect([JSON.stringify(input), res.errors?.[0]?.extensions?.['code']]).toEqual([JSON.stringify(input), code]);
    }
    expect(await recordsIn(kafka, topics.events)).toBe(before);
  });

  it('answers a retry with the same idempotency key with the first receipt, from either replica, and never produces twice', async () => {
    const key = `key-${randomUUID()}`;
    const input = { deskId: 'd3', memberId: 'm2', ...slot(10) };
    const before = await recordsIn(kafka, topics.events);
    // Concurrent first attempts on both replicas: one writes, the other waits for its answer.
    const [first, second] = await Promise.all([
      gql<{ bookDesk: Receipt }>(a, BOOK_DESK, { input, key }),
      gql<{ bookDesk: Receipt }>(b, BOOK_DESK, { input, key }),
    ]);
    const answers = [first, second].map((r) => r.data?.bookDesk ?? r.errors?.[0]?.extensions?.['code']);
    const receipts = answers.filter((x): x is Receipt => typeof x === 'object');
    expect(receipts.length).toBeGreaterThanOrEqual(1);
    for (const other of answers.filter((x) => typeof x !== 'object')) expect(other).toBe('IDEMPOTENCY_IN_PROGRESS');
    const original = must(
      receipts.find((r) => !r.replayed),
      'the original receipt',
    );
    const retry = await gql<{ bookDesk: Receipt }>(b, BOOK_DESK, { input, key });
    expect(retry.data?.bookDesk).toEqual({ ...original, replayed: true, recorded: null });
    expect(await recordsIn(kafka, topics.events)).toBe(before + 1);

    // The same key for another request is refused, not silently answered with the first receipt.
    const reused = await gql(a, BOOK_DESK, { input: { ...input, deskId: 'd4' }, key });
    expect(reused.errors?.[0]?.extensions?.['code']).toBe('IDEMPOTENCY_KEY_REUSED');
    // The same key of another consumer is another key.
    const otherConsumer = await gql<{ bookDesk: Receipt }>(
      a,
      BOOK_DESK,
      { input: { ...input, deskId: 'd4' }, key },
      { ...ACME_ALL, consumerId: 'app-2' },
    );
    expect(otherConsumer.errors).toBeUndefined();
    expect(otherConsumer.data?.bookDesk.eventId).not.toBe(original.eventId);
  });

  it('makes a keyed booking retried after its answer was lost (a crash after Kafka acknowledged) the same event, recorded once', async () => {
    const key = `crash-${randomUUID()}`;
    const input = { deskId: 'd2', memberId: 'm1', ...slot(20) };
    const first = await gql<{ bookDesk: Receipt }>(a, BOOK_DESK, { input, key, wait: true });
    expect(first.data?.bookDesk.recorded).toBe(true);
    // The crash: neither the stored answer nor the commanded state survived.
    const redis = new Redis(REDIS_URL);
    for (const pattern of [`${prefix}idem:*`, `${prefix}state:*`]) {
      const keys = await redis.keys(pattern);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
    const before = await recordsIn(kafka, topics.events);
    const retry = await gql<{ bookDesk: Receipt }>(b, BOOK_DESK, { input, key, wait: true });
    expect(retry.errors).toBeUndefined();
    expect(retry.data?.bookDesk).toMatchObject({
      eventId: first.data?.bookDesk.eventId,
      entityId: first.data?.bookDesk.entityId,
      replayed: false,
    });
    expect(await recordsIn(kafka, topics.events)).toBe(before + 1);
    const rows = await recordedEvents(warehouse, 'acme', [must(first.data?.bookDesk.eventId)]);
    expect(rows).toHaveLength(1);
    expect(String(rows[0]?.kafka_offset)).toBe(first.data?.bookDesk.offset);
  });

  it('lets exactly one of two replicas book one desk for one day at the same moment; the loser gets CONFLICT', async () => {
    for (const desk of ['d5', 'd6', 'd7']) {
      const [x, y] = await Promise.all([
        gql<{ bookDesk: Receipt }>(a, BOOK_DESK, { input: { deskId: desk, memberId: 'm1', ...slot(5, 30) } }),
        gql<{ bookDesk: Receipt }>(b, BOOK_DESK, { input: { deskId: desk, memberId: 'm2', ...slot(90, 30) } }),
      ]);
      const winners = [x, y].filter((r) => r.data?.bookDesk);
      const losers = [x, y].filter((r) => r.errors);
      expect(winners).toHaveLength(1);
      expect(losers.map((r) => r.errors?.[0]?.extensions?.['code'])).toEqual(['CONFLICT']);
      expect(losers[0]?.errors?.[0]?.extensions?.['conflictsWith']).toBe(winners[0]?.data?.bookDesk.entityId);
    }
    // Rooms: overlapping slots conflict, adjacent ones do not.
    const ROOM = `mutation($input: BookRoomInput!) { bookRoom(input: $input) { ${RECEIPT} } }`;
    const s = slot(120, 60);
    const later = { startTime: s.endTime, endTime: new Date(Date.parse(s.endTime) + 3_600_000).toISOString() };
    const overlapping = { startTime: new Date(Date.parse(s.startTime) + 1_800_000).toISOString(), endTime: later.endTime };
    const [r1, r2] = await Promise.all([
      gql<{ bookRoom: Receipt }>(a, ROOM, { input: { roomId: 'r1', organizerId: 'm1', attendeeCount: 4, ...s } }),
      gql<{ bookRoom: Receipt }>(b, ROOM, { input: { roomId: 'r1', organizerId: 'm2', attendeeCount: 4, ...overlapping } }),
    ]);
    expect([r1, r2].filter((r) => r.errors?.[0]?.extensions?.['code'] === 'CONFLICT')).toHaveLength(1);
    const adjacent = await gql(a, ROOM, { input: { roomId: 'r2', organizerId: 'm1', attendeeCount: 4, ...s } });
    const next = await gql(b, ROOM, { input: { roomId: 'r2', organizerId: 'm2', attendeeCount: 4, ...later } });
    expect([adjacent.errors, next.errors]).toEqual([undefined, undefined]);
    const tooMany = await gql(a, ROOM, { input: { roomId: 'r2', organizerId: 'm1', attendeeCount: 9, ...slot(600) } });
    expect(tooMany.errors?.[0]?.extensions?.['code']).toBe('NOT_BOOKABLE');

    // The current state never shows two active bookings of one desk on one day.
    await eventually(async () => {
      const rows = await warehouse.query<{ desk_id: string; n: number }>({
        sql: sql`SELECT desk_id, COUNT(*) AS n FROM ${warehouse.table('desk_booking_current')}
WHERE tenant_id = @tenant AND desk_id IN UNNEST(@desks) AND NOT deleted AND status IN ('booked', 'checked_in') GROUP BY desk_id`,
        params: { tenant: param.string('acme'), desks: param.array('STRING', ['d5', 'd6', 'd7']) },
      });
      return rows.length === 3 && rows.every((r) => Number(r.n) === 1);
    }, 'one booking per desk in the current state');
  });

  it('frees a cancelled booking’s desk for another booking', async () => {
    const first = await gql<{ bookDesk: Receipt }>(a, BOOK_DESK, { input: { deskId: 'd8', memberId: 'm1', ...slot(5) } });
    const cancelled = await gql(b, `mutation($id: ID!) { cancelDeskBooking(id: $id) { eventId } }`, { id: first.data?.bookDesk.entityId });
    expect(cancelled.errors).toBeUndefined();
    const again = await gql(a, BOOK_DESK, { input: { deskId: 'd8', memberId: 'm2', ...slot(5) } });
    expect(again.errors).toBeUndefined();
  });

  it('registers a visit, signs the visitor in and out', async () => {
    const registered = await gql<{ registerVisit: Receipt }>(
      a,
      `mutation($input: RegisterVisitInput!) { registerVisit(input: $input) { ${RECEIPT} } }`,
      { input: { hostId: 'm1', buildingId: 'b1', visitorName: 'Vera', expectedAt: slot(5).startTime } },
    );
    expect(registered.errors).toBeUndefined();
    const visitId = must(registered.data?.registerVisit.entityId);
    const signOutEarly = await gql(b, `mutation($id: ID!) { signOutVisitor(id: $id) { eventId } }`, { id: visitId });
    expect(signOutEarly.errors?.[0]?.extensions?.['code']).toBe('INVALID_TRANSITION');
    const signIn = await gql(b, `mutation($id: ID!) { signInVisitor(id: $id) { eventId } }`, { id: visitId });
    expect(signIn.errors).toBeUndefined();
    const signOut = await gql<{ signOutVisitor: Receipt }>(
      a,
      `mutation($id: ID!) { signOutVisitor(id: $id, waitForRecorded: true) { ${RECEIPT} } }`,
      {
        id: visitId,
      },
    );
    expect(signOut.data?.signOutVisitor.recorded).toBe(true);
    const row = await currentRow(warehouse, 'acme', 'visit', visitId);
    expect(row).toMatchObject({ status: 'completed', visitor_name: 'Vera' });
    expect(row?.['arrived_at']).not.toBeNull();
    expect(row?.['departed_at']).not.toBeNull();
  });

  const envelope = (n: number, extra: Record<string, unknown> = {}) => ({
    specversion: '1.0',
    id: `ext-${id}-${n}`,
    source: '/integrations/hr',
    type: 'phoenix.team.updated',
    time: new Date().toISOString(),
    entityid: `team-${n}`,
    data: { id: `team-${n}`, name: `Team ${n}` },
    ...extra,
  });
  const PUBLISH = `mutation($events: [EventInput!]!, $key: String, $wait: Boolean) {
    publishEvents(events: $events, idempotencyKey: $key, waitForRecorded: $wait) {
      accepted refused results { index status eventId receipt { ${RECEIPT} } problems { code path message } } } }`;
  type Publish = {
    publishEvents: {
      accepted: number;
      refused: number;
      results: {
        index: number;
        status: string;
        eventId: string | null;
        receipt: Receipt | null;
        problems: { code: string; path: string }[];
      }[];
    };
  };

  it('publishEvents: good and bad events in one call, each with its own result; the good ones are recorded', async () => {
    const events = [
      envelope(1),
      envelope(2, { data: { id: 'team-2' } }),
      envelope(3, { tenantid: 'globex' }),
      envelope(4, { type: 'phoenix.spaceship.created' }),
      envelope(5, { tenantid: 'acme' }),
    ];
    const res = await gql<Publish>(a, PUBLISH, { events, wait: true });
    expect(res.errors).toBeUndefined();
    const out = must(res.data?.publishEvents);
    expect([out.accepted, out.refused]).toEqual([2, 3]);
    expect(out.results.map((r) => [r.index, r.status, r.problems.map((p) => `${p.code} ${p.path}`)])).toEqual([
      [0, 'ACCEPTED', []],
      [1, 'REFUSED', ['MISSING_FIELD /data/name']],
      [2, 'REFUSED', ['TENANT_MISMATCH /tenantid']],
      [3, 'REFUSED', ['UNKNOWN_EVENT_TYPE /type']],
      [4, 'ACCEPTED', []],
    ]);
    expect(out.results[0]?.receipt?.recorded).toBe(true);
    expect(await currentRow(warehouse, 'acme', 'team', 'team-1')).toMatchObject({ name: 'Team 1' });
    expect(await currentRow(warehouse, 'globex', 'team', 'team-3')).toBeNull();
  });

  it('publishEvents: at most MAX_BATCH_EVENTS per call (50 here), and a keyed batch is answered once', async () => {
    const many = Array.from({ length: 51 }, (_, i) => envelope(100 + i));
    const tooMany = await gql(a, PUBLISH, { events: many });
    expect(tooMany.errors?.[0]?.extensions?.['code']).toBe('BATCH_TOO_LARGE');
    const fifty = await gql<Publish>(a, PUBLISH, { events: many.slice(0, 50) });
    expect(fifty.data?.publishEvents.accepted).toBe(50);
    // Splitting the same 51 across the CloudEvents route does not sidestep the bound.
    const viaHttp = await postEvents(b, JSON.stringify(many), { 'content-type': 'application/cloudevents-batch+json' });
    expect(viaHttp.status).toBe(413);
    expect(((await viaHttp.json()) as { error: { code: string } }).error.code).toBe('BATCH_TOO_LARGE');

    const before = await recordsIn(kafka, topics.events);
    const key = `batch-${randomUUID()}`;
    const pair = [envelope(200), envelope(201)];
    const once = await gql<Publish>(a, PUBLISH, { events: pair, key });
    const twice = await gql<Publish>(b, PUBLISH, { events: pair, key });
    expect(twice.data?.publishEvents.results.map((r) => r.receipt?.offset)).toEqual(
      once.data?.publishEvents.results.map((r) => r.receipt?.offset),
    );
    expect(twice.data?.publishEvents.results.every((r) => r.receipt?.replayed)).toBe(true);
    expect(await recordsIn(kafka, topics.events)).toBe(before + 2);
  });

  it('CloudEvents over HTTP: structured, binary and batch modes with per-event results', async () => {
    const structured = await postEvents(a, JSON.stringify(envelope(300, { consumerid: 'forged' })), {
      'content-type': 'application/cloudevents+json',
      prefer: 'wait=60',
    });
    expect(structured.status).toBe(202);
    expect(structured.headers.get('preference-applied')).toBe('wait=60');
    const s = (await structured.json()) as { mode: string; results: { status: string; receipt: Receipt }[] };
    expect(s.mode).toBe('structured');
    expect(s.results[0]).toMatchObject({ status: 'accepted', receipt: { eventId: `ext-${id}-300`, recorded: true } });
    // Who wrote it comes from the signed context, never from the body.
    const [who] = await warehouse.query<{ consumer: string }>({
      sql: sql`SELECT JSON_VALUE(payload, '$.consumerid') AS consumer FROM ${warehouse.table('events_raw')} WHERE tenant_id = @tenant AND event_id = @id`,
      params: { tenant: param.string('acme'), id: param.string(`ext-${id}-300`) },
    });
    expect(who?.consumer).toBe('app-1');

    const e = envelope(301);
    const binary = await postEvents(a, JSON.stringify(e.data), {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': e.id,
      'ce-source': e.source,
      'ce-type': e.type,
      'ce-time': e.time,
      'ce-entityid': e.entityid,
      'ce-seq': '7',
    });
    expect(binary.status).toBe(202);
    expect(((await binary.json()) as { mode: string }).mode).toBe('binary');

    const batch = await postEvents(
      b,
      JSON.stringify([envelope(302), envelope(303, { time: 'yesterday' }), envelope(304, { tenantid: 'globex' })]),
      {
        'content-type': 'application/cloudevents-batch+json',
      },
    );
    expect(batch.status).toBe(207);
    const body = (await batch.json()) as { accepted: number; refused: number; results: { status: string; problems: { code: string }[] }[] };
    expect(body.results.map((r) => [r.status, r.problems.map((p) => p.code)])).toEqual([
      ['accepted', []],
      ['refused', ['INVALID_FIELD']],
      ['refused', ['TENANT_MISMATCH']],
    ]);

    const binaryOtherTenant = await postEvents(a, JSON.stringify(e.data), {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': `${e.id}-x`,
      'ce-source': e.source,
      'ce-type': e.type,
      'ce-time': e.time,
      'ce-entityid': e.entityid,
      'ce-tenantid': 'globex',
    });
    expect(binaryOtherTenant.status).toBe(400);

    await eventually(
      async () => (await recordedEvents(warehouse, 'acme', [e.id, `ext-${id}-302`])).length === 2,
      'binary and batch events recorded',
    );
    const [seq] = await warehouse.query<{ seq: number }>({
      sql: sql`SELECT seq FROM ${warehouse.table('events_raw')} WHERE tenant_id = @tenant AND event_id = @id`,
      params: { tenant: param.string('acme'), id: param.string(e.id) },
    });
    expect(Number(seq?.seq)).toBe(7);

    const wrongType = await postEvents(a, '{}', { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    const keyed = { 'content-type': 'application/cloudevents+json', 'idempotency-key': `ce-${randomUUID()}` };
    const e305 = JSON.stringify(envelope(305));
    const firstKeyed = (await (await postEvents(a, e305, keyed)).json()) as { results: { receipt: Receipt }[] };
    const secondKeyed = (await (await postEvents(b, e305, keyed)).json()) as { results: { receipt: Receipt }[] };
    expect(secondKeyed.results[0]?.receipt).toEqual({ ...firstKeyed.results[0]?.receipt, replayed: true, recorded: null });
  });

  it('enforces write scopes on both routes, and refuses requests without the signed context', async () => {
    const onlyBookings = { tenantId: 'acme', consumerId: 'app-3', scopes: ['bookings:write', 'bookings:read'] };
    const onlyEvents = { tenantId: 'acme', consumerId: 'app-4', scopes: ['events:write'] };
    const onlyVisits = { tenantId: 'acme', consumerId: 'app-5', scopes: ['visits:write'] };
    const code = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.['code'] ?? 'ok';

    expect(code(await gql(a, PUBLISH, { events: [envelope(400)] }, onlyBookings))).toBe('FORBIDDEN');
    expect(code(await gql(a, PUBLISH, { events: [envelope(401)] }, onlyEvents))).toBe('ok');
    expect(code(await gql(a, BOOK_DESK, { input: { deskId: 'd9', memberId: 'm1', ...slot(5) } }, onlyEvents))).toBe('FORBIDDEN');
    expect(code(await gql(a, BOOK_DESK, { input: { deskId: 'd9', memberId: 'm1', ...slot(5) } }, onlyVisits))).toBe('FORBIDDEN');
    const visit = `mutation($input: RegisterVisitInput!) { registerVisit(input: $input) { eventId } }`;
    const visitInput = { input: { hostId: 'm1', buildingId: 'b1', visitorName: 'Vic', expectedAt: slot(30).startTime } };
    expect(code(await gql(a, visit, visitInput, onlyBookings))).toBe('FORBIDDEN');
    expect(code(await gql(a, visit, visitInput, onlyVisits))).toBe('ok');

    const ce = { 'content-type': 'application/cloudevents+json' };
    expect((await postEvents(a, JSON.stringify(envelope(402)), ce, onlyBookings)).status).toBe(403);
    expect((await postEvents(a, JSON.stringify(envelope(403)), ce, onlyEvents)).status).toBe(202);
    expect((await postEvents(a, JSON.stringify(envelope(404)), ce, null)).status).toBe(401);
    const unsigned = await fetch(`${a}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: PUBLISH, variables: { events: [envelope(405)] } }),
    });
    expect(unsigned.status).toBe(401);
  });

  it('keeps tenants apart: another tenant’s booking reads as missing, and an event naming another tenant is refused', async () => {
    const acme = await gql<{ bookDesk: Receipt }>(a, BOOK_DESK, { input: { deskId: 'd9', memberId: 'm1', ...slot(5) } });
    expect(acme.errors).toBeUndefined();
    const globex = { tenantId: 'globex', consumerId: 'g-app', scopes: ['bookings:write', 'events:write'] };
    const cancel = await gql(
      b,
      `mutation($id: ID!) { cancelDeskBooking(id: $id) { eventId } }`,
      { id: acme.data?.bookDesk.entityId },
      globex,
    );
    expect(cancel.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    const publish = await gql<Publish>(b, PUBLISH, { events: [envelope(500, { tenantid: 'acme' })] }, globex);
    expect(publish.data?.publishEvents.results[0]?.problems[0]?.code).toBe('TENANT_MISMATCH');
    // Globex may book its own desk, and only its own.
    const own = await gql(b, BOOK_DESK, { input: { deskId: 'g1', memberId: 'gm1', ...slot(5) } }, globex);
    expect(own.errors).toBeUndefined();
  });
});
