/**
 * Bare @apollo/gateway: ApolloGateway + ApolloServer on node:http through @phoenix/service's
 * adapter (no Express, no CORS or body-parser middleware, no plugins of our own). The baseline of
 * the gateway benchmark. Usage: apollo-gateway.ts <port> <supergraph file>.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { graphqlHandler } from '@phoenix/service';

async function main(): Promise<void> {
  const [portArg, supergraphPath] = process.argv.slice(2);
  if (!portArg || !supergraphPath) throw new Error('usage: apollo-gateway.ts <port> <supergraph file>');
  const gateway = new ApolloGateway({ supergraphSdl: readFileSync(supergraphPath, 'utf8') });
  const server = new ApolloServer({ gateway });
  await server.start();

  // The same node:http adapter as Phoenix's services, with no limit that matters here.
  const handle = graphqlHandler(server, { maxBodyBytes: 64 * 1024 * 1024, context: async () => ({}) });
  const http = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      process.stderr.write(`apollo-gateway: ${String(err)}\n`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  http.keepAliveTimeout = 60_000;
  http.listen(Number(portArg), '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ msg: 'gateway listening', gateway: 'apollo', port: Number(portArg) })}\n`);
  });
  process.on('SIGTERM', () => {
    http.close();
    server.stop().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`apollo-gateway: ${String(err)}\n`);
  process.exit(1);
});
