import { randomFillSync } from 'node:crypto';
import { mkdir, realpath, stat } from 'node:fs/promises';
import type { Message } from 'kafkajs';
import { type Batch, createBatcher } from './batcher';
import {
  createCheckpointer,
  decideResume,
  emptyCounts,
  freshCheckpoint,
  importStatePaths,
  loadCheckpoint,
  subtractCounts,
  type ImportCounts,
} from './checkpoint';
import { csvParser, ImportError, ndjsonParser, type ImportFormat, type RecordParser } from './formats';
import { lineOutcome } from './line-outcome';
import { readLines } from './lines';
import { abortableSleep, createPacer, createSendQueue, withStallNotice } from './produce';
import { createProgressTicker } from './progress-ticker';
import { openRejects } from './rejects';

export { IMPORT_HEADERS } from './line-outcome';

export interface ImportOptions {
  file: string;
  format: ImportFormat;
  topic: string;
  /** Largest accepted event in bytes (as the ingest's INGEST_MAX_EVENT_BYTES). */
  maxBytes: number;
  /** Lines per batch, hence at most this many messages per send. */
  batchSize: number;
  stateDir: string;
  /** Where rejected lines are listed; default: next to the checkpoint. */
  rejectsFile?: string;
  /** Ignore the checkpoint and start from line 1. */
  restart?: boolean;
  /** Upper bound in lines per second, to go easy on a shared cluster; default unlimited. */
  maxRate?: number;
  /** When aborted, the in-flight batch finishes, the checkpoint is written and the import returns `interrupted`. */
  signal?: AbortSignal;
  /** Minimum time between progress reports; default 1 s. */
  progressIntervalMs?: number;
}

