import { WarehouseError } from '@phoenix/bq';
import { beginWrite, offsetRuns } from './write-log';

const at = (topic: string, partition: number, offset: number) => ({
  message: { topic, partition, offset: String(offset), key: null, value: null, headers: {}, receivedAt: '' },
});

describe('offsetRuns', () => {
  it('names each run of consecutive offsets per topic partition, whatever the order of the batch', () => {
    const batch = [at('t', 0, 12), at('t', 1, 5), at('t', 0, 10), at('t', 0, 11), at('u', 0, 11), at('t', 1, 6)];
    expect(offsetRuns(batch)).toEqual([
      { topic: 't', partition: 0, from: 10, to: 12 },
      { topic: 't', partition: 1, from: 5, to: 6 },
      { topic: 'u', partition: 0, from: 11, to: 11 },
    ]);
  });

  it('starts a new run at a gap, so a run never names an offset the write does not hold', () => {
    expect(offsetRuns([at('t', 0, 0), at('t', 0, 1), at('t', 0, 3), at('t', 0, 4), at('t', 0, 9)])).toEqual([
      { topic: 't', partition: 0, from: 0, to: 1 },
      { topic: 't', partition: 0, from: 3, to: 4 },
      { topic: 't', partition: 0, from: 9, to: 9 },
    ]);
    expect(offsetRuns([])).toEqual([]);
  });
});

describe('beginWrite', () => {
  it('appends the intent before it chooses the system time, which is never before the intent', async () => {
    let clock = 1_000;
    const appended: { kind: unknown; at: unknown; from: unknown }[] = [];
    const attempt = await beginWrite({
      batch: [at('t', 0, 7), at('t', 0, 8)],
      maxAttemptMs: 60_000,
      now: () => clock,
      append: async (rows, cell) => {
        for (let i = 0; i < rows; i++) appended.push({ kind: cell('kind', i), at: cell('logged_at', i), from: cell('from_offset', i) });
        clock += 250; // the acknowledgement takes time
      },
    });
    expect(appended).toEqual([{ kind: 'intent', at: new Date(1_000).toISOString(), from: 7 }]);
    expect(attempt.recordedAt).toBe(new Date(1_250).toISOString());
    await attempt.done();
    expect(appended.map((a) => a.kind)).toEqual(['intent', 'done']);
  });

  it('chooses no time before its intent when the clock steps back', async () => {
    let clock = 5_000;
    const attempt = await beginWrite({
      batch: [at('t', 0, 1)],
      maxAttemptMs: 60_000,
      now: () => clock,
      append: async () => void (clock = 4_000),
    });
    expect(attempt.recordedAt).toBe(new Date(5_000).toISOString());
  });

  it('refuses to write more once the attempt is older than its bound, not before', async () => {
    let clock = 0;
    const attempt = await beginWrite({ batch: [at('t', 0, 1)], maxAttemptMs: 10_000, now: () => clock, append: async () => undefined });
    clock = 10_000;
    expect(() => attempt.checkAge()).not.toThrow();
    clock = 10_001;
    expect(() => attempt.checkAge()).toThrow(WarehouseError);
    try {
      attempt.checkAge();
    } catch (err) {
      expect((err as WarehouseError).retryable).toBe(true);
    }
  });

  it('appends nothing for a batch without messages', async () => {
    const append = jest.fn(async () => undefined);
    const attempt = await beginWrite({ batch: [], maxAttemptMs: 1, append });
    await attempt.done();
    expect(append).not.toHaveBeenCalled();
  });
});
