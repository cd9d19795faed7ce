import { randomBytes, randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { param, sql, type Warehouse } from '@phoenix/bq';
import { dropTestDataset } from '@phoenix/bq/testing';
import { createLogger } from '@phoenix/service';
import type { ServiceProcess } from '@phoenix/service/testing';
import { createSubgraphMetrics, type SubgraphServer } from '@phoenix/subgraph';
import { createEventLog } from '../src/kafka';
import { createCommandsSubgraph } from '../src/subgraph';
import {
  BROKERS,
  createTopics,
  currentRow,
  daytimeZone,
  deleteTopics,
  eventually,
  gql,
  ingestProcess,
  KEYS,
  newWarehouse,
  postEvents,
  RECEIPT,
  REDIS_URL,
  seedWorld,
  slot,
  testKafka,
} from './support';

jest.setTimeout(180_000);

/** A TCP proxy in front of the broker that the test cuts and restores (the shared broker keeps running). */
class BrokerProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Refuses new connections and resets open ones, as a dead broker does. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.resetAndDestroy();
    if (server) await new Promise((r) => server.close(r));
  }
}

/**
 * Kafka down during writes: every write answers a coded, retryable error within the
 * produce bound (GraphQL UNAVAILABLE, HTTP 503 + Retry-After) and accepts nothing; once
 * the broker is back, retries with the same keys are accepted and the ingest records
 * each event once.
 */
