/**
 * `redrive`: after a fix, republishes the dead letters that now pass validation to their
 * source topic (or --to), and reports the ones that still fail. Reads the dead-letter
 * topic up to its current end, then stops. Operator guide: docs/backfill.md.
 * Exit 0 when done (letters still invalid included), 1 on a fatal error, 130 when interrupted.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createWarehouse } from '@phoenix/bq';
import { PROBLEM_CODES } from '@phoenix/domain';
import {
  commandLogLevel,
  EXIT,
  handleInterrupts,
  integerFlag,
  timeFlag,
  UsageError,
  createPublisher,
  readTopicToEnd,
  formatRedriveProgress,
  formatRedriveSummary,
  RedriveError,
  runRedrive,
  missingTopics,
  redriveWarehouseDeps,
  requireTopics,
  runCommand,
  createKafka,
} from '@phoenix/ingest';
import { loadEnvironment } from '../environment';
import { createLogger } from '@phoenix/service';

const REASONS = [...Object.keys(PROBLEM_CODES), 'UNKNOWN'];

const USAGE = `usage: tools/redrive [options]

Re-validates the dead letters on the dead-letter topic (TOPIC_DEADLETTER, phoenix.deadletter)
and republishes those that now pass to their source topic, then sets redriven_at of their
rows in the warehouse's dead_letters table (BIGQUERY_* settings, as the ingest).

  --reason <CODE>     only letters filed under this reason; repeatable
                      (${REASONS.join(', ')})
  --since <time>      only letters received at or after this ISO 8601 time, e.g. 2026-01-05T09:00:00Z
  --until <time>      only letters received before this time
  --to <topic>        republish here instead of each letter's source topic
  --max-bytes <n>     size limit for re-validation (default: INGEST_MAX_EVENT_BYTES, 1 MiB)
  --dry-run           examine and count, publish nothing
  --json              print the summary as JSON
  -h, --help          this text

Exit status: 0 done (even with letters still invalid), 1 fatal error, 130 interrupted.
`;

const say = (text: string) => process.stderr.write(`redrive: ${text}\n`);

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      reason: { type: 'string', multiple: true },
      since: { type: 'string' },
      until: { type: 'string' },
      to: { type: 'string' },
      'max-bytes': { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}; redrive takes only options`);
  const reasons = (values.reason ?? []).map((r) => r.trim().toUpperCase());
  const unknown = reasons.filter((r) => !REASONS.includes(r));
  if (unknown.length > 0) throw new UsageError(`unknown --reason ${unknown.join(', ')}; use one of ${REASONS.join(', ')}`);
  const sinceMs = timeFlag('since', values.since);
  const untilMs = timeFlag('until', values.until);
  if (sinceMs !== undefined && untilMs !== undefined && sinceMs >= untilMs) throw new UsageError('--since must be before --until');

  const env = loadEnvironment();
  const deadLetterTopic = env.ingest.topics.deadLetter;
  const maxBytes = integerFlag('max-bytes', values['max-bytes'], env.ingest.maxEventBytes);
  // kafkajs logs to stderr: stdout carries only the summary, so it can be piped.
  const logger = createLogger({ level: commandLogLevel(env.ingest.logLevel), name: 'redrive', destination: pino.destination(2) });
  const kafka = createKafka(env.kafka, logger);
  const required = [deadLetterTopic, ...(values.to ? [values.to] : [])];
  const missing = await requireTopics(kafka, env.kafka.brokers, required, (m) => new RedriveError(m));
  if (missing.length > 0) {
    throw new RedriveError(
      `topic(s) ${missing.join(', ')} do not exist; check TOPIC_DEADLETTER and --to (locally: bash tools/local/kafka.sh create-topics)`,
    );
  }

  const controller = new AbortController();
  const release = handleInterrupts(controller, say, {
    graceful: 'finishing the dead letters in hand',
    forced: 'Letters being republished may go out again on the next redrive (safe: writes are idempotent by event id).',
  });
  const publisher = createPublisher(kafka);
  // redriven_at in dead_letters, for the audit API; the same dataset the ingest writes.
  const warehouse = createWarehouse(env.warehouse);
  if (!values['dry-run']) await publisher.connect();
  try {
    const summary = await runRedrive(
      {
        deadLetterTopic,
        ...(values.to ? { to: values.to } : {}),
        filter: { reasons, ...(sinceMs !== undefined ? { sinceMs } : {}), ...(untilMs !== undefined ? { untilMs } : {}) },
        maxBytes,
        dryRun: values['dry-run'] ?? false,
        signal: controller.signal,
      },
      {
        readToEnd: (topic, onBatch, signal) =>
          readTopicToEnd(kafka, topic, onBatch, { groupPrefix: 'phoenix-redrive', ...(signal ? { signal } : {}) }),
        send: (topic, messages) => publisher.send(topic, messages),
        topicExists: async (topic) => (await missingTopics(kafka, [topic])).length === 0,
        ...redriveWarehouseDeps(warehouse),
        onProgress: (p) => say(formatRedriveProgress(p).replace(/^redrive: /, '')),
      },
    );
    process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : formatRedriveSummary(summary));
    return summary.status === 'interrupted' ? EXIT.interrupted : EXIT.ok;
  } finally {
    release();
    if (!values['dry-run']) await publisher.disconnect();
    await warehouse.close();
  }
}

runCommand('redrive', USAGE, main, (err) => err instanceof RedriveError);
