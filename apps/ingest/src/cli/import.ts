/**
 * `import`: publishes a file of historical events (NDJSON or CSV) to the backfill topic,
 * validated, with progress, resumable after an interrupt. Operator guide: docs/backfill.md.
 * Exit 0 when the file is done (rejects included), 1 on a fatal error, 130 when interrupted.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import {
  commandLogLevel,
  EXIT,
  handleInterrupts,
  integerFlag,
  UsageError,
  detectFormat,
  IMPORT_FORMATS,
  ImportError,
  type ImportFormat,
  runImport,
  createPublisher,
  requireTopics,
  runCommand,
  formatImportProgress,
  formatImportSummary,
  createKafka,
} from '@phoenix/ingest';
import { loadEnvironment } from '../environment';
import { createLogger } from '@phoenix/service';

const USAGE = `usage: tools/import <file> [options]

Publishes the events of an NDJSON or CSV export to the backfill topic.

  --format ndjson|csv   file format (default: csv for *.csv, otherwise ndjson)
  --topic <name>        destination topic (default: TOPIC_BACKFILL, phoenix.backfill)
  --max-bytes <n>       largest accepted event in bytes (default: INGEST_MAX_EVENT_BYTES, 1 MiB)
  --batch <n>           lines per batch, so at most n messages per send (default 500)
  --state-dir <dir>     where checkpoints and rejects are kept (default .local/import)
  --rejects <file>      list rejected lines here instead of in the state dir
  --restart             ignore the checkpoint and start from line 1
  --max-rate <n>        at most n lines per second (default: unlimited)
  --json                print the summary as JSON
  -h, --help            this text

Re-running the same command after an interrupt resumes after the last acknowledged batch.
Exit status: 0 done (even with rejects), 1 fatal error, 130 interrupted.
`;

const say = (text: string) => process.stderr.write(`import: ${text}\n`);

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      topic: { type: 'string' },
      'max-bytes': { type: 'string' },
      batch: { type: 'string' },
      'state-dir': { type: 'string' },
      rejects: { type: 'string' },
      restart: { type: 'boolean' },
      'max-rate': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'name the file to import' : 'import one file at a time');
  const format = values.format ?? detectFormat(positionals[0] as string);
  if (!(IMPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be ${IMPORT_FORMATS.join(' or ')}`);

  const env = loadEnvironment();
  const options = {
    file: positionals[0] as string,
    format: format as ImportFormat,
    topic: values.topic ?? env.ingest.topics.backfill,
    maxBytes: integerFlag('max-bytes', values['max-bytes'], env.ingest.maxEventBytes),
    batchSize: integerFlag('batch', values.batch, 500),
    stateDir: resolve(values['state-dir'] ?? '.local/import'),
    ...(values.rejects ? { rejectsFile: resolve(values.rejects) } : {}),
    restart: values.restart ?? false,
    ...(values['max-rate'] ? { maxRate: integerFlag('max-rate', values['max-rate'], 0) } : {}),
  };

  // kafkajs logs to stderr: stdout carries only the summary, so it can be piped.
  const logger = createLogger({ level: commandLogLevel(env.ingest.logLevel), name: 'import', destination: pino.destination(2) });
  const kafka = createKafka(env.kafka, logger);
  const missing = await requireTopics(kafka, env.kafka.brokers, [options.topic], (m) => new ImportError(m));
  if (missing.length > 0) {
    throw new ImportError(
      `topic ${options.topic} does not exist; create it (locally: bash tools/local/kafka.sh create-topics) or pass --topic`,
    );
  }

  const controller = new AbortController();
  const release = handleInterrupts(controller, say, {
    graceful: 'finishing the batch in flight and writing the checkpoint',
    forced: 'Lines after the last checkpoint are sent again on resume.',
  });
  const publisher = createPublisher(kafka);
  await publisher.connect();
  try {
    const result = await runImport(
      { ...options, signal: controller.signal },
      {
        send: (topic, messages) => publisher.send(topic, messages),
        onProgress: (p) => say(formatImportProgress(p).replace(/^import: /, '')),
        onNotice: say,
      },
    );
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatImportSummary(result));
    return result.status === 'interrupted' ? EXIT.interrupted : EXIT.ok;
  } finally {
    release();
    await publisher.disconnect();
  }
}

runCommand('import', USAGE, main, (err) => err instanceof ImportError);
