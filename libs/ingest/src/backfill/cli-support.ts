import type { Kafka } from 'kafkajs';
import { ConfigError } from '@phoenix/service/config';
import { missingTopics } from './kafka-io';

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

/**
 * Runs a command's `main` and exits with its code. A usage error prints the message and
 * the usage; a ConfigError or one of the command's own `known` errors just the message;
 * anything else the stack. All of those exit 1.
 */
export function runCommand(name: string, usage: string, main: (argv: string[]) => Promise<number>, known: (err: unknown) => boolean): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
        process.stderr.write(`${name}: ${err.message}\n\n${usage}`);
      } else if (err instanceof ConfigError || known(err)) {
        process.stderr.write(`${name}: ${(err as Error).message}\n`);
      } else {
        process.stderr.write(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      }
      process.exit(EXIT.failed);
    },
  );
}

/**
 * The topics a command needs that do not exist; an unreachable broker becomes `fail`
 * with what to check.
 */
export async function requireTopics(
  kafka: Kafka,
  brokers: readonly string[],
  topics: string[],
  fail: (message: string) => Error,
): Promise<string[]> {
  return missingTopics(kafka, topics).catch((err: unknown) => {
    throw fail(
      `cannot reach Kafka at ${brokers.join(',')} (${err instanceof Error ? err.message : String(err)}); check KAFKA_BROKERS and that the broker runs (locally: npm run services:up)`,
    );
  });
}
