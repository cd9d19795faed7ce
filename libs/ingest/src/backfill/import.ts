import { randomFillSync } from 'node:crypto';
import { mkdir, open, realpath, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Message } from 'kafkajs';
import { validateEvent } from '@phoenix/domain';
import {
  addCounts,
  decideResume,
  emptyCounts,
  importStatePaths,
  loadCheckpoint,
  saveCheckpoint,
  type ImportCheckpoint,
  type ImportCounts,
} from './checkpoint';
import { csvParser, ImportError, ndjsonParser, type ImportFormat, type RecordParser, type RecordProblem } from './formats';
import { readLines } from './lines';
import { MAX_SEND_BYTES, messageBytes } from './messages';

/** Headers every imported message carries besides `traceparent`, so an event can be traced back to its line. */
export const IMPORT_HEADERS = { file: 'phoenix-import-file', line: 'phoenix-import-line' } as const;

const STALL_NOTICE_MS = 30_000;

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

/** A contiguous range of lines: its valid messages go in one send, its rejects are written when that send is acknowledged. */
interface Batch {
  messages: Message[];
  bytes: number;
  rejects: string[];
  counts: ImportCounts;
  lastLine: number;
  end: number;
}

function newBatch(): Batch {
  return { messages: [], bytes: 0, rejects: [], counts: emptyCounts(), lastLine: 0, end: 0 };
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

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
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
  const traceparent = deps.traceparent ?? newTraceparent;
  const sleep = deps.sleep ?? abortableSleep;
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
  const base = {
    file,
    topic: options.topic,
    format: options.format,
    checkpointFile: paths.checkpoint,
    rejectsFile,
  };
  if (decision.action === 'done') {
    const cp = decision.checkpoint;
    return {
      ...base,
      status: 'already-complete',
      resumedAfterLine: cp.line,
      lastLine: cp.line,
      run: emptyCounts(),
      total: cp.totals,
      durationMs: now() - startedMs,
      rejectsFile: cp.rejectsFile,
    };
  }

  const resumeFrom = decision.action === 'resume' ? decision.checkpoint : undefined;
  const parser = await createParser(file, options);
  const rejects = await openRejects(rejectsFile, resumeFrom, notice);

  let checkpoint: ImportCheckpoint = resumeFrom
    ? { ...resumeFrom, rejectsFile, rejectsBytes: rejects.bytes }
    : {
        version: 1,
        file,
        size: info.size,
        mtimeMs: info.mtimeMs,
        topic: options.topic,
        format: options.format,
        line: 0,
        offset: 0,
        totals: emptyCounts(),
        rejectsFile,
        rejectsBytes: 0,
        complete: false,
        startedAt: new Date(startedMs).toISOString(),
        updatedAt: new Date(startedMs).toISOString(),
      };
  const startTotals = checkpoint.totals;
  const startOffset = checkpoint.offset;
  let linesRead = 0;
  let rejectedRead = 0;
  let bytesRead = startOffset;
  let lastProgress = startedMs;
  const progress = (at: number): ImportProgress => ({
    linesRead,
    published: checkpoint.totals.published - startTotals.published,
    rejected: rejectedRead,
    bytesRead,
    startOffset,
    fileSize: info.size,
    elapsedMs: at - startedMs,
  });

  /** Publishes a batch, then records its rejects and moves the checkpoint past it. */
  const commit = async (batch: Batch): Promise<void> => {
    if (batch.messages.length > 0) await withStallNotice(deps.send(options.topic, batch.messages), batch, notice);
    if (batch.rejects.length > 0) rejects.bytes += await rejects.append(batch.rejects.join(''));
    checkpoint = {
      ...checkpoint,
      line: batch.lastLine,
      offset: batch.end,
      totals: addCounts(checkpoint.totals, batch.counts),
      rejectsBytes: rejects.bytes,
      updatedAt: new Date(now()).toISOString(),
    };
    await saveCheckpoint(paths.checkpoint, checkpoint);
  };

  let inFlight: Promise<void> | undefined;
  /** Starts a batch's send once the previous one is acknowledged; after an interrupt, starts nothing. */
  const dispatch = async (batch: Batch): Promise<void> => {
    if (inFlight) await inFlight;
    if (options.maxRate) {
      const due = (linesRead / options.maxRate) * 1000 - (now() - startedMs);
      if (due > 0) await sleep(due, options.signal);
    }
    // Interrupted: this batch's lines are not checkpointed and are read again on resume.
    if (options.signal?.aborted) return;
    inFlight = commit(batch);
    // Awaited before the next dispatch or at the end; this only keeps an early failure
    // from counting as an unhandled rejection meanwhile.
    inFlight.catch(() => undefined);
  };

  let batch = newBatch();
  try {
    try {
      for await (const line of readLines(file, {
        maxLineBytes: parser.maxLineBytes,
        start: checkpoint.offset,
        firstLine: checkpoint.line + 1,
        end: info.size,
      })) {
        if (options.signal?.aborted) break;
        linesRead += 1;
        bytesRead = line.end;

        const record = parser.parse(line);
        const result = record.kind === 'value' ? validateEvent(record.value, { maxBytes: options.maxBytes }) : undefined;
        if (record.kind === 'value' && result?.ok) {
          const message: Message = {
            key: `${result.event.tenantId}/${result.event.entityId}`,
            value: record.value,
            headers: { traceparent: traceparent(), [IMPORT_HEADERS.file]: file, [IMPORT_HEADERS.line]: String(line.number) },
          };
          const size = messageBytes(message);
          if (batch.messages.length > 0 && batch.bytes + size > MAX_SEND_BYTES) {
            // The batch ends at the previous line; this one opens the next.
            await dispatch(batch);
            batch = newBatch();
            if (options.signal?.aborted) break;
          }
          batch.messages.push(message);
          batch.bytes += size;
          batch.counts.published += 1;
        } else if (record.kind === 'skip') {
          batch.counts.skipped += 1;
        } else {
          const problems: readonly RecordProblem[] =
            record.kind === 'invalid' ? record.problems : result && !result.ok ? result.problems : [];
          const partial = result && !result.ok ? result.partial : {};
          const reason = problems[0]?.code ?? 'UNKNOWN';
          rejectedRead += 1;
          batch.counts.rejected += 1;
          batch.counts.rejectedByReason[reason] = (batch.counts.rejectedByReason[reason] ?? 0) + 1;
          // Line, codes and ids only: never the event's content (it may be personal data).
          batch.rejects.push(
            `${JSON.stringify({ line: line.number, reason, eventId: partial.eventId, tenantId: partial.tenantId, problems })}\n`,
          );
        }
        batch.counts.lines += 1;
        batch.lastLine = line.number;
        batch.end = line.end;

        // Bounded by lines, not messages, so that a stretch of rejects or blank lines
        // is checkpointed too instead of piling up in memory.
        if (batch.counts.lines >= options.batchSize) {
          await dispatch(batch);
          batch = newBatch();
          if (options.signal?.aborted) break;
        }
        const at = now();
        if (deps.onProgress && at - lastProgress >= (options.progressIntervalMs ?? 1000)) {
          lastProgress = at;
          deps.onProgress(progress(at));
        }
      }
      if (!options.signal?.aborted && batch.counts.lines > 0) await dispatch(batch);
      if (inFlight) await inFlight;
      // Checked after the last send: an interrupt that came too late to stop anything
      // still leaves a complete import.
      const complete = checkpoint.offset === info.size;
      if (complete) {
        checkpoint = { ...checkpoint, complete: true, updatedAt: new Date(now()).toISOString() };
        await saveCheckpoint(paths.checkpoint, checkpoint);
        deps.onProgress?.(progress(now()));
      }
      return {
        ...base,
        status: complete ? 'complete' : 'interrupted',
        resumedAfterLine: resumeFrom ? resumeFrom.line : null,
        lastLine: checkpoint.line,
        run: subtractCounts(checkpoint.totals, startTotals),
        total: checkpoint.totals,
        durationMs: now() - startedMs,
      };
    } catch (err) {
      // The last acknowledged batch's checkpoint is on disk; let a send still in flight
      // finish so that it can move the checkpoint too.
      await inFlight?.catch(() => undefined);
      if (err instanceof ImportError) throw err;
      throw new ImportError(
        `publishing to ${options.topic} failed (${err instanceof Error ? err.message : String(err)}); ` +
          `lines 1-${checkpoint.line} are published and checkpointed. Fix the cause and run the same command again to resume.`,
        { cause: err },
      );
    }
  } finally {
    await rejects.close();
  }
}

