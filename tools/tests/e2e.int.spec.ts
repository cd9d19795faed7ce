import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createCloudEvent, SCOPES, type EntityType } from '@phoenix/domain';
import { generateApiKey } from '@phoenix/access';
import { migrate, type Warehouse } from '@phoenix/bq';
import { createTestWarehouse, dropTestDataset } from '@phoenix/bq/testing';
import { ServiceProcess } from '@phoenix/service/testing';
import { SUPERGRAPH_PATH, WORKSPACE_ROOT } from '../src/federation/subgraphs';

const SECRET = 'e2e-context-secret-0123456789abcdefghij';

/**
 * The whole platform, each app as its production process: events produced to Kafka →
 * ingest → the emulator → both subgraphs → the gateway, and a client query with an API
 * key that joins a booking (bookings subgraph) with its history (audit subgraph).
 */
describe('end to end: Kafka → ingest → BigQuery → subgraphs → gateway', () => {
  const id = randomBytes(4).toString('hex');
  const topics = { events: `e2e.events.${id}`, backfill: `e2e.backfill.${id}`, deadLetter: `e2e.deadletter.${id}` };
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-e2e-'));
  const kafka = new Kafka({
    clientId: `e2e-${id}`,
    brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
    logLevel: logLevel.NOTHING,
  });
  const { key, stored } = generateApiKey();
  let warehouse: Warehouse;
  const apps: ServiceProcess[] = [];
  let gatewayUrl = '';

  const event = (entityType: EntityType, action: string, time: string, data: Record<string, unknown>, n: number) =>
    createCloudEvent({ id: `e2e-${id}-${n}`, tenantId: 'acme', entityType, action: action as never, time, data: data as never });

  beforeAll(async () => {
    warehouse = createTestWarehouse('it_e2e', process.env);
    await migrate(warehouse);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
    await admin.disconnect();

    writeFileSync(
      join(dir, 'consumers.json'),
      JSON.stringify({
        consumers: [
          {
            id: 'e2e-app',
            name: 'E2E',
            tenantId: 'acme',
            scopes: [SCOPES.read, SCOPES.history, SCOPES.eventTrace],
            keys: [stored],
            limits: { perMinute: 1000, perDay: 100000, spikeArrest: { perSecond: 50, burst: 100 } },
          },
        ],
      }),
    );
    const supergraph = join(dir, 'supergraph.graphql');
    copyFileSync(join(WORKSPACE_ROOT, SUPERGRAPH_PATH), supergraph);

    const common = { CONTEXT_SIGNING_SECRET: SECRET, BIGQUERY_DATASET: warehouse.config.datasetId };
    const ingest = new ServiceProcess(
      'ingest',
      {
        ...common,
        TOPIC_EVENTS: topics.events,
        TOPIC_BACKFILL: topics.backfill,
        TOPIC_DEADLETTER: topics.deadLetter,
        INGEST_GROUP_ID: `e2e-${id}`,
        INGEST_BACKFILL_GROUP_ID: `e2e-backfill-${id}`,
        INGEST_LANES: 'live',
        HTTP_PORT: '0',
      },
      /"msg":"ingest started"/,
    );
    const bookings = new ServiceProcess(
      'subgraph-bookings',
      { ...common, REFERENCE_CACHE_TTL_MS: '0' },
      /"msg":"subgraph-bookings listening/,
    );
    const audit = new ServiceProcess('subgraph-audit', { ...common, CHANGE_FEED_SETTLE_MS: '0' }, /"msg":"subgraph-audit listening/);
    apps.push(ingest, bookings, audit);
    const [, bookingsUrl, auditUrl] = await Promise.all([ingest.started(), bookings.started(), audit.started()]);
    const gateway = new ServiceProcess(
      'gateway',
      {
        ...common,
        GATEWAY_ENV: 'production',
        CONSUMERS_FILE: join(dir, 'consumers.json'),
        SUPERGRAPH_PATH: supergraph,
        SUBGRAPH_BOOKINGS_URL: `${bookingsUrl}/graphql`,
        SUBGRAPH_AUDIT_URL: `${auditUrl}/graphql`,
      },
      /"msg":"gateway listening"/,
    );
    apps.push(gateway);
    gatewayUrl = await gateway.started();

    const booking = {
      id: 'dbk-e2e',
      deskId: 'dsk-e2e',
      memberId: 'mbr-e2e',
      date: '2026-01-05',
      startTime: '2026-01-05T08:00:00Z',
      endTime: '2026-01-05T17:00:00Z',
    };
    const envelopes = [
      event(
        'building',
        'created',
        '2026-01-01T00:00:00Z',
        { id: 'bld-e2e', name: 'Berlin HQ', city: 'Berlin', countryCode: 'DE', timezone: 'Europe/Berlin' },
        1,
      ),
      event('floor', 'created', '2026-01-01T00:00:00Z', { id: 'flr-e2e', buildingId: 'bld-e2e', name: 'Ground', level: 0 }, 2),
      event(
        'desk',
        'created',
        '2026-01-01T00:00:00Z',
        { id: 'dsk-e2e', floorId: 'flr-e2e', label: '0.42', features: ['monitor'], bookable: true },
        3,
      ),
      event(
        'member',
        'created',
        '2026-01-01T00:00:00Z',
        { id: 'mbr-e2e', teamId: null, email: 'e2e@example.com', displayName: 'E2E', role: 'employee', active: true },
        4,
      ),
      // Out of order on purpose: the check-in is produced before the booking it follows.
      event(
        'desk_booking',
        'checked_in',
        '2026-01-05T08:02:00Z',
        { ...booking, status: 'checked_in', checkedInAt: '2026-01-05T08:02:00Z' },
        6,
      ),
      event('desk_booking', 'created', '2026-01-04T12:00:00Z', { ...booking, status: 'booked' }, 5),
    ];
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: topics.events,
      messages: envelopes.map((e) => ({
        key: `acme/${e.entityid}`,
        value: JSON.stringify(e),
        headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      })),
    });
    await producer.disconnect();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop('SIGTERM')));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    await dropTestDataset(warehouse);
  });

  const query = async (q: string) => {
    const res = await fetch(`${gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ query: q }),
    });
    return (await res.json()) as { data?: Record<string, unknown>; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  };

  it('answers a client query joining a booking with its history, as the events said', async () => {
    const q = `{ deskBooking(id: "dbk-e2e") {
      status checkedInAt desk { label floor { building { name } } } enriched
      history { nodes { eventType validFrom validTo } }
    } }`;
    // Partitions are consumed independently: keep asking until every event has landed.
    const expected = {
      data: {
        deskBooking: {
          status: 'CHECKED_IN',
          checkedInAt: '2026-01-05T08:02:00.000Z',
          desk: { label: '0.42', floor: { building: { name: 'Berlin HQ' } } },
          enriched: true,
          history: {
            nodes: [
              { eventType: 'phoenix.desk_booking.created', validFrom: '2026-01-04T12:00:00.000Z', validTo: '2026-01-05T08:02:00.000Z' },
              { eventType: 'phoenix.desk_booking.checked_in', validFrom: '2026-01-05T08:02:00.000Z', validTo: null },
            ],
          },
        },
      },
    };
    let answer = await query(q);
    const deadline = Date.now() + 90_000;
    while (JSON.stringify(answer) !== JSON.stringify(expected) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      answer = await query(q);
    }
    expect(answer).toEqual(expected);
  }, 120_000);

  it('traces an event to its Kafka position and trace id', async () => {
    const answer = await query(`{ eventTrace(eventId: "e2e-${id}-6") { outcome topic traceId entityId } }`);
    expect(answer.data).toEqual({
      eventTrace: { outcome: 'APPLIED', topic: topics.events, traceId: '0af7651916cd43dd8448eb211c80319c', entityId: 'dbk-e2e' },
    });
  });

  it('reloads the supergraph on SIGHUP without a restart', async () => {
    const gateway = apps[3] as ServiceProcess;
    const supergraph = join(dir, 'supergraph.graphql');
    const original = readFileSync(supergraph, 'utf8');
    // A supergraph whose audit subgraph is gone: history stops being a field.
    writeFileSync(
      supergraph,
      original.replace(
        /\n\s*"""[^"]*"""\n\s*history\(knownAt: DateTime, first: Int, after: String\): DeskBookingVersionConnection @join__field\(graph: AUDIT\)[^\n]*/,
        '',
      ),
    );
    gateway.signal('SIGHUP');
    const missing = async () =>
      (await query('{ deskBooking(id: "dbk-e2e") { history { nodes { eventType } } } }')).errors?.[0]?.extensions?.['code'];
    let code = await missing();
    for (let i = 0; i < 20 && code !== 'GRAPHQL_VALIDATION_FAILED'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      code = await missing();
    }
    expect(code).toBe('GRAPHQL_VALIDATION_FAILED');
    writeFileSync(supergraph, original);
    gateway.signal('SIGHUP');
    for (let i = 0; i < 20 && (await missing()) !== undefined; i++) await new Promise((r) => setTimeout(r, 250));
    expect(await missing()).toBeUndefined();
    expect(gateway.lines.some((l) => l.includes('supergraph changed: reloading'))).toBe(true);
  });

  it('stops every app cleanly on SIGTERM', async () => {
    const results = await Promise.all(apps.map((a) => a.stop('SIGTERM')));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
  });
});
