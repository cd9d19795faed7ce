import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { createCloudEvent, SCOPES, validateEvent, type DomainEvent, type EntityType } from '@phoenix/domain';
import { CONTEXT_HEADER, signContext } from '@phoenix/access';
import { migrate, type Warehouse } from '@phoenix/bq';
import { applyEvents, createTestWarehouse, dropTestDataset } from '@phoenix/bq/testing';
import { composeSupergraph } from '../src/federation/compose';
import { ServiceProcess } from '@phoenix/service/testing';

const SECRET = 'federation-test-secret-0123456789abcdef';

let n = 0;
function event(entityType: EntityType, action: string, time: string, data: Record<string, unknown>): DomainEvent {
  const result = validateEvent(
    createCloudEvent({ id: `fed-${++n}`, tenantId: 'acme', entityType, action: action as never, time, data: data as never }),
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.event;
}

/**
 * Both subgraphs as real processes (their main.ts, configured from the environment) over
 * one emulator dataset, composed with @apollo/composition from the SDL files, and queried
 * through @apollo/gateway: one client query joins the present (bookings) and the past (audit).
 */
describe('the federation: bookings + audit through @apollo/gateway', () => {
  let warehouse: Warehouse;
  let bookings: ServiceProcess;
  let audit: ServiceProcess;
  let gateway: ApolloServer;

  beforeAll(async () => {
    warehouse = createTestWarehouse('it_federation', process.env);
    await migrate(warehouse);
    const booking = {
      id: 'dbk1',
      deskId: 'd1',
      memberId: 'm1',
      date: '2026-01-05',
      startTime: '2026-01-05T08:00:00Z',
      endTime: '2026-01-05T17:00:00Z',
    };
    await applyEvents(
      warehouse,
      [
        event('building', 'created', '2026-01-01T00:00:00Z', {
          id: 'b1',
          name: 'Berlin HQ',
          city: 'Berlin',
          countryCode: 'DE',
          timezone: 'Europe/Berlin',
        }),
        event('floor', 'created', '2026-01-01T00:00:00Z', { id: 'f1', buildingId: 'b1', name: 'Ground', level: 0 }),
        event('desk', 'created', '2026-01-01T00:00:00Z', { id: 'd1', floorId: 'f1', label: '0.01', features: [], bookable: true }),
        event('team', 'created', '2026-01-01T00:00:00Z', { id: 't1', name: 'Platform' }),
        event('member', 'created', '2026-01-01T00:00:00Z', {
          id: 'm1',
          teamId: 't1',
          email: 'ann@example.com',
          displayName: 'Ann',
          role: 'employee',
          active: true,
        }),
        event('desk_booking', 'created', '2026-01-04T10:00:00Z', { ...booking, status: 'booked' }),
      ],
      '2026-01-04T10:00:01Z',
    );
    await applyEvents(
      warehouse,
      [
        event('desk_booking', 'checked_in', '2026-01-05T08:03:00Z', {
          ...booking,
          status: 'checked_in',
          checkedInAt: '2026-01-05T08:03:00Z',
        }),
      ],
      '2026-01-05T08:03:01Z',
    );

    const env = {
      CONTEXT_SIGNING_SECRET: SECRET,
      BIGQUERY_DATASET: warehouse.config.datasetId,
      CHANGE_FEED_SETTLE_MS: '0',
    };
    bookings = new ServiceProcess('subgraph-bookings', env, /"msg":"subgraph-bookings listening/);
    audit = new ServiceProcess('subgraph-audit', env, /"msg":"subgraph-audit listening/);
    const [bookingsUrl, auditUrl] = await Promise.all([bookings.started(), audit.started()]);
    const { supergraphSdl } = composeSupergraph(undefined, { urls: { bookings: `${bookingsUrl}/graphql`, audit: `${auditUrl}/graphql` } });
    const apollo = new ApolloGateway({
      supergraphSdl,
      buildService: ({ url }) =>
        new RemoteGraphQLDataSource({
          url,
          // The gateway's side of the contract (issue #5 makes this a policy): sign who is asking.
          willSendRequest: ({ request }) => {
            request.http?.headers.set(
              CONTEXT_HEADER,
              signContext(
                {
                  tenantId: 'acme',
                  consumerId: 'federation-test',
                  scopes: [SCOPES.read, SCOPES.history, SCOPES.personalData],
                  requestId: `req-${Date.now()}`,
                  exp: Math.floor(Date.now() / 1000) + 60,
                },
                { secrets: [SECRET] },
              ),
            );
          },
        }),
    });
    gateway = new ApolloServer({ gateway: apollo });
    await gateway.start();
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([bookings?.stop(), audit?.stop()]);
    await dropTestDataset(warehouse);
  });

  const run = async (query: string) => {
    const res = await gateway.executeOperation({ query });
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    return res.body.singleResult;
  };

  it('joins a booking (bookings subgraph) with its history and as-of state (audit subgraph) in one query', async () => {
    const result = await run(`{
      deskBooking(id: "dbk1") {
        status
        desk { label floor { building { name } } }
        member { displayName team { name } }
        history { nodes { eventType validFrom validTo recordedAt } }
        asOf(validAt: "2026-01-05T08:00:00Z") { status }
      }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      deskBooking: {
        status: 'CHECKED_IN',
        desk: { label: '0.01', floor: { building: { name: 'Berlin HQ' } } },
        member: { displayName: 'Ann', team: { name: 'Platform' } },
        history: {
          nodes: [
            {
              eventType: 'phoenix.desk_booking.created',
              validFrom: '2026-01-04T10:00:00.000Z',
              validTo: '2026-01-05T08:03:00.000Z',
              recordedAt: '2026-01-04T10:00:01.000Z',
            },
            {
              eventType: 'phoenix.desk_booking.checked_in',
              validFrom: '2026-01-05T08:03:00.000Z',
              validTo: null,
              recordedAt: '2026-01-05T08:03:01.000Z',
            },
          ],
        },
        asOf: { status: 'BOOKED' },
      },
    });
  });

  it('resolves the change feed’s entities through the bookings subgraph', async () => {
    const result = await run(`{
      changes(since: "2026-01-05T00:00:00Z", entityTypes: [DESK_BOOKING]) {
        nodes { eventType entity { ... on DeskBooking { status desk { label } } } }
      }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      changes: { nodes: [{ eventType: 'phoenix.desk_booking.checked_in', entity: { status: 'CHECKED_IN', desk: { label: '0.01' } } }] },
    });
  });

  it('stops both subgraphs cleanly on SIGTERM', async () => {
    const results = await Promise.all([bookings.stop('SIGTERM'), audit.stop('SIGTERM')]);
    expect(results).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
  });
});