function subtractCounts(a: ImportCounts, b: ImportCounts): ImportCounts {
  const rejectedByReason: Record<string, number> = {};
  for (const [reason, n] of Object.entries(a.rejectedByReason)) {
    const diff = n - (b.rejectedByReason[reason] ?? 0);
    if (diff > 0) rejectedByReason[reason] = diff;
  }
  return {
    lines: a.lines - b.lines,
    published: a.published - b.published,
    rejected: a.rejected - b.rejected,
    rejectedByReason,
    skipped: a.skipped - b.skipped,
  };
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

interface RejectsWriter {
  bytes: number;
  append(text: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Opens the rejects file for appending. A resumed import first cuts it back to the
 * length the checkpoint recorded: rejects written after the checkpoint by a run that
 * was killed are listed again by this run, and must not appear twice.
 */
async function openRejects(path: string, resumeFrom: ImportCheckpoint | undefined, notice: (text: string) => void): Promise<RejectsWriter> {
  await mkdir(dirname(path), { recursive: true });
  let keep = 0;
  if (resumeFrom && resumeFrom.rejectsFile === path) {
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    if (size < resumeFrom.rejectsBytes)
      notice(`warning: ${path} is shorter than the checkpoint recorded; some earlier rejects are missing from it`);
    keep = Math.min(size, resumeFrom.rejectsBytes);
  } else if (resumeFrom && resumeFrom.rejectsBytes > 0) {
    notice(`rejects of lines 1-${resumeFrom.line} are in ${resumeFrom.rejectsFile}`);
  }
  const handle: FileHandle = await open(path, 'a');
  await truncate(path, keep);
  return {
    bytes: keep,
    async append(text) {
      const { bytesWritten } = await handle.write(text);
      return bytesWritten;
    },
    close: () => handle.close(),
  };
}

/** While a send is unacknowledged, says every 30 s that the import is waiting and why. */
async function withStallNotice(send: Promise<void>, batch: Batch, notice: (text: string) => void): Promise<void> {
  const started = Date.now();
  const timer = setInterval(() => {
    const waited = Math.round((Date.now() - started) / 1000);
    notice(
      `waiting ${waited}s for Kafka to acknowledge lines up to ${batch.lastLine}; the producer keeps retrying. ` +
        'Check the broker. Ctrl-C twice quits at once (unacknowledged lines are sent again on resume).',
    );
  }, STALL_NOTICE_MS);
  try {
    await send;
  } finally {
    clearInterval(timer);
  }
}
