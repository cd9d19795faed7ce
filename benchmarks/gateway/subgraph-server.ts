/**
 * One bench subgraph as a plain node:http server: graphql-js over @apollo/subgraph's schema,
 * static data, parsed and validated documents cached by query text (a gateway sends the same
 * few queries again and again), so that the subgraphs are not the bottleneck.
 * Usage: subgraph-server.ts <accounts|inventory|products|reviews> <port>. Forked by subgraphs.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { execute, parse, validate, type DocumentNode } from 'graphql';
import { SUBGRAPH_NAMES, subgraphSchema, type SubgraphName } from './scenario';

const [name, portArg] = process.argv.slice(2);
if (!SUBGRAPH_NAMES.includes(name as SubgraphName) || !portArg) {
  process.stderr.write(`usage: subgraph-server.ts <${SUBGRAPH_NAMES.join('|')}> <port>\n`);
  process.exit(2);
}
const schema = subgraphSchema(name as SubgraphName);
const documents = new Map<string, DocumentNode>();
// POSTs served, for the bench's count of subgraph fetches per gateway request (GET /stats).
let served = 0;

function documentFor(query: string): DocumentNode {
  let document = documents.get(query);
  if (!document) {
    document = parse(query);
    const errors = validate(schema, document);
    if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('; '));
    if (documents.size > 1000) documents.clear();
    documents.set(query, document);
  }
  return document;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/healthz') return reply(res, 200, { ok: true });
  if (req.method === 'GET' && req.url === '/stats') return reply(res, 200, { requests: served });
  if (req.method !== 'POST') return reply(res, 405, { errors: [{ message: 'POST only' }] });
  served += 1;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  let request: { query?: string; variables?: Record<string, unknown>; operationName?: string };
  try {
    request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return reply(res, 400, { errors: [{ message: 'invalid JSON' }] });
  }
  let document: DocumentNode;
  try {
    document = documentFor(String(request.query));
  } catch (err) {
    return reply(res, 400, { errors: [{ message: (err as Error).message }] });
  }
  const result = await execute({ schema, document, variableValues: request.variables, operationName: request.operationName });
  reply(res, 200, result);
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => reply(res, 500, { errors: [{ message: String(err) }] }));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portArg), '127.0.0.1', () => {
  process.send?.({ type: 'listening', name, port: Number(portArg) });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
