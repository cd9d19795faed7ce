import type { Logger } from 'pino';

/**
 * Wraps a readiness check so probes (every few seconds, from every orchestrator) cost
 * one real check per `ttlMs`: the last answer is reused until it is that old.
 */
export function cachedFor<T>(ttlMs: number, check: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: T } | null = null;
  return async () => {
    if (last && Date.now() - last.at < ttlMs) return last.value;
    const value = await check();
    last = { at: Date.now(), value };
    return value;
  };
}

/** Apollo Server's and Apollo Gateway's logger interface, on our pino logger. */
export function apolloLogger(logger: Logger) {
  return {
    debug: (message: unknown) => logger.debug(String(message)),
    info: (message: unknown) => logger.info(String(message)),
    warn: (message: unknown) => logger.warn(String(message)),
    error: (message: unknown) => logger.error(String(message)),
  };
}
