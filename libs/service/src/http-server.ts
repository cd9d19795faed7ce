import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { HttpHandler } from './graphql-http';

export interface Readiness {
  ready: boolean;
  [detail: string]: unknown;
}

export interface ServiceHttpOptions {
  port: number;
  host?: string;
  logger: Logger;
  registry: Registry;
  /** /readyz: ready when every dependency the service needs answers. */
  readiness: () => Promise<Readiness>;
  /** Application routes by path, e.g. `{ '/graphql': graphqlHandler(...) }`. */
  routes: Record<string, HttpHandler>;
}

export interface ServiceHttpServer {
  /** Starts listening; resolves with the bound port (useful with port 0 in tests). */
  listen(): Promise<number>;
  /** Stops accepting, lets in-flight requests finish, then closes idle keep-alive sockets. */
  close(): Promise<void>;
  readonly server: Server;
}

/**
 * The HTTP surface every Phoenix service has: /healthz (the process answers), /readyz
 * (its dependencies answer), /metrics (Prometheus), plus the service's own routes.
 * A handler that throws gets a 500 with no detail; the error goes to the log.
 */
export function createServiceHttpServer(options: ServiceHttpOptions): ServiceHttpServer {
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const builtIn: Record<string, HttpHandler> = {
    '/healthz': async (_req, res) => json(res, 200, { status: 'ok' }),
    '/readyz': async (_req, res) => {
      const readiness = await options.readiness().catch((err: unknown) => ({ ready: false, error: String(err) }));
      json(res, readiness.ready ? 200 : 503, { status: readiness.ready ? 'ready' : 'not ready', ...readiness });
    },
    '/metrics': async (_req, res) => {
      const text = await options.registry.metrics();
      res.writeHead(200, { 'content-type': options.registry.contentType });
      res.end(text);
    },
  };
  const routes = { ...builtIn, ...options.routes };
  const sockets = new Set<Socket>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const handler = routes[path];
    if (!handler) return json(res, 404, { error: 'not found', endpoints: Object.keys(routes) });
    handler(req, res).catch((err: unknown) => {
      options.logger.error({ err, path }, 'request handler failed');
      if (!res.headersSent)
        json(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.end();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  return {
    server,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host ?? '0.0.0.0', () => {
          server.off('error', reject);
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : options.port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        // Idle keep-alive sockets would hold close() open until they time out.
        server.closeIdleConnections();
      }),
  };
}
