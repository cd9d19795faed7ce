/**
 * @graphql-hive/gateway-runtime's createGatewayRuntime on node:http, with its defaults (the
 * runtime is itself the request listener). Usage: hive-gateway.ts <port> <supergraph file> [no-dedupe].
 * `no-dedupe` turns off the subgraph executor's deduplication of identical in-flight requests
 * (on by default), which otherwise lets concurrent identical queries share subgraph fetches.
 *
 * The runtime loads its subgraph transport at run time from @graphql-mesh/transport-http, which
 * the @graphql-hive/gateway package brings but the runtime alone does not, and which is not
 * installed here. For plain HTTP subgraphs (no header templates, no subscriptions) that
 * transport is one call: buildHTTPExecutor with the subgraph's URL and the runtime's fetch.
 * The transport below makes the same call, so the request path is the one Hive ships.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { buildHTTPExecutor } from '@graphql-tools/executor-http';

const dedupe = process.argv[4] !== 'no-dedupe';
const httpTransport = {
  getSubgraphExecutor(payload: {
    transportEntry: { location?: string; options?: Record<string, unknown> };
    fetch?: unknown;
    getDisposeReason?: unknown;
  }) {
    return buildHTTPExecutor({
      endpoint: payload.transportEntry.location,
      ...payload.transportEntry.options,
      ...(dedupe ? {} : { deduplicateInflightRequests: false }),
      getDisposeReason: payload.getDisposeReason,
      fetch: payload.fetch,
    } as Parameters<typeof buildHTTPExecutor>[0]);
  },
};

const [portArg, supergraphPath] = process.argv.slice(2);
if (!portArg || !supergraphPath) {
  process.stderr.write('usage: hive-gateway.ts <port> <supergraph file>\n');
  process.exit(2);
}
// A string with newlines is taken as SDL, not as a path or URL; nothing is polled.
const gateway = createGatewayRuntime({
  supergraph: readFileSync(supergraphPath, 'utf8'),
  logging: 'warn',
  transports: { http: httpTransport as never },
});
const http = createServer(gateway);
http.keepAliveTimeout = 60_000;
http.listen(Number(portArg), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'gateway listening', gateway: 'hive', port: Number(portArg) })}\n`);
});
process.on('SIGTERM', () => {
  http.close();
  Promise.resolve(gateway.dispose()).then(
    () => process.exit(0),
    () => process.exit(0),
  );
});
