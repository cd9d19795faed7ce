import type { Decoded } from './decode';
import { createGroupCommit } from './group-commit';
import type { WrittenBatch } from './writer';

/** A fake chunk: the writer below only looks at the length and the ids. */
const chunk = (name: string, n: number) => Array.from({ length: n }, (_, i) => ({ kind: 'dead', id: `${name}${i}` }) as unknown as Decoded);
const ids = (batch: readonly Decoded[]) => batch.map((d) => (d as unknown as { id: string }).id);

function gatedWriter() {
  const calls: string[][] = [];
  const gates: { open: () => void; fail: (err: Error) => void }[] = [];
  return {
    calls,
    gates,
    write(batch: readonly Decoded[]): Promise<WrittenBatch> {
      calls.push(ids(batch));
      return new Promise((resolve, reject) => {
        gates.push({
          // Each outcome names its message, so a caller can check it got its own, in order.
          open: () => resolve({ outcomes: ids(batch) as unknown as WrittenBatch['outcomes'] }),
          fail: reject,
        });
      });
    },
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('group commit', () => {
  it('writes a lone chunk at once, then groups the chunks that arrived meanwhile into one write', async () => {
    const writer = gatedWriter();
    const commit = createGroupCommit(writer, { maxMessages: 100 });
    const a = commit.write(chunk('a', 2));
    await flush();
    const b = commit.write(chunk('b', 3));
    const c = commit.write(chunk('c', 1));
    await flush();
    expect(writer.calls).toEqual([['a0', 'a1']]);
    writer.gates[0]?.open();
    expect((await a).outcomes).toEqual(['a0', 'a1']);
    await flush();
    expect(writer.calls[1]).toEqual(['b0', 'b1', 'b2', 'c0']);
    writer.gates[1]?.open();
    expect((await b).outcomes).toEqual(['b0', 'b1', 'b2']);
    expect((await c).outcomes).toEqual(['c0']);
  });

  it('never puts more than maxMessages in one write, but always takes at least one chunk', async () => {
    const writer = gatedWriter();
    const commit = createGroupCommit(writer, { maxMessages: 4 });
    const first = commit.write(chunk('a', 1));
    await flush();
    const rest = [commit.write(chunk('b', 3)), commit.write(chunk('c', 2)), commit.write(chunk('d', 9))];
    writer.gates[0]?.open();
    await first;
    for (let i = 1; i <= 3; i++) {
      await flush();
      writer.gates[i]?.open();
    }
    await Promise.all(rest);
    expect(writer.calls.map((c) => c.length)).toEqual([1, 3, 2, 9]);
  });

  it('fails every chunk of a failed write, and their retries group again', async () => {
    const writer = gatedWriter();
    const commit = createGroupCommit(writer, { maxMessages: 100 });
    const a = commit.write(chunk('a', 1));
    await flush();
    const b = commit.write(chunk('b', 1));
    const c = commit.write(chunk('c', 1));
    writer.gates[0]?.open();
    await a;
    await flush();
    writer.gates[1]?.fail(new Error('warehouse down'));
    await expect(b).rejects.toThrow('warehouse down');
    await expect(c).rejects.toThrow('warehouse down');
    const retried = [commit.write(chunk('b', 1)), commit.write(chunk('c', 1))];
    await flush();
    expect(writer.calls[2]).toEqual(['b0']);
    writer.gates[2]?.open();
    await flush();
    expect(writer.calls[3]).toEqual(['c0']);
    writer.gates[3]?.open();
    expect((await Promise.all(retried)).map((w) => w.outcomes)).toEqual([['b0'], ['c0']]);
  });
});
