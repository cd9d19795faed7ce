import type { HttpHandler, Readiness } from '@phoenix/service';

/** What the operational endpoints read from a lane (an Ingestor). */
export interface LaneHealth {
  readiness(): { ready: boolean } & Record<string, unknown>;
  reconciliation(): Record<string, unknown>;
}

/** /readyz of the ingest: ready when every lane is (connected, assigned, warehouse not failing); the detail is per lane. */
export function lanesReadiness(lanes: Readonly<Record<string, LaneHealth>>): () => Promise<Readiness> {
  return async () => {
    const detail = Object.fromEntries(Object.entries(lanes).map(([name, lane]) => [name, lane.readiness()]));
    return { ready: Object.values(detail).every((l) => l.ready), lanes: detail };
  };
}

/** /reconciliation: per-lane, per-partition accounting of consumed messages (JSON). */
export function reconciliationRoute(lanes: Readonly<Record<string, LaneHealth>>): HttpHandler {
  return async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(Object.fromEntries(Object.entries(lanes).map(([name, lane]) => [name, lane.reconciliation()]))));
  };
}
