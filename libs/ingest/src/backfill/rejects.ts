import { mkdir, open, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ImportCheckpoint } from './checkpoint';

export interface RejectsWriter {
  /** Length of the file: what a checkpoint records. */
  bytes: number;
  /** Appends text; resolves with the bytes written (also added to `bytes`). */
  append(text: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Opens the rejects file for appending. A resumed import first cuts it back to the
 * length the checkpoint recorded: rejects written after the checkpoint by a run that
 * was killed are listed again by this run, and must not appear twice.
 */
export async function openRejects(
  path: string,
  resumeFrom: ImportCheckpoint | undefined,
  notice: (text: string) => void,
): Promise<RejectsWriter> {
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
  const writer: RejectsWriter = {
    bytes: keep,
    async append(text) {
      const { bytesWritten } = await handle.write(text);
      writer.bytes += bytesWritten;
      return bytesWritten;
    },
    close: () => handle.close(),
  };
  return writer;
}
