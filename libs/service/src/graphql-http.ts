import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';

/** A GraphQL-shaped error answered before Apollo Server runs (body too large, bad JSON, refused context). */
export class HttpGraphQLError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpGraphQLError';
  }
}

export interface GraphQLHandlerOptions<C extends BaseContext> {
  /** Requests with a larger body are refused with 413 before parsing. */
  maxBodyBytes: number;
  /**
   * Builds the per-request context. It runs before Apollo parses the operation, so a
   * thrown HttpGraphQLError refuses the request before any resolver (or warehouse) runs.
   */
  context: (req: IncomingMessage) => Promise<C>;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Serves an Apollo Server on node:http without a framework: reads the body with a
 * size bound, hands the request to `executeHTTPGraphQLRequest`, and writes the answer
 * (also incremental, chunked answers). Apollo does CSRF prevention and content negotiation.
 */
export function graphqlHandler<C extends BaseContext>(server: ApolloServer<C>, options: GraphQLHandlerOptions<C>): HttpHandler {
  return async (req, res) => {
    try {
      const body = req.method === 'POST' ? await readJsonBody(req, options.maxBodyBytes) : undefined;
      // Built before Apollo runs, so a refusal costs no parsing or execution.
      const contextValue = await options.context(req);
      const headers = new HeaderMap();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const url = req.url ?? '/';
      const response = await server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.includes('?') ? url.slice(url.indexOf('?')) : '', body },
        context: async () => contextValue,
      });
      for (const [name, value] of response.headers) res.setHeader(name, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (err) {
      if (!(err instanceof HttpGraphQLError)) throw err;
      writeGraphQLError(res, err);
    }
  };
}

/** Answers with `{ errors: [{ message, extensions: { code } }] }`, the shape GraphQL clients parse. */
export function writeGraphQLError(res: ServerResponse, err: HttpGraphQLError): void {
  if (res.headersSent) return void res.end();
  res.writeHead(err.status, { 'content-type': 'application/json; charset=utf-8', ...err.headers });
  res.end(JSON.stringify({ errors: [{ message: err.message, extensions: { code: err.code } }] }));
}

/**
 * Reads a request body as UTF-8 text, refusing it with `tooLarge()` as soon as it is
 * known to exceed `maxBytes` (by Content-Length, or while streaming without one); the
 * rest of a refused body is drained so the connection can answer.
 */
export async function readBodyText(req: IncomingMessage, maxBytes: number, tooLarge: () => Error): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const text = await readBodyText(
    req,
    maxBytes,
    () =>
      new HttpGraphQLError(
        413,
        'PAYLOAD_TOO_LARGE',
        `request body is larger than ${maxBytes} bytes; send a smaller operation or variables`,
      ),
  );
  if (text.trim() === '') return undefined;
  const type = String(req.headers['content-type'] ?? '');
  // Apollo's CSRF prevention decides what to do with other content types; only JSON is parsed here.
  if (!type.includes('json')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpGraphQLError(400, 'BAD_REQUEST', 'request body is not valid JSON');
  }
}
