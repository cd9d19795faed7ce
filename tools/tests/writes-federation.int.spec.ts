import { randomBytes } from 'node:crypto';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { Kafka, logLevel } from 'kafkajs';
import { SCOPES } from '@phoenix/domain';
import { CONTEXT_HEADER, signContext } from '@phoenix/access';
import { migrate, type Warehouse } from '@phoenix/bq';
import { createTestWarehouse, dropTestDataset } from '@phoenix/bq/testing';
import { ServiceProcess } from '@phoenix/service/testing';
import { composeSupergraph } from '../src/federation/compose';

const SECRET = 'writes-federation-secret-0123456789abcdef';

/**
 * The write path in the federation: the commands subgraph as its real process, composed
 * from the SDL files with the read subgraphs, queried through @apollo/gateway. The
 * supergraph shows the mutations, and a mutation through the gateway reaches Kafka.
 */
describe('the federation: the commands subgraph’s mutations through @apollo/gateway', () => {
  const id = randomBytes(4).toString('hex');
  const topic = `fed.writes.${id}`;
  const kafka = new Kafka({
    clientId: `fed-writes-${id}`,
    brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
    logLevel: logLevel.NOTHING,
  });
  let warehouse: Warehouse;
  let commands: ServiceProcess;
  let gateway: ApolloServer;

  beforeAll(async () => {
    warehouse = createTestWarehouse('it_fed_writes', process.env);
    await migrate(warehouse);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    commands = new ServiceProcess(
      'subgraph-commands',
      {
        CONTEXT_SIGNING_SECRET: SECRET,
        BIGQUERY_DATASET: warehouse.config.datasetId,
        TOPIC_EVENTS: topic,
        REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
        REDIS_PREFIX: `it:fed:${id}:`,
      },
      /"msg":"subgraph-commands listening/,
    );
    const url = await commands.started();
    // The read subgraphs are not called by these operations; their URLs stay the checked-in ones.
    const { supergraphSdl } = composeSupergraph(undefined, { urls: { commands: `${url}/graphql` } });
    const apollo = new ApolloGateway({
      supergraphSdl,
      buildService: ({ url: serviceUrl }) =>
        new RemoteGraphQLDataSource({
          url: serviceUrl,
          willSendRequest: ({ request }) => {
            request.http?.headers.set(
              CONTEXT_HEADER,
              signContext(
                {
                  tenantId: 'acme',
                  consumerId: 'federation-test',
                  scopes: [SCOPES.eventsWrite],
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
    await commands?.stop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    if (warehouse) await dropTestDataset(warehouse);
  });

  const run = async (query: string) => {
    const res = await gateway.executeOperation({ query });
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    return res.body.singleResult;
  };

  it('shows the write mutations in the supergraph, beside the read queries', async () => {
    const result = await run('{ __schema { mutationType { fields { name } } queryType { fields { name } } } }');
    const schema = (
      result.data as { __schema: { mutationType: { fields: { name: string }[] }; queryType: { fields: { name: string }[] } } }
    ).__schema;
    expect(schema.mutationType.fields.map((f) => f.name).sort()).toEqual(
      [
        'bookDesk',
        'bookRoom',
        'cancelDeskBooking',
        'cancelRoomBooking',
        'cancelVisit',
        'checkInDeskBooking',
        'checkInRoomBooking',
        'publishEvents',
        'registerVisit',
        'signInVisitor',
        'signOutVisitor',
      ].sort(),
    );
    expect(schema.queryType.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['deskBooking', 'eventTrace']));
  });

  it('plans a mutation to the commands subgraph: publishEvents through the gateway answers with a Kafka receipt', async () => {
    const result = await run(`mutation {
      publishEvents(events: [{ specversion: "1.0", id: "fed-w-1", source: "/fed", type: "phoenix.team.created",
        time: "2026-01-05T09:00:00Z", entityid: "t-fed", data: { id: "t-fed", name: "Federated" } }]) {
        accepted results { status receipt { topic partition offset } } } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      publishEvents: { accepted: 1, results: [{ status: 'ACCEPTED', receipt: { topic, partition: 0, offset: '0' } }] },
    });
  });
});
