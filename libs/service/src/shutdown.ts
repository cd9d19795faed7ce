import type { Logger } from 'pino';

/**
 * Runs `stop` once on the first SIGTERM or SIGINT and exits 0 when it resolves, 1 when
 * it fails or takes longer than `timeoutMs` (so an orchestrator never waits forever).
 */
export function onShutdownSignals(stop: () => Promise<void>, options: { timeoutMs: number; logger: Logger }): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    options.logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      options.logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, options.timeoutMs);
    deadline.unref();
    stop().then(
      () => {
        options.logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        options.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