describe('subgraph-commands: the broker goes away during writes', () => {
  const id = randomBytes(4).toString('hex');
  const kafka = testKafka(id);
  const [host, port] = (BROKERS[0] as string).split(':') as [string, string];
  const proxy = new BrokerProxy({ host, port: Number(port) });
  let topics: Awaited<ReturnType<typeof createTopics>>;
  let warehouse: Warehouse;
  let ingest: ServiceProcess;
  let server: SubgraphServer;
  let redis: Redis;
  let base = '';
  const PRODUCE_TIMEOUT_MS = 2_000;

  beforeAll(async () => {
    warehouse = await newWarehouse('it_writes_outage');
    await seedWorld(warehouse, daytimeZone());
    topics = await createTopics(kafka, id);
    ingest = ingestProcess(warehouse, topics, id);
    await proxy.open();
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const logger = createLogger({ level: 'silent', name: 'outage-test' });
    const writes = {
      topic: topics.events,
      redisUrl: REDIS_URL,
      redisPrefix: `it:outage:${id}:`,
      produceTimeoutMs: PRODUCE_TIMEOUT_MS,
      idempotencyTtlSeconds: 600,
      claimTtlSeconds: 600,
      maxBatchEvents: 100,
      maxWaitMs: 10_000,
      pastToleranceMs: 900_000,
    };
    const log = createEventLog({
      config: { brokers: BROKERS, clientId: `outage-${id}`, connectionTimeoutMs: 1_000 },
      topic: topics.events,
      timeoutMs: PRODUCE_TIMEOUT_MS,
      logger,
      // Every broker connection goes through the proxy, whatever address the metadata names.
      socketFactory: ({ onConnect }) => {
        const socket = connect({ host: '127.0.0.1', port: proxy.port }, onConnect);
        socket.setKeepAlive(true, 60_000);
        return socket;
      },
    });
    await log.connect();
    server = createCommandsSubgraph({
      warehouse,
      log,
      redis,
      logger,
      metrics: createSubgraphMetrics('subgraph-commands-outage-test'),
      contextKeys: KEYS,
      http: { port: 0, host: '127.0.0.1', logLevel: 'silent', maxBodyBytes: 1_000_000, shutdownTimeoutMs: 5_000, introspection: true },
      writes,
    });
    base = `http://127.0.0.1:${await server.start()}`;
    await ingest.started();
  });

  afterAll(async () => {
    await server?.stop();
    await proxy.cut();
    redis?.disconnect();
    await ingest?.stop();
    await deleteTopics(kafka, Object.values(topics ?? {}));
    if (warehouse) await dropTestDataset(warehouse);
  });

  const BOOK = `mutation($input: BookDeskInput!, $key: String) { bookDesk(input: $input, idempotencyKey: $key) { ${RECEIPT} } }`;
  const PUBLISH = `mutation($events: [EventInput!]!, $key: String) { publishEvents(events: $events, idempotencyKey: $key) { accepted results { eventId receipt { ${RECEIPT} } } } }`;
  const team = (n: number) => ({
    specversion: '1.0',
    id: `out-${id}-${n}`,
    source: '/integrations/hr',
    type: 'phoenix.team.created',
    time: '2026-06-01T00:00:00Z',
    entityid: `ot-${n}`,
    data: { id: `ot-${n}`, name: `Team ${n}` },
  });

  it('answers UNAVAILABLE / 503 with Retry-After within the bound, accepts nothing, and accepts the same writes once the broker is back', async () => {
    const warm = await gql(base, PUBLISH, { events: [team(0)] });
    expect(warm.errors).toBeUndefined();

    await proxy.cut();
    const desk = { deskId: 'd1', memberId: 'm1', ...slot(5) };
    const keys = { book: `k-${randomUUID()}`, publish: `k-${randomUUID()}`, ce: `k-${randomUUID()}` };
    const ceBody = JSON.stringify(team(2));
    const started = Date.now();
    const [book, publish, ce] = await Promise.all([
      gql(base, BOOK, { input: desk, key: keys.book }),
      gql(base, PUBLISH, { events: [team(1)], key: keys.publish }),
      postEvents(base, ceBody, { 'content-type': 'application/cloudevents+json', 'idempotency-key': keys.ce }),
    ]);
    const elapsed = Date.now() - started;
    expect(book.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', retryAfterSeconds: 2 });
    expect(book.data).toBeNull();
    expect(publish.errors?.[0]?.extensions?.['code']).toBe('UNAVAILABLE');
    expect(ce.status).toBe(503);
    expect(ce.headers.get('retry-after')).toBe('2');
    expect(((await ce.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
    // The produce bound plus request overhead, not kafkajs's unbounded idempotent retries.
    expect(elapsed).toBeLessThan(PRODUCE_TIMEOUT_MS + 3_000);
    await proxy.open();

    // The failed writes left no claim and no pending key behind: the same retries go through.
    const retried = await eventually(
      async () => {
        const r = await gql<{ bookDesk: { eventId: string; entityId: string } }>(base, BOOK, { input: desk, key: keys.book });
        return r.data?.bookDesk ?? null;
      },
      'the booking accepted after the broker returned',
      60_000,
    );
    const p = await gql<{ publishEvents: { accepted: number } }>(base, PUBLISH, { events: [team(1)], key: keys.publish });
    expect(p.data?.publishEvents.accepted).toBe(1);
    const c = await postEvents(base, ceBody, { 'content-type': 'application/cloudevents+json', 'idempotency-key': keys.ce });
    expect(c.status).toBe(202);

    // Recorded once each: one events_raw row per event id, one active booking of the desk.
    const ids = [retried.eventId, `out-${id}-1`, `out-${id}-2`];
    const rows = await eventually(async () => {
      const found = await warehouse.query<{ event_id: string; n: number }>({
        sql: sql`SELECT event_id, COUNT(*) AS n FROM ${warehouse.table('events_raw')} WHERE tenant_id = @tenant AND event_id IN UNNEST(@ids) GROUP BY event_id`,
        params: { tenant: param.string('acme'), ids: param.array('STRING', ids) },
      });
      return found.length === 3 ? found : null;
    }, 'the retried events recorded');
    expect(rows.map((r) => Number(r.n))).toEqual([1, 1, 1]);
    expect(await currentRow(warehouse, 'acme', 'desk_booking', retried.entityId)).toMatchObject({
      status: 'booked',
      event_id: retried.eventId,
    });
    const [active] = await warehouse.query<{ n: number }>({
      sql: sql`SELECT COUNT(*) AS n FROM ${warehouse.table('desk_booking_current')} WHERE tenant_id = @tenant AND desk_id = 'd1' AND NOT deleted AND status = 'booked'`,
      params: { tenant: param.string('acme') },
    });
    expect(Number(active?.n)).toBe(1);
  });
});
