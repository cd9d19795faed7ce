/**
 * Bare @apollo/gateway: ApolloGateway + ApolloServer on node:http, with a minimal adapter
 * (no Express, no CORS or body-parser middleware, no plugins of our own). The baseline of
 * the gateway benchmark. Usage: apollo-gateway.ts <port> <supergraph file>.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, HeaderMap } from '@apollo/server';

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function main(): Promise<void> {
  const [portArg, supergraphPath] = process.argv.slice(2);
  if (!portArg || !supergraphPath) throw new Error('usage: apollo-gateway.ts <port> <supergraph file>');
  const gateway = new ApolloGateway({ supergraphSdl: readFileSync(supergraphPath, 'utf8') });
  const server = new ApolloServer({ gateway });
  await server.start();

  const http = createServer((req, res) => {
    (async () => {
      let body: unknown;
      try {
        body = await readBody(req);
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"errors":[{"message":"invalid JSON"}]}');
        return;
      }
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const response = await server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: q < 0 ? '' : url.slice(q), body },
        context: async () => ({}),
      });
      res.statusCode = response.status ?? 200;
      for (const [key, value] of response.headers) res.setHeader(key, value);
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
      } else {
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      }
    })().catch((err: unknown) => {
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
