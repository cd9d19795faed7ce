import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface HealthSource {
  readiness(): { ready: boolean } & Record<string, unknown>;
  reconciliation(): Record<string, unknown>;
}

/**
 * The operational endpoints: /healthz (the process is alive), /readyz (every lane is
 * connected and assigned, and the warehouse is not failing), /metrics (Prometheus) and
 * /reconciliation (per-partition accounting, JSON).
 */
export function createHttpServer(deps: { port: number; registry: Registry; lanes: Record<string, HealthSource>; logger: Logger }): {
  listen(): Promise<number>;
  close(): Promise<void>;
} {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      const lanes = Object.fromEntries(Object.entries(deps.lanes).map(([name, lane]) => [name, lane.readiness()]));
      const ready = Object.values(lanes).every((l) => l.ready);
      return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', lanes });
    }
    if (path === '/reconciliation') {
      return json(200, Object.fromEntries(Object.entries(deps.lanes).map(([name, lane]) => [name, lane.reconciliation()])));
    }
    if (path === '/metrics') {
      deps.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': deps.registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          deps.logger.error({ err }, 'metrics collection failed');
          json(500, { error: 'metrics collection failed' });
        },
      );
      return;
    }
    json(404, { error: 'not found', endpoints: ['/healthz', '/readyz', '/metrics', '/reconciliation'] });
  });
  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(deps.port, '0.0.0.0', () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : deps.port);
        });
      }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
