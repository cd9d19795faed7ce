/** Helpers shared by the `import` and `redrive` command lines. */

/** A wrong flag or argument: the command prints the message and its usage, then exits 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes of both commands (docs/backfill.md). 130 = 128 + SIGINT, the shell's convention for Ctrl-C. */
export const EXIT = { ok: 0, failed: 1, interrupted: 130 } as const;

/** A whole number flag, at least `min`; absent gives `fallback`. */
export function integerFlag(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${name} must be a whole number of at least ${min}`);
  }
  return Number(value);
}

/** A time flag in ISO 8601 with a zone (`2026-01-05T09:00:00Z`) or a plain date (`2026-01-05`, meaning 00:00 UTC). */
export function timeFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ok = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/i.test(value);
  const ms = ok ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new UsageError(`--${name} must be an ISO 8601 time with a zone, e.g. 2026-01-05T09:00:00Z, or a date, e.g. 2026-01-05`);
  return ms;
}

/**
 * The log level for kafkajs's own lines on stderr. At `info` it narrates every
 * connection, which drowns the progress lines; a command shows warnings and errors
 * unless LOG_LEVEL asks for debug or trace.
 */
export function commandLogLevel(configured: string): string {
  return configured === 'info' ? 'warn' : configured;
}

/**
 * First SIGINT or SIGTERM: abort gracefully (the command finishes what is in flight and
 * exits 130), saying `messages.graceful`. A second one: say `messages.forced` and exit
 * 130 at once.
 */
export function handleInterrupts(
  controller: AbortController,
  say: (text: string) => void,
  messages: { graceful: string; forced: string },
): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      say(`${signal} again: quitting now. ${messages.forced}`);
      process.exit(EXIT.interrupted);
    }
    say(`${signal}: ${messages.graceful} (Ctrl-C again quits at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
