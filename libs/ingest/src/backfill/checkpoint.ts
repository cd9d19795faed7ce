import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { IMPORT_FORMATS, type ImportFormat } from './formats';

/** What an import has done so far. `published + rejected` records; `skipped` blank lines and the CSV header. */
export interface ImportCounts {
  lines: number;
  published: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  skipped: number;
}

/** Counts of an import that has done nothing yet. */
export function emptyCounts(): ImportCounts {
  return { lines: 0, published: 0, rejected: 0, rejectedByReason: {}, skipped: 0 };
}

/** The counts of two consecutive stretches of a file, as one. */
export function addCounts(a: ImportCounts, b: ImportCounts): ImportCounts {
  const rejectedByReason = { ...a.rejectedByReason };
  for (const [reason, n] of Object.entries(b.rejectedByReason)) rejectedByReason[reason] = (rejectedByReason[reason] ?? 0) + n;
  return {
    lines: a.lines + b.lines,
    published: a.published + b.published,
    rejected: a.rejected + b.rejected,
    rejectedByReason,
    skipped: a.skipped + b.skipped,
  };
}

const countsSchema = z.object({
  lines: z.number().int().nonnegative(),
  published: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  rejectedByReason: z.record(z.string(), z.number().int().nonnegative()),
  skipped: z.number().int().nonnegative(),
});

const checkpointSchema = z.object({
  version: z.literal(1),
  file: z.string(),
  size: z.number().nonnegative(),
  mtimeMs: z.number(),
  topic: z.string(),
  format: z.enum(IMPORT_FORMATS),
  /** Last line of the last batch Kafka acknowledged (0: none yet). */
  line: z.number().int().nonnegative(),
  /** File offset just after that line: where a resumed import starts reading. */
  offset: z.number().int().nonnegative(),
  /** Totals from line 1 to `line`, over every run. */
  totals: countsSchema,
  rejectsFile: z.string(),
  /** Length of the rejects file at `line`: a resumed run cuts it back to this, so no reject is listed twice. */
  rejectsBytes: z.number().int().nonnegative(),
  complete: z.boolean(),
  startedAt: z.string(),
  updatedAt: z.string(),
});

/**
 * The state of one import of one file into one topic, written after every batch Kafka
 * acknowledged. Everything up to `line` is on the topic or in the rejects file;
 * nothing after it is.
 */
export type ImportCheckpoint = z.infer<typeof checkpointSchema>;

/**
 * Where the checkpoint and the default rejects file of an import live. The name is
 * keyed by the file's absolute path and the topic (importing one file into two topics
 * is two imports); size and mtime are checked against the checkpoint's content, so a
 * changed file is noticed rather than silently treated as new.
 */
export function importStatePaths(stateDir: string, absoluteFile: string, topic: string): { checkpoint: string; rejects: string } {
  const hash = createHash('sha256').update(`${absoluteFile}\u0000${topic}`).digest('hex').slice(0, 12);
  const stem = `${basename(absoluteFile).replace(/[^A-Za-z0-9._-]/g, '_')}-${hash}`;
  return { checkpoint: join(stateDir, `${stem}.checkpoint.json`), rejects: join(stateDir, `${stem}.rejects.ndjson`) };
}

/** The checkpoint at `path`: absent, unreadable (a torn or hand-edited file), or valid. */
export async function loadCheckpoint(path: string): Promise<ImportCheckpoint | 'absent' | 'corrupt'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  try {
    const parsed = checkpointSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : 'corrupt';
  } catch {
    return 'corrupt';
  }
}

/**
 * Writes the checkpoint atomically (temporary file, then rename), so an import killed
 * mid-write leaves the previous checkpoint, never half of one. No fsync: after a power
 * loss the worst case is an older checkpoint, i.e. a few batches published twice, which
 * the warehouse's idempotent write (by event id) absorbs.
 */
export async function saveCheckpoint(path: string, checkpoint: ImportCheckpoint): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`);
  await rename(temporary, path);
}

export type ResumeDecision =
  | { action: 'start'; notice?: string }
  | { action: 'resume'; checkpoint: ImportCheckpoint; notice: string }
  | { action: 'done'; checkpoint: ImportCheckpoint; notice: string };

/**
 * Whether an import continues where a checkpoint left off. Only the same file (same
 * size and mtime), read in the same format, resumes; anything else starts over from
 * line 1 with a notice saying why.
 */
export function decideResume(
  found: ImportCheckpoint | 'absent' | 'corrupt',
  current: { size: number; mtimeMs: number; format: ImportFormat },
  restart: boolean,
): ResumeDecision {
  if (found === 'absent') return { action: 'start' };
  if (found === 'corrupt') return { action: 'start', notice: 'the checkpoint file is unreadable; starting over from line 1' };
  if (restart) return { action: 'start', notice: `ignoring the checkpoint at line ${found.line} (--restart); starting over from line 1` };
  if (found.size !== current.size || found.mtimeMs !== current.mtimeMs) {
    return {
      action: 'start',
      notice: `warning: the file changed since the checkpoint (size or modification time differ); starting over from line 1`,
    };
  }
  if (found.format !== current.format) {
    return {
      action: 'start',
      notice: `the checkpoint was written reading ${found.format}, not ${current.format}; starting over from line 1`,
    };
  }
  const so = `${found.totals.published} published, ${found.totals.rejected} rejected`;
  if (found.complete) {
    return {
      action: 'done',
      checkpoint: found,
      notice: `this file was already imported completely into ${found.topic} (${so}); pass --restart to import it again`,
    };
  }
  return { action: 'resume', checkpoint: found, notice: `resuming after line ${found.line} (${so} so far)` };
}

/** The counts of the stretch between two totals (`a` after `b`). */
export function subtractCounts(a: ImportCounts, b: ImportCounts): ImportCounts {
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

/** A first checkpoint: nothing done yet. */
export function freshCheckpoint(fields: {
  file: string;
  size: number;
  mtimeMs: number;
  topic: string;
  format: ImportFormat;
  rejectsFile: string;
  at: number;
}): ImportCheckpoint {
  const { at, ...rest } = fields;
  const stamp = new Date(at).toISOString();
  return {
    version: 1,
    ...rest,
    line: 0,
    offset: 0,
    totals: emptyCounts(),
    rejectsBytes: 0,
    complete: false,
    startedAt: stamp,
    updatedAt: stamp,
  };
}

/**
 * The checkpoint step of an import: after a batch is acknowledged, its rejects go to
 * the rejects file and the checkpoint moves past its last line, on disk — so it never
 * claims a line whose event is not on the topic, and never lags one that is.
 */
export function createCheckpointer(options: {
  path: string;
  start: ImportCheckpoint;
  rejects: { readonly bytes: number; append(text: string): Promise<number> };
  now: () => number;
}) {
  let checkpoint = options.start;
  const save = async (next: ImportCheckpoint) => {
    checkpoint = next;
    await saveCheckpoint(options.path, next);
  };
  return {
    get current(): ImportCheckpoint {
      return checkpoint;
    },
    async advance(batch: { rejects: readonly string[]; counts: ImportCounts; lastLine: number; end: number }): Promise<void> {
      if (batch.rejects.length > 0) await options.rejects.append(batch.rejects.join(''));
      await save({
        ...checkpoint,
        line: batch.lastLine,
        offset: batch.end,
        totals: addCounts(checkpoint.totals, batch.counts),
        rejectsBytes: options.rejects.bytes,
        updatedAt: new Date(options.now()).toISOString(),
      });
    },
    complete: () => save({ ...checkpoint, complete: true, updatedAt: new Date(options.now()).toISOString() }),
  };
}
