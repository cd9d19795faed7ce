import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { Agent, request } from 'undici';
import { CONTEXT_HEADER, signContext, type ContextKeys } from '@phoenix/access';
import type { GatewayContext } from './context';
import type { GatewayMetrics } from './analytics';

/**
 * What the fetcher needs to know about the subgraph call it makes: the abort signal of the
 * client request it is for, and the key under which identical calls may share one fetch
 * (null: this call never shares). RemoteGraphQLDataSource hands its fetcher only method,
 * headers and body, so this travels alongside, set by SubgraphDataSource.process for
 * everything that call awaits.
 */
interface SubgraphCall {
  signal: AbortSignal | undefined;
  shareKey: string | null;
}
const currentCall = new AsyncLocalStorage<SubgraphCall>();

/**
 * Who a subgraph call is for, when it may share a fetch with identical calls in flight:
 * only calls made for a client's query operation (decided from the parsed operation, never
 * from the text sent) share, and only with calls for the same tenant, consumer and scopes.
 * A mutation's or subscription's calls — its entity fetches included — never share.
 */
export function shareKeyFor(options: GraphQLDataSourceProcessOptions<GatewayContext>): string | null {
  // Health checks and schema loads have no client operation.
  if (!('incomingRequestContext' in options)) return null;
  if (options.incomingRequestContext.operation?.operation !== 'query') return null;
  const principal = (options.context as Partial<GatewayContext>).principal ?? GATEWAY_PRINCIPAL;
  return JSON.stringify([principal.tenantId, principal.consumerId, [...principal.scopes].sort()]);
}

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

interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * How the gateway talks to a subgraph: a keep-alive undici pool shared by all calls (its
 * `request`, not `fetch`: WHATWG fetch costs a good share of a gateway's CPU), a timeout
 * per call, and on every request the signed context (tenant, consumer, scopes, request
 * id, expiry) plus traceparent. Nothing the client sent is forwarded.
 *
 * Identical queries in flight at the same moment for the same tenant, consumer and
 * scopes share one subgraph fetch (as Hive Gateway and Apollo Router do): under load,
 * many clients asking the same thing cost the subgraph one answer. Mutations never share.
 */
export function createSubgraphDataSourceFactory(deps: {
  keys: ContextKeys;
  contextTtlSeconds: number;
  timeoutMs: number;
  shareInFlight: boolean;
  metrics: GatewayMetrics;
}) {
  const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, connections: 128, pipelining: 1 });
  /**
   * A subgraph fetch and the requests waiting for it (several when identical queries
   * share it). It is stopped when every waiter has given up; a waiter that cannot give
   * up (no abort signal) keeps it going.
   */
  interface Fetch {
    answer: Promise<{ status: number; headers: Record<string, string>; text: string }>;
    stop: AbortController;
    waiting: number;
  }
  const inFlight = new Map<string, Fetch>();

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

  const send = async (
    name: string,
    url: string,
    init: FetchInit,
    headers: Record<string, string>,
    timeoutMs: number,
    abort: AbortSignal | undefined,
  ) => {
    const end = deps.metrics.subgraphDuration.startTimer({ subgraph: name });
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const res = await request(url, {
        method: 'POST',
        headers,
        body: init.body ?? null,
        dispatcher: agent,
        signal: abort ? AbortSignal.any([timeout, abort]) : timeout,
      });
      const text = await res.body.text();
      end({ outcome: res.statusCode < 400 ? 'ok' : `http_${res.statusCode}` });
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
      return { status: res.statusCode, headers: flat, text };
    } catch (err) {
      const outcome = abort?.aborted ? 'abandoned' : timeout.aborted ? 'timeout' : 'error';
      end({ outcome });
      // Abandoned: the client's request is over (REQUEST_TIMEOUT answers it); nobody reads this.
      if (outcome === 'abandoned') throw err;
      throw subgraphUnavailable(
        name,
        outcome === 'timeout' ? `did not answer within ${timeoutMs} ms` : 'could not be reached (the connection failed or was reset)',
      );
    }
  };

  const factory = ({ name, url }: { name: string; url?: string }) => {
    const timeoutMs = deps.timeoutMs;
    return new SubgraphDataSource(name, {
      url,
      fetcher: (async (input: string, init: FetchInit) => {
        const headers = init.headers ?? {};
        const call = currentCall.getStore();
        const key = deps.shareInFlight && call?.shareKey ? `${input}\n${call.shareKey}\n${init.body ?? ''}` : null;
        const start = (): Fetch => {
          const stop = new AbortController();
          const started = { answer: send(name, input, init, headers, timeoutMs, stop.signal), stop, waiting: 0 };
          if (key) {
            inFlight.set(key, started);
            // Only its own entry: a stopped fetch may have been replaced by a fresh one already.
            const forget = () => inFlight.get(key) === started && inFlight.delete(key);
            started.answer.then(forget, forget);
          }
          return started;
        };
        const shared = (key ? inFlight.get(key) : undefined) ?? start();
        shared.waiting++;
        const giveUp = call?.signal;
        if (giveUp) {
          const leave = () => {
            if (--shared.waiting > 0) return;
            // Nobody waits any more: stop it, and let a later identical query fetch afresh.
            if (key && inFlight.get(key) === shared) inFlight.delete(key);
            shared.stop.abort(giveUp.reason);
          };
          if (giveUp.aborted) leave();
          else {
            giveUp.addEventListener('abort', leave, { once: true });
            const settled = () => giveUp.removeEventListener('abort', leave);
            shared.answer.then(settled, settled);
          }
        }
        const answer = await shared.answer;
        // Each waiter gets its own Response: a body can be read once.
        return new Response(answer.text, { status: answer.status, headers: answer.headers });
      }) as never,
      willSendRequest({ request: req, context }: GraphQLDataSourceProcessOptions<GatewayContext>) {
        const headers = req.http?.headers;
        if (!headers) return;
        const ctx = context as Partial<GatewayContext>;
        headers.set(CONTEXT_HEADER, sign(ctx));
        headers.set('traceparent', ctx.traceparent ?? childTraceparent(undefined));
      },
    });
  };
  return { factory, sign, close: () => agent.close() };
}

