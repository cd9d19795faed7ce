import { createServiceHttpServer, type ServiceHttpOptions, type ServiceHttpServer } from './http-server';
import { createShutdown, type Shutdown, type ShutdownOptions } from './shutdown';

export interface ServiceOptions extends ServiceHttpOptions {
  /** Bound of the whole shutdown; past it the process exits 1. */
  shutdownTimeoutMs: number;
  /** For tests: see ShutdownOptions. */
  exit?: ShutdownOptions['exit'];
  signals?: ShutdownOptions['signals'];
}

export interface Service extends Shutdown {
  readonly http: ServiceHttpServer;
  /**
   * Starts the HTTP server and registers it as a part to close: it closes before every
   * part registered earlier (which its routes may use) and after every later one.
   */
  listen(): Promise<number>;
}

/**
 * A Phoenix service: the operational HTTP surface (/healthz, /readyz with the
 * readiness detail, /metrics, the service's own routes) and graceful shutdown with
 * ordered closers and a deadline. A composition root creates it first, registers each
 * part's closer as the part starts, and listens when its routes can answer.
 */
export function createService(options: ServiceOptions): Service {
  const shutdown = createShutdown({
    timeoutMs: options.shutdownTimeoutMs,
    logger: options.logger,
    ...(options.exit ? { exit: options.exit } : {}),
    ...(options.signals ? { signals: options.signals } : {}),
  });
  const http = createServiceHttpServer(options);
  return {
    http,
    get stopping() {
      return shutdown.stopping;
    },
    closing: shutdown.closing,
    closeAll: shutdown.closeAll,
    listen: () => {
      shutdown.closing('http', () => http.close());
      return http.listen();
    },
  };
}
