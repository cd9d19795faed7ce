import { randomBytes } from 'node:crypto';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { Agent, fetch as undiciFetch } from 'undici';
import { CONTEXT_HEADER, signContext, type ContextKeys } from '@phoenix/domain';
import type { GatewayContext } from './context';
import type { GatewayMetrics } from './analytics';

/** Headers only the gateway may set: a client's copies are dropped on the way in. */
export const INTERNAL_HEADERS = [CONTEXT_HEADER, 'x-phoenix-tenant', 'x-phoenix-consumer', 'x-phoenix-scopes'];

// A system identity for the gateway's own calls (readiness probes, schema checks): no scopes.
export const GATEWAY_PRINCIPAL = { consumerId: 'phoenix-gateway', tenantId: 'phoenix-gateway', scopes: [] as string[] };

/** A new W3C traceparent: a child span of the client's trace when it sent a valid one, else a new trace. */
export function childTraceparent(incoming: string | undefined): string {
  const match = incoming ? /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/.exec(incoming) : null;
  const traceId = match && !/^0+$/.test(match[1] as string) ? (match[1] as string) : randomBytes(16).toString('hex');
  return `00-${traceId}-${randomBytes(8).toString('hex')}-${match?.[2] ?? '01'}`;
}

/**
 * How the gateway talks to a subgraph: a keep-alive undici pool shared by all calls, a
 * timeout per call, and on every request the signed context (tenant, consumer, scopes,
 * request id, expiry) plus traceparent. Nothing the client sent is forwarded.
 */
export function createSubgraphDataSourceFactory(deps: {
  keys: ContextKeys;
  contextTtlSeconds: number;
  timeoutMs: number;
  metrics: GatewayMetrics;
}) {
  const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, connections: 128, pipelining: 1 });

  const sign = (ctx: Partial<GatewayContext>) => {
    const principal = ctx.principal ?? GATEWAY_PRINCIPAL;
    return signContext(
      {
        tenantId: principal.tenantId,
        consumerId: principal.consumerId,
        scopes: principal.scopes,
        requestId: ctx.requestId ?? `gateway-${randomBytes(8).toString('hex')}`,
        exp: Math.floor(Date.now() / 1000) + deps.contextTtlSeconds,
      },
      deps.keys,
    );
  };

  const factory = ({ name, url }: { name: string; url?: string }) => {
    const timeoutMs = deps.timeoutMs;
    return new RemoteGraphQLDataSource<GatewayContext>({
      url,
      // Subgraph errors keep their own codes (the subgraphs mask internals); stacks never travel.
      fetcher: (async (input: string, init: Record<string, unknown>) => {
        const end = deps.metrics.subgraphDuration.startTimer({ subgraph: name });
        try {
          const response = await undiciFetch(input, { ...(init as object), dispatcher: agent, signal: AbortSignal.timeout(timeoutMs) });
          end({ outcome: response.ok ? 'ok' : `http_${response.status}` });
          return response;
        } catch (err) {
          end({ outcome: (err as Error).name === 'TimeoutError' ? 'timeout' : 'error' });
          throw err;
        }
      }) as never,
      willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>) {
        const headers = request.http?.headers;
        if (!headers) return;
        headers.set(CONTEXT_HEADER, sign(context));
        headers.set('traceparent', (context as Partial<GatewayContext>).traceparent ?? childTraceparent(undefined));
      },
    });
  };
  return { factory, sign, close: () => agent.close() };
}
