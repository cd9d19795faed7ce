/**
 * Retries until success or abort: exponential backoff with full jitter (AWS
 * architecture blog, "Exponential Backoff and Jitter"), 200 ms doubling to a 30 s cap.
 * It never gives up on its own: the ingest must not skip a batch it could not write,
 * so an outage holds the partition (visible as lag and readiness) instead of losing data.
 */
export async function retryForever<T>(
  attempt: () => Promise<T>,
  options: { signal: AbortSignal; onError: (err: unknown, attempt: number, delayMs: number) => void; baseMs?: number; capMs?: number },
): Promise<T> {
  const base = options.baseMs ?? 200;
  const cap = options.capMs ?? 30_000;
  for (let n = 1; ; n++) {
    options.signal.throwIfAborted();
    try {
      return await attempt();
    } catch (err) {
      if (options.signal.aborted) throw options.signal.reason;
      const delay = Math.floor(Math.random() * Math.min(cap, base * 2 ** Math.min(n, 20)));
      options.onError(err, n, delay);
      await sleep(delay, options.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
