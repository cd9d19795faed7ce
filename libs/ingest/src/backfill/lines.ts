import { createReadStream } from 'node:fs';

/** One physical line of a file, as bytes: the import never decodes more than it must. */
export interface Line {
  /** 1-based line number in the file. */
  readonly number: number;
  /** The line's bytes without its terminator (LF or CRLF); absent when the line is longer than `maxLineBytes`. */
  readonly bytes?: Buffer;
  /** Length in bytes without the terminator, also for lines too long to keep. */
  readonly length: number;
  /** File offset just after this line's terminator: where reading resumes after it. */
  readonly end: number;
}

export interface ReadLinesOptions {
  /** Lines longer than this are reported by length only, never buffered whole. */
  maxLineBytes: number;
  /** Byte offset of the first line to read (a checkpoint's offset); default 0. */
  start?: number;
  /** Number of the line at `start`; default 1. */
  firstLine?: number;
  /** Read no further than this offset (the size the file had when the import began); default: to the end. */
  end?: number;
  /** Read size; 1 MiB keeps syscalls few without holding much memory. */
  chunkBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Streams a file line by line with byte offsets, so an import can checkpoint "the
 * line ending at offset N" and later resume by seeking straight there instead of
 * re-reading a million lines. Memory stays bounded by `maxLineBytes`: an oversized
 * line (a 2 GB line of garbage, say) is measured and skipped, not buffered. A UTF-8
 * byte-order mark on line 1 (spreadsheet exports) is dropped.
 */
export async function* readLines(path: string, options: ReadLinesOptions): AsyncGenerator<Line> {
  const start = options.start ?? 0;
  if (options.end !== undefined && options.end <= start) return;
  let number = options.firstLine ?? 1;
  let offset = start;
  let pieces: Buffer[] = [];
  let length = 0;
  let lastByte = -1;
  let tooLong = false;
  // One extra byte of room: a CR before the LF is not part of the line.
  const keepUpTo = options.maxLineBytes + 1 + (start === 0 ? BOM.length : 0);

  const finish = (): Line => {
    const crlf = lastByte === CR ? 1 : 0;
    let bytes: Buffer | undefined;
    let size = length - crlf;
    if (!tooLong) {
      bytes = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, length);
      bytes = bytes.subarray(0, size);
      if (number === 1 && start === 0 && bytes.subarray(0, BOM.length).equals(BOM)) {
        bytes = bytes.subarray(BOM.length);
        size -= BOM.length;
      }
      if (size > options.maxLineBytes) bytes = undefined;
    }
    const line: Line = bytes ? { number, bytes, length: size, end: offset } : { number, length: size, end: offset };
    number += 1;
    pieces = [];
    length = 0;
    lastByte = -1;
    tooLong = false;
    return line;
  };

  const stream = createReadStream(path, {
    start,
    ...(options.end !== undefined ? { end: options.end - 1 } : {}),
    highWaterMark: options.chunkBytes ?? 1024 * 1024,
  });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let pos = 0;
    while (pos < chunk.length) {
      const newline = chunk.indexOf(LF, pos);
      const stop = newline === -1 ? chunk.length : newline;
      if (stop > pos) {
        const piece = chunk.subarray(pos, stop);
        length += piece.length;
        lastByte = piece[piece.length - 1] as number;
        if (!tooLong && length > keepUpTo) {
          tooLong = true;
          pieces = [];
        } else if (!tooLong) {
          pieces.push(piece);
        }
      }
      if (newline === -1) {
        offset += chunk.length - pos;
        break;
      }
      offset += stop - pos + 1;
      pos = newline + 1;
      yield finish();
    }
  }
  // A last line without a terminator is still a line.
  if (length > 0) yield finish();
}
