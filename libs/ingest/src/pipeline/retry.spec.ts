import { retryForever } from './retry';

describe('retryForever', () => {
  it('retries failures with growing, jittered delays until the attempt succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await retryForever(
      async () => {
        calls++;
        if (calls < 4) throw new Error('down');
        return 'ok';
      },
      { signal: new AbortController().signal, onError: (_e, _n, delay) => delays.push(delay), baseMs: 1, capMs: 8 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    expect(delays).toHaveLength(3);
    expect(delays.every((d) => d >= 0 && d < 8)).toBe(true);
  });

  it('gives up only when aborted, with the abort reason, even in the middle of a wait', async () => {
    const controller = new AbortController();
    const attempt = jest.fn(async () => {
      throw new Error('still down');
    });
    const pending = retryForever(attempt, { signal: controller.signal, onError: () => undefined, baseMs: 10_000, capMs: 10_000 });
    setTimeout(() => controller.abort(new Error('stopping')), 20);
    await expect(pending).rejects.toThrow('stopping');
    expect(attempt).toHaveBeenCalled();
  });
});