/** Codes a subgraph may answer a non-2xx with that are the client's to fix, and pass through. */
const CLIENT_CODES = new Set(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED']);

/**
 * A subgraph that cannot answer right now (timeout, connection refused or reset, or its
 * own 502/503/504): SUBGRAPH_UNAVAILABLE, which a client may retry; the gateway adds
 * `Retry-After` to the answer.
 */
export function subgraphUnavailable(subgraph: string, why: string): GraphQLError {
  return new GraphQLError(`the ${subgraph} service ${why}; retry shortly`, {
    extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: subgraph },
  });
}

/**
 * A subgraph answering non-2xx: Apollo's default turns it into "400: Bad Request" with
 * the subgraph's whole response in `extensions.response`, which would reach the client.
 * Here each class keeps a code a client can act on, and nothing of the subgraph's
 * internals: a client mistake the subgraph caught (a DateTime that is not one) keeps its
 * code and message; another refusal of the client's request (4xx) is
 * DOWNSTREAM_SERVICE_ERROR with the subgraph's status and code; 502/503/504 is
 * SUBGRAPH_UNAVAILABLE; anything else (401/403 from a secret mismatch, 500) is an
 * internal error naming the subgraph, which the gateway logs and masks.
 */
class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraph: string,
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0],
  ) {
    super(config);
  }

  /** Runs the call with its client request's abort signal and share key at hand for the fetcher. */
  override process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const call: SubgraphCall = { signal: (options.context as Partial<GatewayContext>).signal, shareKey: shareKeyFor(options) };
    return currentCall.run(call, () => super.process(options));
  }

  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]): Promise<GraphQLError> {
    const body = (await this.parseBody(response).catch(() => null)) as {
      errors?: { message?: string; extensions?: { code?: string } }[];
    } | null;
    const first = body?.errors?.[0];
    const code = first?.extensions?.code;
    if (typeof code === 'string' && CLIENT_CODES.has(code) && first?.message) {
      return new GraphQLError(first.message, { extensions: { code } });
    }
    if (response.status === 502 || response.status === 503 || response.status === 504) {
      return subgraphUnavailable(this.subgraph, `answered HTTP ${response.status}`);
    }
    if (response.status >= 400 && response.status < 500 && response.status !== 401 && response.status !== 403) {
      const downstreamCode = typeof code === 'string' && /^[A-Z][A-Z_]{0,63}$/.test(code) ? code : null;
      return new GraphQLError(
        `the ${this.subgraph} service refused this request (HTTP ${response.status}${downstreamCode ? ` ${downstreamCode}` : ''})`,
        { extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: this.subgraph, httpStatus: response.status, downstreamCode } },
      );
    }
    return new GraphQLError(`subgraph ${this.subgraph} answered HTTP ${response.status}${first?.message ? `: ${first.message}` : ''}`, {
      extensions: { code: 'SUBGRAPH_FAILED' },
    });
  }
}
