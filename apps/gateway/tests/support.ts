import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createCloudEvent, validateEvent, type DomainEvent, type EntityType } from '@phoenix/domain';
import { generateApiKey, type Consumer } from '@phoenix/access';
import { migrate, type Warehouse } from '@phoenix/bq';
import { applyEvents, createTestWarehouse } from '@phoenix/bq/testing';
import { ServiceProcess } from '@phoenix/service/testing';
import { createGatewayMetrics } from '../src/analytics';
import { createAuthenticator } from '../src/auth';
import { createConsumerStore } from '../src/consumers';
import { loadEnvironment } from '../src/environment';
import { gatewayFlow } from '../src/flow';
import { createMemoryRateLimiter, type RateLimiter } from '../src/policies/rate-limit';
import { readManifest } from '../src/policies/safelist';
import { createGatewayServer, type GatewayServer } from '../src/server';

export const SECRET = 'gateway-test-secret-0123456789abcdefgh';
export const dir = mkdtempSync(join(tmpdir(), 'phoenix-gateway-'));

let n = 0;
function event(entityType: EntityType, tenantId: string, data: Record<string, unknown>): DomainEvent {
  const result = validateEvent(
    createCloudEvent({ id: `gw-${++n}`, tenantId, entityType, action: 'created', time: '2026-01-02T00:00:00Z', data: data as never }),
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.event;
}

/** Two tenants whose ids collide: a leak shows up as the wrong name. */
export async function seededWarehouse(): Promise<Warehouse> {
  const warehouse = createTestWarehouse('it_gateway', process.env);
  await migrate(warehouse);
  const building = (tenant: string, name: string) =>
    event('building', tenant, { id: 'b1', name, city: 'Berlin', countryCode: 'DE', timezone: 'Europe/Berlin' });
  await applyEvents(warehouse, [
    building('acme', 'Acme HQ'),
    building('globex', 'Globex Tower'),
    event('floor', 'acme', { id: 'f1', buildingId: 'b1', name: 'Ground', level: 0 }),
    event('desk', 'acme', { id: 'd1', floorId: 'f1', label: '0.01', features: [], bookable: true }),
    event('member', 'acme', { id: 'm1', teamId: null, email: 'ann@example.com', displayName: 'Ann', role: 'employee', active: true }),
    event('desk_booking', 'acme', {
      id: 'dbk1',
      deskId: 'd1',
      memberId: 'm1',
      date: '2026-01-05',
      startTime: '2026-01-05T08:00:00Z',
      endTime: '2026-01-05T17:00:00Z',
      status: 'booked',
    }),
  ]);
  return warehouse;
}

/** Every real subgraph of the supergraph, as processes, over the dataset (the gateway is ready only when all are). */
export async function startSubgraphs(datasetId: string): Promise<{
  bookings: ServiceProcess;
  audit: ServiceProcess;
  commands: ServiceProcess;
  urls: Record<string, string>;
  stop(): Promise<void>;
}> {
  const env = { CONTEXT_SIGNING_SECRET: SECRET, BIGQUERY_DATASET: datasetId, CHANGE_FEED_SETTLE_MS: '0', LOG_LEVEL: 'info' };
  const bookings = new ServiceProcess('subgraph-bookings', env, /"msg":"subgraph-bookings listening/);
  const audit = new ServiceProcess('subgraph-audit', env, /"msg":"subgraph-audit listening/);
  const commands = new ServiceProcess('subgraph-commands', env, /"msg":"subgraph-commands listening/);
  const [b, a, c] = await Promise.all([bookings.started(), audit.started(), commands.started()]);
  return {
    bookings,
    audit,
    commands,
    urls: { SUBGRAPH_BOOKINGS_URL: `${b}/graphql`, SUBGRAPH_AUDIT_URL: `${a}/graphql`, SUBGRAPH_COMMANDS_URL: `${c}/graphql` },
    stop: async () => void (await Promise.all([bookings.stop(), audit.stop(), commands.stop()])),
  };
}

export interface TestConsumer {
  consumer: Consumer;
  key: string;
}

export function consumer(id: string, scopes: string[], limits: Partial<Consumer['limits']> = {}, tenantId = 'acme'): TestConsumer {
  const { key, stored } = generateApiKey();
  return {
    key,
    consumer: {
      id,
      name: id,
      tenantId,
      scopes,
      keys: [stored],
      limits: { perMinute: 0, perDay: 0, spikeArrest: { perSecond: 0, burst: 0 }, ...limits },
    },
  };
}

export function writeConsumers(path: string, consumers: readonly TestConsumer[]): void {
  writeFileSync(path, JSON.stringify({ consumers: consumers.map((c) => c.consumer) }, null, 2));
}

/** The gateway in this process, configured from an environment like main.ts is. */
export async function startGateway(
  env: Record<string, string>,
  options: { rateLimiter?: RateLimiter; redis?: { ping(): Promise<unknown> } } = {},
): Promise<{ server: GatewayServer; url: string; close(): Promise<void> }> {
  const config = loadEnvironment({ CONTEXT_SIGNING_SECRET: SECRET, GATEWAY_ENV: 'production', PORT: '0', HOST: '127.0.0.1', ...env });
  const logger = pino({ level: 'silent' });
  const consumers = createConsumerStore(config.auth.consumersFile, logger);
  const server = createGatewayServer(
    {
      config,
      logger,
      metrics: createGatewayMetrics(),
      authenticate: createAuthenticator(config.auth, consumers),
      rateLimiter: options.rateLimiter ?? createMemoryRateLimiter(),
      contextKeys: config.context,
      manifest: config.operations.safelist.file ? readManifest(config.operations.safelist.file) : null,
      redis: options.redis ?? null,
    },
    gatewayFlow,
  );
  const port = await server.start();
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await server.stop();
      consumers.close();
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Answer['body']) : {} };
}

/** Sends `text` as the whole POST body (for bodies JSON.stringify cannot build, e.g. 5,000 levels deep). */
export async function postRaw(url: string, text: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
  const answer = await res.text();
  return { status: res.status, headers: res.headers, body: answer ? (JSON.parse(answer) as Answer['body']) : {} };
}

export type UpstreamMode = 'pass' | 'slow' | 'reset' | 'http413' | 'http500' | 'http503';

/**
 * A link in front of a real subgraph that counts the calls it gets and can misbehave:
 * `slow` forwards after `slowMs`, `reset` destroys the connection without an answer,
 * `http413`/`http500`/`http503` answer that status itself (a GraphQL error body).
 */
export async function upstreamLink(
  target: string,
): Promise<{ url: string; calls: number; mode: UpstreamMode; slowMs: number; close(): Promise<void> }> {
  const link = { url: '', calls: 0, mode: 'pass' as UpstreamMode, slowMs: 3_000, close: async () => undefined as void };
  const to = new URL(target);
  const server = createServer((req, res) => {
    link.calls++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const mode = link.mode;
      if (mode === 'reset') return void req.socket.destroy();
      const status = { http413: 413, http500: 500, http503: 503 }[mode as string];
      if (status) {
        const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INTERNAL_SERVER_ERROR';
        res.writeHead(status, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ errors: [{ message: `secret internals ${status}`, extensions: { code } }] }));
      }
      const forward = () => {
        if (res.destroyed) return;
        const upstream = httpRequest(to, { method: 'POST', headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        upstream.end(Buffer.concat(chunks));
      };
      if (mode === 'slow') {
        // Cleared when the caller hangs up: a pending forward would hold the test process open.
        const timer = setTimeout(forward, link.slowMs);
        res.on('close', () => clearTimeout(timer));
      } else forward();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  link.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  link.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return link;
}
