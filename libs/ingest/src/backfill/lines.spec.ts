import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLines, type Line } from './lines';

describe('readLines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-lines-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = (content: string | Buffer) => {
    const path = join(dir, `f${(n += 1)}.txt`);
    writeFileSync(path, content);
    return path;
  };
  const collect = async (path: string, options: Parameters<typeof readLines>[1]) => {
    const lines: Line[] = [];
    for await (const line of readLines(path, options)) lines.push(line);
    return lines;
  };
  const texts = (lines: Line[]) => lines.map((l) => l.bytes?.toString('utf8'));

  it('splits LF and CRLF lines, keeps empty lines, and yields a last line without a terminator', async () => {
    const lines = await collect(file('a\r\nbb\n\nccc'), { maxLineBytes: 100 });
    expect(texts(lines)).toEqual(['a', 'bb', '', 'ccc']);
    expect(lines.map((l) => [l.number, l.length, l.end])).toEqual([
      [1, 1, 3],
      [2, 2, 6],
      [3, 0, 7],
      [4, 3, 10],
    ]);
  });

  it('gives the same lines whatever the chunk size, including lines that span chunks', async () => {
    const content = 'first line\nsecond, a bit longer line\r\nthird\n';
    const path = file(content);
    const whole = await collect(path, { maxLineBytes: 100 });
    for (const chunkBytes of [1, 2, 3, 7, 64]) {
      expect(await collect(path, { maxLineBytes: 100, chunkBytes })).toEqual(whole);
    }
  });

  it('resumes at a byte offset with the right line numbers', async () => {
    const path = file('one\ntwo\nthree\nfour\n');
    const all = await collect(path, { maxLineBytes: 100 });
    const second = all[1] as Line;
    const rest = await collect(path, { maxLineBytes: 100, start: second.end, firstLine: second.number + 1 });
    expect(rest.map((l) => [l.number, l.bytes?.toString()])).toEqual([
      [3, 'three'],
      [4, 'four'],
    ]);
  });

  it('reports an oversized line by its length only and carries on with the next one', async () => {
    const path = file(`ok\n${'x'.repeat(5000)}\r\nafter\n`);
    const lines = await collect(path, { maxLineBytes: 100, chunkBytes: 256 });
    expect(texts(lines)).toEqual(['ok', undefined, 'after']);
    expect(lines[1]).toEqual({ number: 2, length: 5000, end: 3 + 5002 });
  });

  it('accepts a line of exactly the limit, with or without CR', async () => {
    const lines = await collect(file(`${'y'.repeat(10)}\r\n${'z'.repeat(10)}\n${'w'.repeat(11)}\n`), { maxLineBytes: 10, chunkBytes: 4 });
    expect(lines.map((l) => l.bytes?.length)).toEqual([10, 10, undefined]);
  });

  it('drops a UTF-8 byte-order mark on line 1 only', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const lines = await collect(file(Buffer.concat([bom, Buffer.from('id,data\n'), bom, Buffer.from('x\n')])), { maxLineBytes: 100 });
    expect(lines[0]?.bytes?.toString()).toBe('id,data');
    expect(lines[1]?.bytes?.subarray(0, 3)).toEqual(bom);
  });

  it('reads no further than `end`, so lines appended during an import are left for later', async () => {
    const path = file('a\nb\nc\n');
    expect(texts(await collect(path, { maxLineBytes: 10, end: 4 }))).toEqual(['a', 'b']);
    expect(await collect(path, { maxLineBytes: 10, start: 6, end: 6 })).toEqual([]);
  });

  it('yields nothing for an empty file', async () => {
    expect(await collect(file(''), { maxLineBytes: 10 })).toEqual([]);
  });
});