export interface ImportDeps {
  /** Publishes one batch and resolves once Kafka acknowledged all of it (acks=all). */
  send(topic: string, messages: Message[]): Promise<void>;
  onProgress?(progress: ImportProgress): void;
  /** Things the operator should know: resuming, starting over, waiting for the broker. */
  onNotice?(text: string): void;
  now?(): number;
  traceparent?(): string;
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface ImportProgress {
  /** This run: lines read, messages acknowledged, records rejected. */
  linesRead: number;
  published: number;
  rejected: number;
  /** File offset reached, where this run started, and the file's size. */
  bytesRead: number;
  startOffset: number;
  fileSize: number;
  elapsedMs: number;
}

export interface ImportResult {
  status: 'complete' | 'interrupted' | 'already-complete';
  file: string;
  topic: string;
  format: ImportFormat;
  /** The checkpoint line this run started after, or null when it started at line 1. */
  resumedAfterLine: number | null;
  /** Last line that is on the topic or in the rejects file. */
  lastLine: number;
  /** This run only. */
  run: ImportCounts;
  /** Every run since line 1. */
  total: ImportCounts;
  durationMs: number;
  checkpointFile: string;
  rejectsFile: string;
}

// Random bytes for trace ids, drawn in bulk: one randomFillSync per message took a
// fifth of an import's CPU in a profile of 200k lines.
const randomPool = Buffer.alloc(24 * 4096);
let randomPoolUsed = randomPool.length;

/** A fresh W3C trace context (random trace and span ids, sampled): each imported event starts its own trace. */
export function newTraceparent(): string {
  if (randomPoolUsed + 24 > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolUsed = 0;
  }
  const trace = randomPool.toString('hex', randomPoolUsed, randomPoolUsed + 16);
  const span = randomPool.toString('hex', randomPoolUsed + 16, randomPoolUsed + 24);
  randomPoolUsed += 24;
  return `00-${trace}-${span}-01`;
}

/**
 * Imports one NDJSON or CSV file of historical events into a Kafka topic: each valid
 * line once, also across interrupts and failed sends (after a crash, at worst the
 * batches in flight are sent again, which the idempotent warehouse write absorbs).
 *
 * Lines are read as a stream, validated with `validateEvent`, and the valid ones sent
 * in batches keyed `tenant/entity`. After each batch Kafka acknowledged, its rejects are
 * appended to the rejects file and the checkpoint moves to the batch's last line — so
 * the checkpoint never claims a line whose event is not on the topic, and never lags
 * one that is (for a graceful stop). Reading the next batch overlaps the send of the
 * previous one; a send failure ends the import with an ImportError saying where it can
 * resume. Rejects never stop the import.
 */
export async function runImport(options: ImportOptions, deps: ImportDeps): Promise<ImportResult> {
  const now = deps.now ?? Date.now;
  const notice = deps.onNotice ?? (() => undefined);
  const startedMs = now();

  const file = await resolveFile(options.file);
  const info = await stat(file);
  const paths = importStatePaths(options.stateDir, file, options.topic);
  const rejectsFile = options.rejectsFile ?? paths.rejects;
  await mkdir(options.stateDir, { recursive: true });

  const decision = decideResume(
    await loadCheckpoint(paths.checkpoint),
    { size: info.size, mtimeMs: info.mtimeMs, format: options.format },
    options.restart ?? false,
  );
  if (decision.notice) notice(decision.notice);
  const base = { file, topic: options.topic, format: options.format, checkpointFile: paths.checkpoint, rejectsFile };
  if (decision.action === 'done') {
    const cp = decision.checkpoint;
    const run = emptyCounts();
    return {
      ...base,
      status: 'already-complete',
      resumedAfterLine: cp.line,
      lastLine: cp.line,
      run,
      total: cp.totals,
      durationMs: now() - startedMs,
      rejectsFile: cp.rejectsFile,
    };
  }

  const resumeFrom = decision.action === 'resume' ? decision.checkpoint : undefined;
  const parser = await createParser(file, options);
  const rejects = await openRejects(rejectsFile, resumeFrom, notice);
  try {
    const checkpointer = createCheckpointer({
      path: paths.checkpoint,
      start: resumeFrom
        ? { ...resumeFrom, rejectsFile, rejectsBytes: rejects.bytes }
        : freshCheckpoint({
            file,
            size: info.size,
            mtimeMs: info.mtimeMs,
            topic: options.topic,
            format: options.format,
            rejectsFile,
            at: startedMs,
          }),
      rejects,
      now,
    });
    const start = checkpointer.current;
    const tally = { linesRead: 0, rejected: 0, bytesRead: start.offset };
    const progress = (): ImportProgress => ({
      ...tally,
      published: checkpointer.current.totals.published - start.totals.published,
      startOffset: start.offset,
      fileSize: info.size,
      elapsedMs: now() - startedMs,
    });
    await publishLines({ options, deps, file, size: info.size, parser, checkpointer, tally, progress, startedMs });
    // Checked after the last send: an interrupt that came too late to stop anything
    // still leaves a complete import.
    const complete = checkpointer.current.offset === info.size;
    if (complete) {
      await checkpointer.complete();
      deps.onProgress?.(progress());
    }
    return {
      ...base,
      status: complete ? 'complete' : 'interrupted',
      resumedAfterLine: resumeFrom ? resumeFrom.line : null,
      lastLine: checkpointer.current.line,
      run: subtractCounts(checkpointer.current.totals, start.totals),
      total: checkpointer.current.totals,
      durationMs: now() - startedMs,
    };
  } finally {
    await rejects.close();
  }
}

/**
 * The pipeline of an import, from the checkpoint on: read lines → parse and validate →
 * batch → (pace) → produce → checkpoint, with progress. Reading the next batch overlaps
 * the send of the previous one; after an interrupt the open batch is not sent, and its
 * lines are read again on resume. A send failure becomes an ImportError saying where
 * the import can resume, once a send still in flight has settled (it may move the
 * checkpoint too).
 */
async function publishLines(run: {
  options: ImportOptions;
  deps: ImportDeps;
  file: string;
  size: number;
  parser: RecordParser;
  checkpointer: ReturnType<typeof createCheckpointer>;
  tally: { linesRead: number; rejected: number; bytesRead: number };
  progress: () => ImportProgress;
  startedMs: number;
}): Promise<void> {
  const { options, deps, checkpointer, tally } = run;
  const now = deps.now ?? Date.now;
  const notice = deps.onNotice ?? (() => undefined);
  const signal = options.signal;
  const outcomeOptions = { file: run.file, maxBytes: options.maxBytes, traceparent: deps.traceparent ?? newTraceparent };
  const batcher = createBatcher({ batchSize: options.batchSize });
  const pace = createPacer({ maxRate: options.maxRate, startedMs: run.startedMs, now, sleep: deps.sleep ?? abortableSleep, signal });
  const ticker = createProgressTicker({ now, startedMs: run.startedMs, intervalMs: options.progressIntervalMs });
  const queue = createSendQueue(async (batch: Batch) => {
    if (batch.messages.length > 0) {
      const waiting = (s: number) =>
        notice(
          `waiting ${s}s for Kafka to acknowledge lines up to ${batch.lastLine}; the producer keeps retrying. ` +
            'Check the broker. Ctrl-C twice quits at once (unacknowledged lines are sent again on resume).',
        );
      await withStallNotice(deps.send(options.topic, batch.messages), waiting);
    }
    await checkpointer.advance(batch);
  });
  // Paced by the lines read so far; an interrupt while waiting sends nothing more.
  const dispatch = (batch: Batch) => queue.dispatch(batch, async () => (await pace(tally.linesRead), !signal?.aborted));
  const start = checkpointer.current;
  try {
    reading: for await (const line of readLines(run.file, {
      maxLineBytes: run.parser.maxLineBytes,
      start: start.offset,
      firstLine: start.line + 1,
      end: run.size,
    })) {
      if (signal?.aborted) break;
      tally.linesRead += 1;
      tally.bytesRead = line.end;
      const outcome = lineOutcome(line, run.parser, outcomeOptions);
      if (outcome.kind === 'reject') tally.rejected += 1;
      for (const batch of batcher.add(line, outcome)) {
        await dispatch(batch);
        if (signal?.aborted) break reading;
      }
      if (deps.onProgress && ticker.due()) deps.onProgress(run.progress());
    }
    const last = batcher.flush();
    if (!signal?.aborted && last) await dispatch(last);
    await queue.drain();
  } catch (err) {
    await queue.settle();
    if (err instanceof ImportError) throw err;
    throw new ImportError(
      `publishing to ${options.topic} failed (${err instanceof Error ? err.message : String(err)}); ` +
        `lines 1-${checkpointer.current.line} are published and checkpointed. Fix the cause and run the same command again to resume.`,
      { cause: err },
    );
  }
}

async function resolveFile(file: string): Promise<string> {
  let absolute: string;
  try {
    absolute = await realpath(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImportError(`cannot read ${file}: no such file; check the path`);
    if (code === 'EACCES') throw new ImportError(`cannot read ${file}: permission denied`);
    throw err;
  }
  const info = await stat(absolute);
  if (!info.isFile()) throw new ImportError(`${file} is not a regular file; pass the NDJSON or CSV export itself`);
  return absolute;
}

async function createParser(file: string, options: ImportOptions): Promise<RecordParser> {
  if (options.format === 'ndjson') return ndjsonParser(options.maxBytes);
  // The header is line 1 whatever line a resumed import starts at.
  for await (const line of readLines(file, { maxLineBytes: options.maxBytes * 2 + 64 * 1024 })) {
    return csvParser(line.bytes, options.maxBytes);
  }
  throw new ImportError(`${file} is empty; a CSV import needs a header row (id,source,type,time,tenantid,entityid,seq,data)`);
}
