import type { Logger } from 'pino';

export interface Shutdown {
  /** True from the first SIGTERM/SIGINT on: a start-up in progress stops at its next step. */
  readonly stopping: boolean;
  /**
   * Registers how to close a part, as the part starts. A shutdown closes parts in
   * reverse order (last started, first closed), so a part never outlives what it uses.
   */
  closing(name: string, close: () => Promise<unknown>): void;
  /**
   * Runs every closer, last registered first, each after the previous one settled. A
   * closer that fails is logged and the rest still run. Runs once; later calls wait for it.
   */
  closeAll(): Promise<void>;
}

export interface ShutdownOptions {
  /** Longer than this and the process exits 1, so an orchestrator never waits forever. */
  timeoutMs: number;
  logger: Logger;
  /** Ends the process; the default is process.exit (tests pass their own). */
  exit?: (code: number) => void;
  /** The signals that start a shutdown; the default is SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
}

/**
 * Graceful shutdown with ordered closers and a deadline: the first signal logs
 * `shutting down`, runs the closers in reverse order and exits 0 (`stopped`); past
 * `timeoutMs` it logs `shutdown timed out` and exits 1. Signals are handled from the
 * moment this is created, whatever is up yet.
 */
export function createShutdown(options: ShutdownOptions): Shutdown {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const closers: { name: string; close: () => Promise<unknown> }[] = [];
  let stopping = false;
  let closed: Promise<void> | undefined;

  const closeAll = () =>
    (closed ??= (async () => {
      for (const { name, close } of [...closers].reverse()) {
        await close().catch((err: unknown) => options.logger.warn({ err, name }, 'close failed'));
      }
    })());

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    options.logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      options.logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out');
      exit(1);
    }, options.timeoutMs);
    void closeAll().then(() => {
      clearTimeout(deadline);
      options.logger.info('stopped');
      exit(0);
    });
  };
  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) process.once(signal, onSignal);

  return {
    get stopping() {
      return stopping;
    },
    closing: (name, close) => void closers.push({ name, close }),
    closeAll,
  };
}

/**
 * Runs `stop` once on the first SIGTERM or SIGINT and exits 0 when it settles (a failure
 * is logged), 1 when it takes longer than `timeoutMs`. A service with one part to close.
 */
export function onShutdownSignals(stop: () => Promise<void>, options: ShutdownOptions): Shutdown {
  const shutdown = createShutdown(options);
  shutdown.closing('service', stop);
  return shutdown;
}
